"""Registering students and moving their status records (学籍).

Every change of registration goes through these functions so that rule 3 (integration-class
students start at the host school) and rule 8 (no duplicate registration) hold; the database
backs rule 8 with a partial unique index.
"""

import datetime
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.arrays import any_of
from core.inserts import insert_rows
from schools.models import IntegrationClass, Major, School, User
from schools.selectors import schools_visible_to

from .models import Source, StatusEvent, StatusRecord, Student, StudentHandover, Track
from .selectors import custodian_school


def _assert_registers_at(actor: User, school: School) -> None:
    if actor.sees_everything:
        return
    if (
        actor.role == User.Role.STUDENT
        or not schools_visible_to(actor).filter(pk=school.pk).exists()
    ):
        raise PermissionDenied


def _track_for(school: School) -> str:
    if school.kind == School.Kind.VOCATIONAL:
        return Track.VOCATIONAL
    if school.kind == School.Kind.GENERAL:
        return Track.GENERAL
    raise ValidationError(
        {"track": _("Choose the track for a student of a comprehensive high school.")}
    )


@transaction.atomic
def status_open(
    *,
    student: Student,
    school: School,
    start_date: datetime.date,
    integration_class: IntegrationClass | None = None,
    major: Major | None = None,
    track: str | None = None,
    reason: str = "",
    actor: User | None = None,
    source: str = Source.PAGE,
) -> StatusRecord:
    """Open the student's one active registration. Rule 8: refused while another is active.
    The opening is a status event, with who opened it (none: the system) and why."""
    if integration_class is not None:
        if integration_class.host_school_id != school.pk:
            raise ValidationError(
                {
                    "integration_class": _("The class %(cls)s is not hosted by %(school)s.")
                    % {"cls": integration_class.name, "school": school.name}
                }
            )
        if major is not None and major.pk != integration_class.major_id:
            raise ValidationError(
                {
                    "major": _("The class %(cls)s trains in %(major)s.")
                    % {"cls": integration_class.name, "major": integration_class.major.name}
                }
            )
        major = integration_class.major
    current = (
        StatusRecord.objects.select_for_update()
        .select_related("school")
        .filter(student=student, state=StatusRecord.State.ACTIVE)
        .first()
    )
    if current is not None:
        raise ValidationError(
            _(
                "%(student)s is already registered at %(school)s: a duplicate registration is "
                "not allowed."
            )
            % {"student": student.name, "school": current.school.name}
        )
    record = StatusRecord(
        student=student,
        school=school,
        track=track or _track_for(school),
        integration_class=integration_class,
        major=major,
        start_date=start_date,
        reason=reason,
    )
    record.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:
        # Two registrars enrolled the same person at the same moment; the index decided.
        raise ValidationError(
            _("%(student)s already has an active registration.") % {"student": student.name}
        ) from exc
    StatusEvent.objects.create(
        record=record, actor=actor, source=source, to_state=record.state, comment=reason
    )
    return record


@transaction.atomic
def status_close(
    *,
    record: StatusRecord,
    state: str,
    end_date: datetime.date,
    reason: str,
    actor: User | None = None,
    source: str = Source.PAGE,
) -> StatusRecord:
    """End an active registration; the record stays as history, and the closing is a status
    event with who closed it and why (a reason is required)."""
    if state not in StatusRecord.State.values or state == StatusRecord.State.ACTIVE:
        raise ValueError(f"closing a registration needs a final state, not {state!r}")
    record = StatusRecord.objects.select_for_update().get(pk=record.pk)
    if record.state != StatusRecord.State.ACTIVE:
        raise ValidationError(_("This registration is already closed."))
    if end_date < record.start_date:
        raise ValidationError({"end_date": _("The end date is before the start date.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the registration ends.")})
    record.state = state
    record.end_date = end_date
    record.reason = reason
    record.save(update_fields=["state", "end_date", "reason"])
    StatusEvent.objects.create(
        record=record,
        actor=actor,
        source=source,
        from_state=StatusRecord.State.ACTIVE,
        to_state=state,
        comment=reason,
    )
    return record


@transaction.atomic
def student_enroll(
    *,
    actor: User,
    school: School,
    start_date: datetime.date,
    integration_class: IntegrationClass | None = None,
    major: Major | None = None,
    track: str | None = None,
    **student_fields,
) -> Student:
    """A registrar enrolls a new student at their own school. Rule 3: integration-class
    students are first enrolled at the class's host school."""
    _assert_registers_at(actor, school)
    student = Student(**student_fields)
    student.full_clean()
    student.save()
    status_open(
        student=student,
        school=school,
        start_date=start_date,
        integration_class=integration_class,
        major=major,
        track=track,
        reason=_("Enrolled"),
        actor=actor,
    )
    return student


