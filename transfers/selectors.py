"""What of the transfer workflow each user may see."""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.exceptions import get_or_not_found
from schools.models import Major, Pairing, School, Term, User
from schools.selectors import pilot_areas_visible_to
from students.models import StatusRecord, Student

from .models import (
    Application,
    ApprovalBatch,
    AssessmentComponent,
    Direction,
    Objection,
    PolicyEvent,
    SeatQuota,
    TransferPolicy,
)
from .workflow import POLICY_ACTIONS, SEAT_HOLDING_STATES, actions_for, policy_may_move


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def policies_visible_to(user) -> QuerySet[TransferPolicy]:
    """Staff of an area see every version; students and registrars see what is published
    (rule 10: the standards are published to them)."""
    policies = TransferPolicy.objects.select_related("pilot_area")
    if not _signed_in(user):
        return policies.none()
    if user.sees_everything:
        return policies
    if user.role in (User.Role.DISTRICT, User.Role.BUREAU):
        return policies.filter(pilot_area__in=pilot_areas_visible_to(user))
    return policies.filter(
        pilot_area__in=pilot_areas_visible_to(user),
        state__in=[TransferPolicy.State.PUBLISHED, TransferPolicy.State.SUPERSEDED],
    )


def policy_get_for_user(*, user, pk) -> TransferPolicy:
    return get_or_not_found(policies_visible_to(user), pk=pk)


def applications_visible_to(user) -> QuerySet[Application]:
    applications = Application.objects.select_related(
        "student", "policy__pilot_area", "from_school", "to_school", "to_major"
    )
    if not _signed_in(user):
        return applications.none()
    if user.sees_everything:
        return applications
    match user.role:
        case User.Role.STUDENT:
            return applications.filter(student__user=user)
        case User.Role.REGISTRAR:
            return applications.filter(
                Q(from_school_id=user.school_id) | Q(to_school_id=user.school_id)
            )
        case User.Role.DISTRICT:
            return applications.filter(policy__pilot_area_id=user.pilot_area_id)
        case User.Role.BUREAU:
            # The city's few policies first: counting a long queue then reads one index
            # instead of joining every application to its policy and area.
            policies = TransferPolicy.objects.filter(
                pilot_area__municipality_id=user.municipality_id
            )
            return applications.filter(policy__in=policies)
    return applications.none()


def _column_of(model, pk: str, column: str = "name") -> Subquery:
    return Subquery(model.objects.filter(pk=OuterRef(pk)).order_by().values(column))


def application_rows(applications: QuerySet[Application]) -> QuerySet[Application, Any]:
    """A scoped queryset narrowed to what a list row shows (``transfers/_application_table.html``),
    as dicts: ``pk``, ``state``, ``total_score``, ``rank``, ``student_name``,
    ``student_number``, ``from_school_name``, ``to_school_name`` and ``to_major_name``.

    The student's, schools' and major's columns are read per row of the page, not joined:
    joined, they would be joined into the page's COUNT too, and with the scope's joins they
    cost PostgreSQL's planner several times the query itself, on every request. Rows are
    plain dicts: a page of model instances costs more to build than to print."""
    return applications.values(
        "pk",
        "state",
        "total_score",
        "rank",
        student_name=_column_of(Student, "student_id"),
        student_number=_column_of(Student, "student_id", "student_number"),
        from_school_name=_column_of(School, "from_school_id"),
        to_school_name=_column_of(School, "to_school_id"),
        to_major_name=_column_of(Major, "to_major_id"),
    )


def application_get_for_user(*, user, pk) -> Application:
    return get_or_not_found(applications_visible_to(user), pk=pk)


def policy_for_student(user) -> TransferPolicy | None:
    """The published policy that applies to a student: their area's, for their cohort."""
    status = (
        StatusRecord.objects.filter(student__user=user, state=StatusRecord.State.ACTIVE)
        .select_related("integration_class__pairing")
        .first()
    )
    if status is None or status.integration_class is None:
        return None
    cls = status.integration_class
    return (
        TransferPolicy.objects.filter(
            pilot_area_id=cls.pairing.pilot_area_id,
            cohort_year=cls.cohort_year,
            state=TransferPolicy.State.PUBLISHED,
        )
        .select_related("pilot_area")
        .first()
    )


def transfer_options_for_student(user, policy: TransferPolicy):
    """Rule 4's target: the paired school, in a cooperative major it offers seats in."""
    status = (
        StatusRecord.objects.filter(student__user=user, state=StatusRecord.State.ACTIVE)
        .select_related("school", "integration_class__pairing")
        .first()
    )
    if status is None or status.integration_class is None:
        return None, Major.objects.none()
    pairing = status.integration_class.pairing
    to_school = pairing.partner_of(status.school)
    majors = Major.objects.filter(
        cooperations__pairing=pairing,
        pk__in=SeatQuota.objects.filter(policy=policy, school=to_school, seats__gt=0).values(
            "major"
        ),
    )
    return to_school, majors


