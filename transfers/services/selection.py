"""The allocation of the seats: computed from the published ranking, confirmed by the
district as a whole, recorded once.

After the notice period, each programme's seats go to the applicants who met the standards,
in rank order (``allocation.deferred_acceptance``: with one choice each, simply the
best-ranked up to the seats). Confirming it recommends those within the seats, puts the
others who met the standards on the waiting list in rank order, and records the district did
not recommend those who did not; the ``Allocation`` row is the one audit entry of the whole.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from schools.models import User

from ..allocation import deferred_acceptance
from ..models import Allocation, Application, Objection, TransferPolicy
from ..selectors import seats_open_to_ranking
from ..workflow import SEAT_HOLDING_STATES
from .assessment import assert_district_of
from .seats import lock_policy_quotas
from .transitions import application_transition, application_transition_by_rule

S = Application.State

#: Applicants the allocation places: those awaiting it, those waiting, and seat holders.
PLACED_STATES = SEAT_HOLDING_STATES | {S.PUBLISHED, S.WAITLISTED}


@dataclass
class ProgrammePlan:
    school_id: int
    major_id: int
    seats: int
    recommended: list[Application] = field(default_factory=list)
    waitlisted: list[Application] = field(default_factory=list)
    not_recommended: list[Application] = field(default_factory=list)

    @property
    def cut_off(self):
        """The total of the last applicant within the seats."""
        return self.recommended[-1].total_score if self.recommended else None


def allocation_plan(
    policy: TransferPolicy, applications: list[Application] | None = None
) -> list[ProgrammePlan]:
    """What confirming would do, per programme of the policy, in rank order."""
    if applications is None:
        applications = list(
            Application.objects.filter(policy=policy, state__in=PLACED_STATES).select_related(
                "student", "from_school"
            )
        )
    seats = seats_open_to_ranking(policy)
    ranked = sorted(
        (a for a in applications if a.state in PLACED_STATES and a.passed and a.rank),
        key=lambda a: (a.rank, a.pk),
    )
    rankings: dict[tuple[int, int], list[int]] = {programme: [] for programme in seats}
    for application in ranked:
        rankings.setdefault((application.to_school_id, application.to_major_id), []).append(
            application.pk
        )
    matching = deferred_acceptance(
        preferences={a.pk: [(a.to_school_id, a.to_major_id)] for a in ranked},
        rankings=rankings,
        seats=seats,
    )
    plans = {
        programme: ProgrammePlan(programme[0], programme[1], seats.get(programme, 0))
        for programme in rankings
    }
    for application in ranked:
        plan = plans[(application.to_school_id, application.to_major_id)]
        if application.pk in matching.seat_of:
            plan.recommended.append(application)
        else:
            plan.waitlisted.append(application)
    for application in sorted(applications, key=lambda a: (a.total_score or 0, a.pk)):
        if application.state == S.PUBLISHED and not application.passed:
            key = (application.to_school_id, application.to_major_id)
            plans.setdefault(key, ProgrammePlan(key[0], key[1], seats.get(key, 0)))
            plans[key].not_recommended.append(application)
    return [plans[key] for key in sorted(plans)]


def allocation_problems(
    policy: TransferPolicy, applications: list[Application], now: datetime.datetime
) -> list[str]:
    """What keeps the allocation from being confirmed now, each in words."""
    problems = []
    pending = sorted(a.pk for a in applications if a.state in (S.SUBMITTED, S.ELIGIBLE, S.ASSESSED))
    if pending:
        problems.append(
            _(
                "Applications %(numbers)s are not yet assessed and on notice: seats are "
                "allocated when every result is published."
            )
            % {"numbers": ", ".join(map(str, pending))}
        )
    awaiting = [a for a in applications if a.state == S.PUBLISHED]
    if not awaiting:
        problems.append(_("No applicant awaits the allocation."))
    on_notice = [a for a in awaiting if a.notice_ends_at() and now < a.notice_ends_at()]
    if on_notice:
        ends = max(a.notice_ends_at() for a in on_notice)
        problems.append(
            _("The public notice period is not over: it ends at %(ends)s.")
            % {"ends": timezone.localtime(ends).strftime("%Y-%m-%d %H:%M")}
        )
    open_objections = sorted(
        Objection.objects.filter(
            application__in=[a.pk for a in applications], state=Objection.State.OPEN
        ).values_list("application_id", flat=True)
    )
    if open_objections:
        problems.append(
            _("Answer the open objections first (applications %(numbers)s).")
            % {"numbers": ", ".join(map(str, open_objections))}
        )
    return problems


@transaction.atomic
def allocation_confirm(
    *, actor: User, policy: TransferPolicy, now: datetime.datetime | None = None
) -> Allocation:
    """The district confirms the allocation as a whole: one audit entry, and each applicant
    awaiting it recommended, put on the waiting list, or not recommended, with the reason."""
    assert_district_of(actor, policy)
    now = now or timezone.now()
    policy = TransferPolicy.objects.select_related("pilot_area").get(pk=policy.pk)
    # The seats first, then the applications: the order every seat step takes its locks in.
    lock_policy_quotas(policy)
    applications = list(
        Application.objects.select_for_update(of=("self",))
        .filter(policy=policy)
        .select_related("policy", "student")
        .order_by("pk")
    )
    problems = allocation_problems(policy, applications, now)
    if problems:
        raise ValidationError(problems)
    version = policy.results_versions.order_by("-number").first()
    if version is None:
        raise ValidationError(_("No applicant awaits the allocation."))
    plans = allocation_plan(policy, applications)
    number = policy.allocations.count() + 1
    for plan in plans:
        for application in plan.waitlisted:
            if application.state in SEAT_HOLDING_STATES:
                raise ValidationError(
                    _(
                        "%(name)s holds a seat out of rank order; take the recommendation "
                        "back first."
                    )
                    % {"name": application.student.name}
                )
    for plan in plans:
        for application in plan.recommended:
            comment = _("Within the %(seats)s seats, at rank %(rank)s (allocation %(number)s).")
            if application.state == S.PUBLISHED:
                application_transition(
                    application=application,
                    to_state=S.RECOMMENDED,
                    actor=actor,
                    comment=comment
                    % {"seats": plan.seats, "rank": application.rank, "number": number},
                )
            elif application.state == S.WAITLISTED:
                application_transition_by_rule(
                    application=application,
                    to_state=S.RECOMMENDED,
                    comment=comment
                    % {"seats": plan.seats, "rank": application.rank, "number": number},
                )
        for place, application in enumerate(plan.waitlisted, start=1):
            if application.state == S.PUBLISHED:
                application_transition(
                    application=application,
                    to_state=S.WAITLISTED,
                    actor=actor,
                    comment=_(
                        "Met the standards, outside the %(seats)s seats: number %(place)s on "
                        "the waiting list, moving up if a seat is freed."
                    )
                    % {"seats": plan.seats, "place": place},
                )
        for application in plan.not_recommended:
            application_transition(
                application=application,
                to_state=S.NOT_RECOMMENDED,
                actor=actor,
                comment=_("Did not meet the standards."),
            )
    return Allocation.objects.create(
        policy=policy,
        number=number,
        results_version=version,
        confirmed_at=now,
        confirmed_by=actor,
        programmes=[
            {
                "school": plan.school_id,
                "major": plan.major_id,
                "seats": plan.seats,
                "recommended": [a.pk for a in plan.recommended],
                "waitlisted": [a.pk for a in plan.waitlisted],
                "not_recommended": [a.pk for a in plan.not_recommended],
            }
            for plan in plans
        ],
    )