class Registration(NamedTuple):
    """What a registration is opened with, besides the student and the school."""

    track: str
    integration_class: IntegrationClass | None
    major: Major | None
    start_date: datetime.date


@transaction.atomic
def status_open_many(
    *,
    school: School,
    registrations: list[tuple[int, Registration]],
    reason: str = "",
    actor: User | None = None,
    source: str = Source.IMPORT,
) -> list[int]:
    """Open many registrations at one school at once, as an import does, each given as the
    student's id and its registration, with the rules of ``status_open``: rule 3, a class's
    students are registered at its host school in its major; rule 8, no student may have a
    second active registration. The values come checked field by field; the partial unique
    index decides a race with another writer. Returns the new records' ids, in order."""
    for _student_id, registration in registrations:
        klass = registration.integration_class
        if klass is None:
            continue
        if klass.host_school_id != school.pk:
            raise ValidationError(
                _("The class %(cls)s is not hosted by %(school)s.")
                % {"cls": klass.name, "school": school.name}
            )
        if registration.major is None or klass.major_id != registration.major.pk:
            raise ValidationError(
                _("The class %(cls)s trains in %(major)s.")
                % {"cls": klass.name, "major": klass.major.name}
            )
    student_ids = [student_id for student_id, _registration in registrations]
    # All of them rather than .first(): with a LIMIT the planner walks every student in
    # student-number order for a row that is, in an import, never there.
    active = list(
        StatusRecord.objects.select_for_update()
        .select_related("student", "school")
        .filter(any_of("student", student_ids), state=StatusRecord.State.ACTIVE)
    )
    if active:
        current = active[0]
        raise ValidationError(
            _(
                "%(student)s is already registered at %(school)s: a duplicate registration is "
                "not allowed."
            )
            % {"student": current.student.name, "school": current.school.name}
        )
    opened = [registration for _student_id, registration in registrations]
    try:
        with transaction.atomic():
            ids = insert_rows(
                StatusRecord,
                count=len(registrations),
                values={
                    "student_id": student_ids,
                    "school_id": school.pk,
                    "track": [r.track for r in opened],
                    "integration_class_id": [
                        r.integration_class.pk if r.integration_class else None for r in opened
                    ],
                    "major_id": [r.major.pk if r.major else None for r in opened],
                    "start_date": [r.start_date for r in opened],
                    "state": StatusRecord.State.ACTIVE,
                    "end_date": None,
                    "reason": reason,
                },
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("A student of these registrations already has an active registration.")
        ) from exc
    insert_rows(
        StatusEvent,
        count=len(ids),
        values={
            "record_id": ids,
            "actor_id": actor.pk if actor else None,
            "source": source,
            "from_state": "",
            "to_state": StatusRecord.State.ACTIVE,
            "comment": reason,
        },
    )
    return ids


def shown_value(value) -> str:
    """A value of personal data as its history keeps it: a date as YYYY-MM-DD."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "" if value is None else str(value)


def may_hand_over(actor: User, student: Student) -> bool:
    """The district or bureau over the school in whose hands the student is, or that
    school's registrar, may hand a student with no active registration to another school."""
    if not (actor and actor.is_authenticated and actor.is_active):
        return False
    if actor.role not in (User.Role.REGISTRAR, User.Role.DISTRICT, User.Role.BUREAU) and not (
        actor.sees_everything
    ):
        return False
    if StatusRecord.objects.filter(student=student, state=StatusRecord.State.ACTIVE).exists():
        return False
    holder = custodian_school(student)
    return holder is not None and schools_visible_to(actor).filter(pk=holder).exists()


@transaction.atomic
def student_hand_over(
    *, actor: User, student: Student, to_school: School, reason: str
) -> StudentHandover:
    """Hand a student with no active registration (withdrawn, graduated, gone abroad …) over
    to another school, so that school may register them again (its registrar's import, or a
    transfer, then opens the registration). Kept with who and why; the student's row is
    locked so two hand-overs at once are one after the other."""
    student = Student.objects.select_for_update().get(pk=student.pk)
    if StatusRecord.objects.filter(student=student, state=StatusRecord.State.ACTIVE).exists():
        raise ValidationError(
            _("This student is registered at a school now; a transfer or that school moves them.")
        )
    if not may_hand_over(actor, student):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the student is handed over.")})
    holder = custodian_school(student)
    if holder == to_school.pk:
        raise ValidationError({"to_school": _("The student is in this school's hands already.")})
    return StudentHandover.objects.create(
        student=student,
        from_school_id=holder,
        to_school=to_school,
        actor=actor,
        reason=reason.strip(),
    )
