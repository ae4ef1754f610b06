"""The database's guards on students and status records (rule 8: no duplicate registration)."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from engines import each_engine
from factories import StatusRecordFactory, StudentFactory

from students.models import StatusRecord, Student

pytestmark = [each_engine, pytest.mark.usefixtures("engine")]

# PostgreSQL names the index, SQLite the column it covers.
ONE_ACTIVE = r"status_one_active_per_student|students_statusrecord\.student_id"
END_DATE_CHECK = "status_end_date_matches_state"
DUPLICATE_STUDENT = (
    r"duplicate key value violates unique constraint \"students_student_"
    r"|UNIQUE constraint failed: students_student\."
)


def test_a_second_active_status_record_is_refused(student_a, vocational_a):
    with pytest.raises(IntegrityError, match=ONE_ACTIVE), transaction.atomic():
        StatusRecordFactory(student=student_a, school=vocational_a)

    assert student_a.status_records.count() == 1


def test_a_second_active_record_is_refused_even_at_the_same_school(student_a, school_a):
    with pytest.raises(IntegrityError, match=ONE_ACTIVE), transaction.atomic():
        StatusRecordFactory(student=student_a, school=school_a)


def test_closed_records_and_one_active_record_live_together(school_a, vocational_a):
    student = StudentFactory()
    StatusRecordFactory(student=student, school=school_a, closed=True)
    StatusRecordFactory(student=student, school=vocational_a, closed=True)

    active = StatusRecordFactory(student=student, school=school_a)

    assert list(student.status_records.filter(state=StatusRecord.State.ACTIVE)) == [active]
    assert student.status_records.count() == 3


def test_closing_the_active_record_makes_room_for_the_next(student_a, vocational_a):
    StatusRecord.objects.filter(student=student_a).update(
        state=StatusRecord.State.TRANSFERRED_OUT, end_date=datetime.date(2025, 1, 31)
    )

    StatusRecordFactory(student=student_a, school=vocational_a)

    assert student_a.status_records.filter(state=StatusRecord.State.ACTIVE).get().school == (
        vocational_a
    )


def test_an_active_record_with_an_end_date_is_refused(school_a):
    with pytest.raises(IntegrityError, match=END_DATE_CHECK), transaction.atomic():
        StatusRecordFactory(school=school_a, end_date=datetime.date(2025, 1, 31))


@pytest.mark.parametrize(
    "state",
    [
        StatusRecord.State.TRANSFERRED_OUT,
        StatusRecord.State.GRADUATED,
        StatusRecord.State.WITHDRAWN,
    ],
)
def test_a_closed_record_without_an_end_date_is_refused(school_a, state):
    with pytest.raises(IntegrityError, match=END_DATE_CHECK), transaction.atomic():
        StatusRecordFactory(school=school_a, state=state, end_date=None)


def test_a_record_that_ends_before_it_starts_is_refused(school_a):
    with pytest.raises(IntegrityError, match=END_DATE_CHECK), transaction.atomic():
        StatusRecordFactory(
            school=school_a,
            closed=True,
            start_date=datetime.date(2024, 9, 1),
            end_date=datetime.date(2024, 8, 31),
        )


def test_a_record_may_end_on_the_day_it_starts(school_a):
    record = StatusRecordFactory(
        school=school_a,
        closed=True,
        start_date=datetime.date(2024, 9, 1),
        end_date=datetime.date(2024, 9, 1),
    )

    assert record.pk is not None


def test_the_same_person_cannot_be_stored_twice(student_a):
    # The student number is G + the ID-card number (a CHECK), so a second row for one person
    # repeats both; either unique index may be the one that refuses it.
    other = StudentFactory.build(
        id_card_number=student_a.id_card_number,
        birth_date=student_a.birth_date,
        gender=student_a.gender,
    )
    assert other.student_number == student_a.student_number

    with pytest.raises(IntegrityError, match=DUPLICATE_STUDENT), transaction.atomic():
        other.save()

    assert Student.objects.filter(id_card_number=student_a.id_card_number).count() == 1


def test_a_student_number_that_is_not_g_and_the_id_card_number_is_refused(db):
    student = StudentFactory.build()
    student.student_number = "G" + StudentFactory.build().id_card_number

    with (
        pytest.raises(IntegrityError, match="student_number_is_g_and_id_card_number"),
        transaction.atomic(),
    ):
        student.save()


@pytest.mark.parametrize(
    "id_card_number",
    [
        "11010519491231002x",
        "1101051949123100",
        "A1010519491231002X",
        "１１０１０５１９４９１２３１００２X",  # full-width digits: \d would take them
    ],
)
def test_an_id_card_number_in_the_wrong_format_is_refused(db, id_card_number):
    student = StudentFactory.build(id_card_number=id_card_number)

    with pytest.raises(IntegrityError, match="student_id_card_number_format"), transaction.atomic():
        student.save()


def test_the_database_keeps_the_irregular_mark_whatever_the_orm_writes(db):
    # Irregular numbers themselves are planted in tests/review (test_review_findings): the
    # format check refuses them here.
    student = StudentFactory()
    assert Student.objects.get(pk=student.pk).id_card_number_irregular is False

    student.id_card_number_irregular = True
    student.save()
    Student.objects.bulk_create([StudentFactory.build()])

    assert not Student.objects.filter(id_card_number_irregular=True).exists()
