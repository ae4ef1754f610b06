"""Opening and closing registrations, and enrolling new students (rules 3 and 8)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from factories import IntegrationClassFactory, SchoolFactory, StudentFactory, UserFactory

from schools.models import School, User
from students import services
from students.models import StatusRecord, Student, Track
from students.selectors import active_status

START = datetime.date(2024, 9, 1)


def _new_student_fields(**overrides):
    template = StudentFactory.build()
    fields = {
        name: getattr(template, name)
        for name in (
            "student_number",
            "name",
            "id_card_number",
            "gender",
            "birth_date",
            "guardian_name",
            "guardian_phone",
        )
    }
    return fields | overrides


# --- status_open ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "track"),
    [(School.Kind.GENERAL, Track.GENERAL), (School.Kind.VOCATIONAL, Track.VOCATIONAL)],
)
def test_status_open_registers_on_the_track_of_the_schools_kind(area_a, kind, track):
    school = SchoolFactory(pilot_area=area_a, kind=kind)
    student = StudentFactory()

    record = services.status_open(student=student, school=school, start_date=START)

    assert (record.school, record.track, record.state) == (school, track, "active")
    assert record.end_date is None
    assert active_status(student) == record


def test_status_open_refuses_a_second_registration(student_a, vocational_a):
    with pytest.raises(
        ValidationError, match="张三 is already registered at 余杭高级中学: a duplicate"
    ):
        services.status_open(student=student_a, school=vocational_a, start_date=START)

    assert student_a.status_records.count() == 1


def test_status_open_needs_a_track_at_a_comprehensive_school(area_a):
    school = SchoolFactory(pilot_area=area_a, kind=School.Kind.COMPREHENSIVE)
    student = StudentFactory()

    with pytest.raises(ValidationError, match="Choose the track"):
        services.status_open(student=student, school=school, start_date=START)
    record = services.status_open(
        student=student, school=school, start_date=START, track=Track.VOCATIONAL
    )

    assert record.track == Track.VOCATIONAL


def test_an_integration_class_student_starts_at_the_host_school_in_its_major(pairing_a):
    integration_class = IntegrationClassFactory(pairing=pairing_a)
    student = StudentFactory()

    record = services.status_open(
        student=student,
        school=pairing_a.general_school,
        start_date=START,
        integration_class=integration_class,
    )

    assert record.integration_class == integration_class
    assert record.major == integration_class.major


def test_status_open_refuses_a_class_hosted_by_another_school(pairing_a):
    integration_class = IntegrationClassFactory(pairing=pairing_a)
    student = StudentFactory()

    with pytest.raises(ValidationError, match="is not hosted by") as excinfo:
        services.status_open(
            student=student,
            school=pairing_a.vocational_school,
            start_date=START,
            integration_class=integration_class,
        )

    assert list(excinfo.value.message_dict) == ["integration_class"]
    assert not student.status_records.exists()


# --- status_close ---------------------------------------------------------------------------


def test_status_close_keeps_the_record_as_history(student_a):
    record = active_status(student_a)

    services.status_close(
        record=record,
        state=StatusRecord.State.GRADUATED,
        end_date=datetime.date(2027, 6, 30),
        reason="毕业",
    )

    record.refresh_from_db()
    assert (record.state, record.end_date, record.reason) == (
        StatusRecord.State.GRADUATED,
        datetime.date(2027, 6, 30),
        "毕业",
    )
    assert active_status(student_a) is None


def test_after_closing_the_student_can_be_registered_elsewhere(student_a, vocational_a):
    services.status_close(
        record=active_status(student_a),
        state=StatusRecord.State.TRANSFERRED_OUT,
        end_date=datetime.date(2025, 1, 31),
        reason="转入职高",
    )

    services.status_open(
        student=student_a, school=vocational_a, start_date=datetime.date(2025, 2, 1)
    )

    assert active_status(student_a).school == vocational_a
    assert student_a.status_records.count() == 2


def test_closing_a_closed_record_is_refused(student_a):
    record = active_status(student_a)
    services.status_close(
        record=record, state=StatusRecord.State.WITHDRAWN, end_date=START, reason="退学"
    )

    with pytest.raises(ValidationError, match="already closed"):
        services.status_close(
            record=record,
            state=StatusRecord.State.GRADUATED,
            end_date=datetime.date(2027, 6, 30),
            reason="毕业",
        )

    record.refresh_from_db()
    assert record.state == StatusRecord.State.WITHDRAWN


def test_a_registration_cannot_end_before_it_started(student_a):
    record = active_status(student_a)

    with pytest.raises(ValidationError, match="before the start date"):
        services.status_close(
            record=record,
            state=StatusRecord.State.WITHDRAWN,
            end_date=record.start_date - datetime.timedelta(days=1),
            reason="退学",
        )

    record.refresh_from_db()
    assert record.state == StatusRecord.State.ACTIVE


def test_closing_into_the_active_state_is_a_programming_error(student_a):
    with pytest.raises(ValueError, match="final state"):
        services.status_close(
            record=active_status(student_a),
            state=StatusRecord.State.ACTIVE,
            end_date=START,
            reason="",
        )


# --- student_enroll -------------------------------------------------------------------------


def test_a_registrar_enrolls_a_student_at_their_school(registrar_a, school_a):
    fields = _new_student_fields(name="王五")

    student = services.student_enroll(
        actor=registrar_a, school=school_a, start_date=START, **fields
    )

    record = active_status(student)
    assert student.name == "王五"
    assert (record.school, record.track, record.reason) == (school_a, Track.GENERAL, "Enrolled")


def test_a_registrar_cannot_enroll_at_another_school(registrar_a, school_b):
    fields = _new_student_fields()

    with pytest.raises(PermissionDenied):
        services.student_enroll(actor=registrar_a, school=school_b, start_date=START, **fields)

    assert not Student.objects.filter(id_card_number=fields["id_card_number"]).exists()


def test_a_student_cannot_enroll_anyone(student_a, school_a):
    fields = _new_student_fields()

    with pytest.raises(PermissionDenied):
        services.student_enroll(actor=student_a.user, school=school_a, start_date=START, **fields)

    assert not Student.objects.filter(id_card_number=fields["id_card_number"]).exists()


def test_an_invalid_student_is_not_enrolled(registrar_a, school_a):
    fields = _new_student_fields(birth_date=datetime.date(1990, 1, 1))

    with pytest.raises(ValidationError, match="birth date does not match"):
        services.student_enroll(actor=registrar_a, school=school_a, start_date=START, **fields)

    assert not Student.objects.filter(id_card_number=fields["id_card_number"]).exists()


def test_enrolling_a_person_who_is_already_registered_is_refused(registrar_b, student_a, school_b):
    fields = _new_student_fields(
        id_card_number=student_a.id_card_number, student_number=student_a.student_number
    )

    with pytest.raises(ValidationError, match="ID-card number already exists"):
        services.student_enroll(actor=registrar_b, school=school_b, start_date=START, **fields)

    assert student_a.status_records.count() == 1


def test_a_superuser_made_by_createsuperuser_is_an_administrator(db):
    superuser = User.objects.create_superuser("root", "root@example.edu.cn", "Root-horse-42")

    superuser.refresh_from_db()
    assert superuser.role == User.Role.ADMIN
    assert superuser.scope is None


def test_a_superuser_may_enroll_anywhere(school_a):
    superuser = User.objects.create_superuser("root", "root@example.edu.cn", "Root-horse-42")

    student = services.student_enroll(
        actor=superuser, school=school_a, start_date=START, **_new_student_fields()
    )

    assert active_status(student).school == school_a


def test_an_administrator_may_enroll_anywhere(school_b):
    administrator = UserFactory(role=User.Role.ADMIN)

    student = services.student_enroll(
        actor=administrator, school=school_b, start_date=START, **_new_student_fields()
    )

    assert active_status(student).school == school_b
