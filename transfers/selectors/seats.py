"""The seats: how many are taken and open, and who would get them (the allocation plan),
and whether the seats held follow the rank order."""

from dataclasses import dataclass, field

from django.db.models import Count

from ..allocation import deferred_acceptance
from ..models import (
    Application,
    ApplicationChoice,
    SeatQuota,
    TransferPolicy,
)
from ..workflow import SEAT_HOLDING_STATES
from .applications import applications_visible_to


def seats_taken(
    policy: TransferPolicy,
    *,
    school_id: int | None = None,
    major_id: int | None = None,
    other_versions_only: bool = False,
    excluding: Application | None = None,
) -> dict[tuple[int, int], int]:
    """Per receiving school and major: the seats taken, counted as every check of seats
    counts them. Seats are the receiving school's, not a version's: an application holds one
    in any version of the area's policy for the cohort (``SEAT_HOLDING_STATES``)."""
    held = Application.objects.filter(
        policy__pilot_area_id=policy.pilot_area_id,
        policy__cohort_year=policy.cohort_year,
        state__in=SEAT_HOLDING_STATES,
    )
    if school_id is not None:
        held = held.filter(to_school_id=school_id, to_major_id=major_id)
    if other_versions_only:
        held = held.exclude(policy=policy)
    if excluding is not None:
        held = held.exclude(pk=excluding.pk)
    counts = held.values_list("to_school_id", "to_major_id").annotate(n=Count("pk")).order_by()
    return {(school, major): n for school, major, n in counts}


def seats_open_to_ranking(policy: TransferPolicy) -> dict[tuple[int, int], int]:
    """Per receiving school and major of the policy: how many of its ranked applicants fit in
    the seats: the version's own quota, less the seats that applicants of the area's other
    versions for the cohort already hold."""
    taken = seats_taken(policy, other_versions_only=True)
    return {
        (q.school_id, q.major_id): max(q.seats - taken.get((q.school_id, q.major_id), 0), 0)
        for q in SeatQuota.objects.filter(policy=policy)
    }


def ranked_results(user, policy: TransferPolicy) -> list[tuple[Application, bool]]:
    """The policy's assessed applicants the user may see, by receiving school, major and
    rank, each with whether their rank is within the seats."""
    applications = (
        applications_visible_to(user)
        .filter(policy=policy, total_score__isnull=False)
        .order_by("to_school__name", "to_major__code", "rank", "-total_score")
    )
    seats = seats_open_to_ranking(policy)
    return [
        (a, a.rank is not None and a.rank <= seats.get((a.to_school_id, a.to_major_id), 0))
        for a in applications
    ]


#: States in which an applicant who met the standards is ranked for a seat and holds none.
RANKED_STATES = frozenset(
    {Application.State.ASSESSED, Application.State.PUBLISHED, Application.State.WAITLISTED}
)
#: Seat holders the allocation may still move (to a choice they prefer) or keep.
MOVABLE_STATES = frozenset({Application.State.RECOMMENDED})
#: Seat holders whose seat is final.
FIXED_STATES = SEAT_HOLDING_STATES - MOVABLE_STATES

Programme = tuple[int, int]


@dataclass
class ProgrammePlan:
    """One receiving school and major in an allocation: its seats, who is placed there and
    who waits for it, in its rank order."""

    school_id: int
    major_id: int
    seats: int
    recommended: list[Application] = field(default_factory=list)
    waitlisted: list[Application] = field(default_factory=list)
    not_recommended: list[Application] = field(default_factory=list)

    @property
    def programme(self) -> Programme:
        return (self.school_id, self.major_id)

    @property
    def cut_off(self):
        """The total of the last applicant within the seats."""
        return self.recommended[-1].total_score if self.recommended else None


@dataclass
class Plan:
    """An allocation of a policy's seats: per programme, and each applicant's placement and
    choice ranks."""

    programmes: list[ProgrammePlan]
    placed: dict[int, Programme]
    #: application id -> its choices in order: (programme, rank there or None)
    choices: dict[int, list[tuple[Programme, int | None]]]

    def rank_in(self, application_id: int, programme: Programme) -> int | None:
        return dict(self.choices.get(application_id, [])).get(programme)

    def choice_order(self, application_id: int, programme: Programme) -> int | None:
        for order, (chosen, _rank) in enumerate(self.choices.get(application_id, []), start=1):
            if chosen == programme:
                return order
        return None


