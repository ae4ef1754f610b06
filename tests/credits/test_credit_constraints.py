"""The database's guards on courses and credit records."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from engines import each_engine
from factories import CourseFactory, CreditRecordFactory, TermFactory

from schools.models import Term

pytestmark = [each_engine, pytest.mark.usefixtures("engine")]


@pytest.fixture
def record(student_a, school_a):
    return CreditRecordFactory(student=student_a, course=CourseFactory(school=school_a))


def test_a_second_record_for_the_same_student_course_and_term_is_refused(record):
    # PostgreSQL names the key's columns in DETAIL, SQLite in the message.
    with (
        pytest.raises(IntegrityError, match=r"student_id.*course_id.*term_id"),
        transaction.atomic(),
    ):
        CreditRecordFactory(student=record.student, course=record.course, term=record.term)

    assert record.student.credit_records.count() == 1


def test_the_same_course_in_another_term_is_a_new_record(record):
    second_term = TermFactory(
        academic_year=record.term.academic_year, semester=Term.Semester.SECOND
    )

    CreditRecordFactory(student=record.student, course=record.course, term=second_term)

    assert record.student.credit_records.count() == 2


@pytest.mark.parametrize("score", [Decimal("-0.5"), Decimal("100.5"), Decimal("150")])
def test_a_score_out_of_range_is_refused(student_a, score):
    with (
        pytest.raises(IntegrityError, match="credit_record_score_range"),
        transaction.atomic(),
    ):
        CreditRecordFactory(student=student_a, score=score)


@pytest.mark.parametrize("score", [Decimal("0"), Decimal("100"), Decimal("59.5")])
def test_a_score_from_0_to_100_is_accepted(student_a, score):
    record = CreditRecordFactory(student=student_a, score=score)

    record.refresh_from_db()
    assert record.score == score


def test_negative_credits_earned_are_refused(student_a):
    with (
        pytest.raises(IntegrityError, match="credit_record_credits_non_negative"),
        transaction.atomic(),
    ):
        CreditRecordFactory(student=student_a, credits_earned=Decimal("-1"))


def test_a_course_code_is_unique_within_its_school(school_a, school_b):
    CourseFactory(school=school_a, code="YW01")
    CourseFactory(school=school_b, code="YW01")  # another school may use it

    with pytest.raises(IntegrityError, match=r"school_id.*code"), transaction.atomic():
        CourseFactory(school=school_a, code="YW01")


@pytest.mark.parametrize("credit_value", [Decimal("0"), Decimal("-2")])
def test_a_course_worth_no_credits_is_refused(school_a, credit_value):
    with (
        pytest.raises(IntegrityError, match="course_credit_positive"),
        transaction.atomic(),
    ):
        CourseFactory(school=school_a, credit_value=credit_value)
