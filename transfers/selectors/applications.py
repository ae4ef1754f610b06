"""Who sees which policies and applications, and what an application's page offers."""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from core.exceptions import get_or_not_found
from schools.models import CooperativeMajor, Major, Pairing, School, User
from schools.selectors import pilot_areas_visible_to
from students.models import StatusRecord, Student

from ..criteria import EARLIER_FIELDS, assert_may_apply_again
from ..models import (
    Application,
    ApprovalBatch,
    Objection,
    SeatQuota,
    TransferPolicy,
)
from ..workflow import SEAT_HOLDING_STATES, actions_for


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
    if user.role in (User.Role.DISTRICT, User.Role.BUREAU, User.Role.PROVINCE):
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
        case User.Role.GUARDIAN:
            # Their children's: the students whose accounts the guardian's is linked to.
            return applications.filter(student__user__guardianships__guardian=user)
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
        case User.Role.PROVINCE:
            # Read-only, every city of the province: the same few policies first.
            policies = TransferPolicy.objects.filter(
                pilot_area__municipality__province_id=user.province_id
            )
            return applications.filter(policy__in=policies)
    return applications.none()


def _column_of(model, pk: str, column: str = "name") -> Subquery:
    return Subquery(model.objects.filter(pk=OuterRef(pk)).order_by().values(column))


def application_rows(applications: QuerySet[Application]) -> QuerySet[Application, Any]:
    """A scoped queryset narrowed to what a list row shows (``transfers/_application_table.html``),
    as dicts: ``pk``, ``student_id``, ``state``, ``total_score``, ``rank``, ``student_name``,
    ``student_number``, ``from_school_name``, ``to_school_name`` and ``to_major_name``.

    The student's, schools' and major's columns are read per row of the page, not joined:
    joined, they would be joined into the page's COUNT too, and with the scope's joins they
    cost PostgreSQL's planner several times the query itself, on every request. Rows are
    plain dicts: a page of model instances costs more to build than to print."""
    return applications.values(
        "pk",
        "student_id",
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


def status_placement(status: StatusRecord | None) -> tuple[Pairing, int] | None:
    """The pairing and cohort an active status belongs to (rule 3): its integration class's,
    or, for a student who moved into a school with no class of their major, the pairing and
    cohort of the move that brought them (which a transfer back follows). None for anyone
    else."""
    hops = 0
    while status is not None and hops < 4:
        cls = status.integration_class
        if cls is not None:
            if cls.host_school_id != status.school_id:
                return None
            return cls.pairing, cls.cohort_year
        moved = (
            Application.objects.filter(new_status=status, state=Application.State.COMPLETED)
            .select_related("policy", "from_status__integration_class__pairing")
            .first()
        )
        if moved is None:
            return None
        origin = moved.from_status.integration_class
        if origin is not None:
            return origin.pairing, moved.policy.cohort_year
        status, hops = moved.from_status, hops + 1
    return None


def _active_status(user) -> StatusRecord | None:
    return (
        StatusRecord.objects.filter(student__user=user, state=StatusRecord.State.ACTIVE)
        .select_related("school", "integration_class__pairing")
        .first()
    )


def policy_for_student(user) -> TransferPolicy | None:
    """The published policy that applies to a student: their area's, for their cohort."""
    placement = status_placement(_active_status(user))
    if placement is None:
        return None
    pairing, cohort_year = placement
    return (
        TransferPolicy.objects.filter(
            pilot_area_id=pairing.pilot_area_id,
            cohort_year=cohort_year,
            state=TransferPolicy.State.PUBLISHED,
        )
        .select_related("pilot_area")
        .first()
    )


def transfer_options_for_student(user, policy: TransferPolicy):
    """Rule 4's target: the paired school, in a cooperative major it offers seats in."""
    status = _active_status(user)
    placement = status_placement(status)
    if status is None or placement is None:
        return None, Major.objects.none()
    pairing = placement[0]
    to_school = pairing.partner_of(status.school)
    cooperations = CooperativeMajor.objects.filter(pairing=pairing)
    if status.track == "general" and policy.excluded_programmes:
        # Into a vocational school, the pack may keep some programmes closed (Shandong).
        cooperations = cooperations.exclude(programme_type__in=policy.excluded_programmes)
    majors = Major.objects.filter(
        pk__in=cooperations.values("major"),
    ).filter(
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
    """The student's latest application, if they have made one."""
    return Application.objects.filter(student__user=user).first()


def may_apply_again(user, policy: TransferPolicy | None) -> bool:
    """A student whose applications have all ended may apply again while they have made
    fewer than the policy allows (``max_applications``; 1: once, ever), and after a move
    only where the pack allows a transfer back (``criteria.assert_may_apply_again``)."""
    if policy is None:
        return False
    earlier = list(Application.objects.filter(student__user=user).values_list(*EARLIER_FIELDS))
    if not earlier:
        return False
    try:
        assert_may_apply_again(earlier, policy)
    except ValidationError:
        return False
    return True


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