def choices_of(application_ids) -> dict[int, list[tuple[Programme, int | None]]]:
    """Each application's choices in its order: (programme, its rank there or None)."""
    rows = ApplicationChoice.objects.filter(application_id__in=list(application_ids)).order_by(
        "application_id", "order"
    )
    choices: dict[int, list[tuple[Programme, int | None]]] = {}
    for application_id, school, major, rank in rows.values_list(
        "application_id", "school_id", "major_id", "rank"
    ):
        choices.setdefault(application_id, []).append(((school, major), rank))
    return choices


def allocation_plan(policy: TransferPolicy, applications: list[Application] | None = None) -> Plan:
    """Who gets which seat: student-proposing deferred acceptance over the programmes'
    rankings (``allocation.deferred_acceptance``), among the policy's applicants who met the
    standards and hold no final seat. With one choice each, each programme's best-ranked up
    to its seats. Approved transfers keep their seats; the rest of each quota is shared."""
    S = Application.State
    if applications is None:
        applications = list(
            Application.objects.filter(policy=policy)
            .exclude(state__in=[S.WITHDRAWN, S.INELIGIBLE])
            .select_related("student", "from_school")
        )
    seats = seats_open_to_ranking(policy)
    for application in applications:
        if application.state in FIXED_STATES:
            key = (application.to_school_id, application.to_major_id)
            seats[key] = max(seats.get(key, 0) - 1, 0)
    candidates = [
        a
        for a in applications
        if a.passed and (a.state in RANKED_STATES or a.state in MOVABLE_STATES)
    ]
    choices = choices_of(a.pk for a in applications)
    rankings: dict[Programme, list[tuple[int, int]]] = {programme: [] for programme in seats}
    for application in candidates:
        for programme, rank in choices.get(application.pk, []):
            if rank is not None:
                rankings.setdefault(programme, []).append((rank, application.pk))
    matching = deferred_acceptance(
        preferences={
            a.pk: [programme for programme, _rank in choices.get(a.pk, [])] for a in candidates
        },
        rankings={p: [pk for _rank, pk in sorted(ranked)] for p, ranked in rankings.items()},
        seats=seats,
    )
    plans = {p: ProgrammePlan(p[0], p[1], seats.get(p, 0)) for p in rankings}
    by_pk = {a.pk: a for a in applications}
    for programme, holders in matching.holders.items():
        plans[programme].recommended = [by_pk[pk] for pk in holders]
    for application in sorted(candidates, key=lambda a: (a.rank or 0, a.pk)):
        if application.pk not in matching.seat_of:
            first = choices[application.pk][0][0] if application.pk in choices else None
            if first is not None:
                plans.setdefault(first, ProgrammePlan(first[0], first[1], seats.get(first, 0)))
                plans[first].waitlisted.append(application)
    for application in sorted(applications, key=lambda a: (a.total_score or 0, a.pk)):
        if application.state == S.PUBLISHED and application.passed is False:
            key = (application.to_school_id, application.to_major_id)
            plans.setdefault(key, ProgrammePlan(key[0], key[1], seats.get(key, 0)))
            plans[key].not_recommended.append(application)
    return Plan(
        programmes=[plans[key] for key in sorted(plans)],
        placed=dict(matching.seat_of),
        choices=choices,
    )


def seat_order_violations(policy: TransferPolicy) -> list[tuple[Application, Application]]:
    """Each (seat holder, applicant) of the policy where the applicant, who met the standards
    and chose the holder's programme, is ranked better there and holds no seat they prefer:
    "justified envy". And (holder, holder) where a holder no longer meets the standards.
    Seats in rank order means this is empty."""
    applications = list(
        Application.objects.filter(policy=policy)
        .filter(state__in=SEAT_HOLDING_STATES | RANKED_STATES)
        .select_related("student")
    )
    choices = choices_of(a.pk for a in applications)
    violations = []
    for holder in applications:
        if holder.state not in SEAT_HOLDING_STATES:
            continue
        if holder.passed is not True:
            violations.append((holder, holder))
            continue
        programme = (holder.to_school_id, holder.to_major_id)
        holder_rank = dict(choices.get(holder.pk, [])).get(programme)
        if holder_rank is None:
            continue
        for other in applications:
            if other.pk == holder.pk or not other.passed:
                continue
            listed = [p for p, _rank in choices.get(other.pk, [])]
            if programme not in listed:
                continue
            other_rank = dict(choices[other.pk]).get(programme)
            if other_rank is None or other_rank >= holder_rank:
                continue
            own = (
                (other.to_school_id, other.to_major_id)
                if other.state in SEAT_HOLDING_STATES
                else None
            )
            if own is None or (own in listed and listed.index(own) > listed.index(programme)):
                violations.append((holder, other))
    return violations