def seats_taken_subquery():
    """For a SeatQuota queryset: the seats its school and major have given, in any version
    of the same area's policy for that cohort (seats are the school's, not the version's)."""
    taken = (
        Application.objects.filter(
            policy__pilot_area_id=OuterRef("policy__pilot_area_id"),
            policy__cohort_year=OuterRef("policy__cohort_year"),
            to_school_id=OuterRef("school_id"),
            to_major_id=OuterRef("major_id"),
            state__in=SEAT_HOLDING_STATES,
        )
        .order_by()
        .values("to_school_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(taken), 0)


def seats_used(policy: TransferPolicy) -> list[tuple[SeatQuota, int]]:
    """Each quota of the policy with the number of its seats taken."""
    quotas = policy.quotas.select_related("school", "major").annotate(taken=seats_taken_subquery())
    return [(quota, quota.taken) for quota in quotas]


def application_of_student(user) -> Application | None:
    """The student's one application, if they have made it."""
    return Application.objects.filter(student__user=user).first()


def objection_of(application: Application, *, required: bool = False) -> Objection | None:
    """The application's one objection; with ``required``, ``NotFound`` when there is none."""
    objections = Objection.objects.filter(application=application)
    return get_or_not_found(objections) if required else objections.first()


def objection_is_open(application: Application) -> bool:
    return Objection.objects.filter(application=application, state=Objection.State.OPEN).exists()


def objections_open_for(user) -> QuerySet[Objection]:
    """The open objections to the applications the user may see."""
    return Objection.objects.filter(
        application__in=applications_visible_to(user), state=Objection.State.OPEN
    ).select_related("application__student")


def approval_batch_get_for_user(*, user, pk) -> ApprovalBatch:
    """A batch approval, for the officer who started it only."""
    return get_or_not_found(ApprovalBatch.objects.filter(created_by=user), pk=pk)


def application_actions_for(
    user, application: Application, *, objection: Objection | None, now: datetime.datetime
) -> set[str]:
    """What the user may do on the application's page: the moves the transition table gives
    their role in their scope, lodging the one objection during the notice period (the
    student), and answering an open objection (the district)."""
    actions = actions_for(user, application)
    S = Application.State
    if (
        user.role == User.Role.STUDENT
        and objection is None
        and application.state == S.PUBLISHED
        and now < application.notice_ends_at()
        and application.student.user_id == user.pk
    ):
        actions.add("objection")
    if (
        user.role == User.Role.DISTRICT
        and objection is not None
        and objection.state == Objection.State.OPEN
        and user.pilot_area_id == application.policy.pilot_area_id
    ):
        actions.add("resolve")
    return actions


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


def policy_actions_for(user, policy: TransferPolicy) -> set[str]:
    """What the user may do on a policy version's page: the moves the policy's transition
    table gives their role (in their area: the page is scoped already), editing a draft or a
    returned version, and starting a new version of an approved or published one."""
    actions = {
        name
        for name, to_state in POLICY_ACTIONS.items()
        if policy_may_move(policy.state, to_state, user.role)
    }
    if "submit" in actions and policy_problems(policy):
        actions.discard("submit")  # the page says what is missing instead
    if user.role == User.Role.DISTRICT:
        if policy.is_editable:
            actions.add("edit")
        if policy.state in (TransferPolicy.State.APPROVED, TransferPolicy.State.PUBLISHED):
            actions.add("new_version")
    return actions


def policy_problems_for(user, policy: TransferPolicy) -> list[str]:
    """What is missing from a version, for the district writing it and the bureau reviewing
    it; nothing for anyone else, or once it is approved."""
    staff = user.role in (User.Role.DISTRICT, User.Role.BUREAU)
    if not staff or not (policy.is_editable or policy.state == TransferPolicy.State.PENDING):
        return []
    return policy_problems(policy)


def policy_history(user, policy: TransferPolicy) -> QuerySet[PolicyEvent] | None:
    """A version's history, for the staff who write and approve policies; None for others."""
    if not (user.sees_everything or user.role in (User.Role.DISTRICT, User.Role.BUREAU)):
        return None
    return policy.events.select_related(*(f"actor__{name}" for name in User.SIGNATURE_RELATED))


def policy_window_bounds(cohort_year: int) -> tuple[datetime.date, datetime.date]:
    """Rule 4: applications are made at the end of the first semester of the first year.

    We read that as: from the middle of the cohort's first semester until the day before the
    second semester starts (the winter break included, when results are usually known).
    """
    terms = {
        term.semester: term for term in Term.objects.filter(academic_year__start_year=cohort_year)
    }
    first = terms.get(Term.Semester.FIRST)
    if first is None:
        raise ValidationError(
            _("The term calendar has no first semester for the %(year)s cohort; add it first.")
            % {"year": cohort_year}
        )
    opens = first.start_date + (first.end_date - first.start_date) / 2
    second = terms.get(Term.Semester.SECOND)
    closes = (
        second.start_date - datetime.timedelta(days=1)
        if second
        else first.end_date + datetime.timedelta(days=21)
    )
    return opens, closes


def policy_problems(policy: TransferPolicy, now: datetime.datetime | None = None) -> list[str]:
    """What keeps a version from going to the bureau, or from being approved; each message
    names its rule. Empty when the version is complete.

    - Rule 5: each direction is assessed by a written test and an interview.
    - The weights of a direction's components add up to 1, so a total is on the scale of the
      components' scores and two directions' totals compare.
    - Rule 4: the window lies at the end of the cohort's first semester and has not closed.
    - Every receiving school of the area's pairings gives its seats in each cooperative major,
      or says it offers none (0 seats).
    - Equal totals are ranked by a stated rule.
    """
    now = now or timezone.now()
    problems = []
    try:
        earliest, latest = policy_window_bounds(policy.cohort_year)
    except ValidationError as exc:
        problems.extend(exc.messages)
    else:
        opens = timezone.localtime(policy.window_opens).date()
        closes = timezone.localtime(policy.window_closes).date()
        if opens < earliest or closes > latest:
            problems.append(
                _(
                    "The application window must lie at the end of the %(year)s cohort's first "
                    "semester, between %(earliest)s and %(latest)s (rule 4)."
                )
                % {
                    "year": policy.cohort_year,
                    "earliest": date_format(earliest),
                    "latest": date_format(latest),
                }
            )
    if policy.window_closes <= now:
        problems.append(
            _(
                "The application window closed on %(closes)s: no student could apply. Move "
                "it to dates still to come (rule 4)."
            )
            % {"closes": date_format(timezone.localtime(policy.window_closes).date())}
        )
    given = set(policy.quotas.values_list("school_id", "major_id"))
    pairings = Pairing.objects.filter(pilot_area_id=policy.pilot_area_id).select_related(
        "general_school", "vocational_school"
    )
    for pairing in pairings.prefetch_related("cooperations__major").order_by("pk"):
        for cooperation in pairing.cooperations.all():
            for school in (pairing.general_school, pairing.vocational_school):
                if (school.pk, cooperation.major_id) not in given:
                    problems.append(
                        _(
                            "%(school)s gives no seats in the cooperative major %(major)s: "
                            "give its seats, or 0 to say it offers none."
                        )
                        % {"school": school.name, "major": cooperation.major.name}
                    )
    if policy.tie_break is None:
        problems.append(
            _(
                "Choose how equal totals are ranked: by components' scores in an order, or by "
                "the earlier submission (the ranking must be one anyone can check)."
            )
        )
    components = list(policy.components.all())
    for direction, label in Direction.choices:
        own = [c for c in components if c.direction == direction]
        kinds = {c.kind for c in own}
        if AssessmentComponent.Kind.WRITTEN not in kinds:
            problems.append(
                _("%(direction)s has no written test (rule 5: a written test and an interview).")
                % {"direction": label}
            )
        if AssessmentComponent.Kind.INTERVIEW not in kinds:
            problems.append(
                _("%(direction)s has no interview (rule 5: a written test and an interview).")
                % {"direction": label}
            )
        total = sum((c.weight for c in own), Decimal(0))
        if own and total != Decimal(1):
            problems.append(
                _(
                    "The weights of %(direction)s add up to %(total)s; they must add up to 1, "
                    "so that a total is on the scale of the scores."
                )
                % {"direction": label, "total": total}
            )
    return problems


#: States in which an applicant who met the standards is ranked for a seat, decided or not.
RANKED_STATES = frozenset(
    {Application.State.ASSESSED, Application.State.PUBLISHED, Application.State.WAITLISTED}
)


def seat_order_violations(policy: TransferPolicy) -> list[tuple[Application, Application]]:
    """Each (seat holder, better-ranked applicant) of one programme of the policy where the
    better-ranked one, who met the standards, has no seat and no decision against them; and
    each (seat holder, seat holder) pair where the holder no longer meets the standards.
    Seats in rank order means this is empty."""
    applications = list(
        Application.objects.filter(policy=policy)
        .filter(state__in=SEAT_HOLDING_STATES | RANKED_STATES)
        .select_related("student")
    )
    violations = []
    for holder in applications:
        if holder.state not in SEAT_HOLDING_STATES:
            continue
        if holder.passed is not True:
            violations.append((holder, holder))
            continue
        for other in applications:
            if (
                other.state in RANKED_STATES
                and other.passed
                and other.to_school_id == holder.to_school_id
                and other.to_major_id == holder.to_major_id
                and other.rank is not None
                and holder.rank is not None
                and other.rank < holder.rank
            ):
                violations.append((holder, other))
    return violations


def results_version_latest(policy: TransferPolicy):
    return policy.results_versions.order_by("-number").first()
