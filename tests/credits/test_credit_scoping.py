"""Who sees which courses and credit records: the credits follow the student's visibility."""

import datetime

import pytest
from factories import CourseFactory, CreditRecordFactory, StatusRecordFactory

from credits.selectors import courses_visible_to, credit_records_visible_to
from students.models import StatusRecord


@pytest.fixture
def records(student_a, student_b, school_a, school_b):
    return {
        "student_a": CreditRecordFactory(student=student_a, course=CourseFactory(school=school_a)),
        "student_b": CreditRecordFactory(student=student_b, course=CourseFactory(school=school_b)),
    }


def _user(request, persona):
    user = request.getfixturevalue(persona)
    return getattr(user, "user", user)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("registrar_a", {"student_a"}),
        ("district_b", {"student_b"}),
        ("bureau", {"student_a", "student_b"}),
        ("bureau_other", set()),
        ("student_a", {"student_a"}),
        ("admin_user", {"student_a", "student_b"}),
    ],
)
def test_each_persona_sees_the_credit_records_of_visible_students(
    request, records, persona, expected
):
    visible = set(credit_records_visible_to(_user(request, persona)))

    assert visible == {records[name] for name in expected}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("registrar_a", {"student_a"}),
        ("district_b", {"student_b"}),
        ("bureau", {"student_a", "student_b"}),
        ("bureau_other", set()),
    ],
)
def test_each_persona_sees_the_courses_of_its_schools(request, records, persona, expected):
    visible = set(courses_visible_to(_user(request, persona)))

    assert visible == {records[name].course for name in expected}


def test_credits_earned_at_the_old_school_travel_with_a_transferred_student(
    records, student_a, registrar_b, school_b
):
    StatusRecord.objects.filter(student=student_a).update(
        state=StatusRecord.State.TRANSFERRED_OUT, end_date=datetime.date(2025, 1, 31)
    )
    StatusRecordFactory(student=student_a, school=school_b, start_date=datetime.date(2025, 2, 1))

    visible = set(credit_records_visible_to(registrar_b))

    assert visible == {records["student_a"], records["student_b"]}
    # The course itself stays the old school's: registrar B does not see school A's catalogue.
    assert records["student_a"].course not in courses_visible_to(registrar_b)
