"""What of the transfer workflow each user may see."""

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from schools.models import Major, School, User
from schools.selectors import pilot_areas_visible_to
from students.models import StatusRecord, Student

from .models import Application, SeatQuota, TransferPolicy
from .workflow import SEAT_HOLDING_STATES


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
    return get_object_or_404(policies_visible_to(user), pk=pk)


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


def application_rows(applications: QuerySet[Application]) -> QuerySet[dict]:
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
    return get_object_or_404(applications_visible_to(user), pk=pk)


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
        pk__in=SeatQuota.objects.filter(policy=policy, school=to_school).values("major"),
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
