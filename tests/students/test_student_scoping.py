"""Who sees which students: staff see students registered in their scope, a student sees
only themselves, and "not yours" is a 404 like "does not exist"."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from factories import StatusRecordFactory, StudentFactory, UserFactory

from core.exceptions import NotFound
from students.models import StatusRecord
from students.selectors import (
    status_records_visible_to,
    student_get_for_user,
    students_visible_to,
)


@pytest.fixture
def students(student_a, student_b, school_other):
    student_other = StudentFactory(name="王五")
    StatusRecordFactory(student=student_other, school=school_other)
    return {"student_a": student_a, "student_b": student_b, "student_other": student_other}


def _user(request, persona):
    user = request.getfixturevalue(persona)
    return getattr(user, "user", user)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("registrar_a", {"student_a"}),
        ("registrar_b", {"student_b"}),
        ("district_a", {"student_a"}),
        ("district_b", {"student_b"}),
        ("bureau", {"student_a", "student_b"}),
        ("bureau_other", {"student_other"}),
        ("admin_user", {"student_a", "student_b", "student_other"}),
        ("student_a", {"student_a"}),
        ("student_b", {"student_b"}),
    ],
)
def test_each_persona_sees_the_students_of_its_scope(request, students, persona, expected):
    visible = list(students_visible_to(_user(request, persona)))

    assert sorted(s.pk for s in visible) == sorted(students[name].pk for name in expected)


def test_a_student_does_not_see_a_classmate(student_a, school_a):
    classmate = StudentFactory(name="赵六")
    StatusRecordFactory(student=classmate, school=school_a)

    assert list(students_visible_to(student_a.user)) == [student_a]
    assert list(status_records_visible_to(student_a.user)) == list(student_a.status_records.all())


def test_an_anonymous_visitor_sees_no_student(students):
    assert not students_visible_to(AnonymousUser()).exists()
    assert not status_records_visible_to(AnonymousUser()).exists()


def test_a_student_login_without_a_student_record_sees_no_one(students):
    assert not students_visible_to(UserFactory()).exists()


def test_a_transferred_student_stays_visible_to_the_school_they_left(
    student_a, registrar_a, registrar_b, school_b
):
    StatusRecord.objects.filter(student=student_a).update(
        state=StatusRecord.State.TRANSFERRED_OUT, end_date=datetime.date(2025, 1, 31)
    )
    StatusRecordFactory(student=student_a, school=school_b, start_date=datetime.date(2025, 2, 1))

    assert student_a in students_visible_to(registrar_a)
    assert student_a in students_visible_to(registrar_b)


def test_the_whole_history_travels_with_the_student(student_a, registrar_b, school_a, school_b):
    StatusRecord.objects.filter(student=student_a).update(
        state=StatusRecord.State.TRANSFERRED_OUT, end_date=datetime.date(2025, 1, 31)
    )
    StatusRecordFactory(student=student_a, school=school_b, start_date=datetime.date(2025, 2, 1))

    schools = {r.school for r in status_records_visible_to(registrar_b).filter(student=student_a)}

    assert schools == {school_a, school_b}


def test_a_student_with_several_records_is_listed_once(student_a, school_a, bureau):
    StatusRecordFactory(student=student_a, school=school_a, closed=True)

    assert list(students_visible_to(bureau).filter(pk=student_a.pk)) == [student_a]


def test_student_get_for_user_returns_a_student_in_scope(student_a, registrar_a):
    assert student_get_for_user(user=registrar_a, pk=student_a.pk) == student_a


@pytest.mark.parametrize("persona", ["registrar_a", "district_a", "bureau_other", "student_a"])
def test_student_get_for_user_404s_for_a_student_out_of_scope(request, student_b, persona):
    with pytest.raises(NotFound):
        student_get_for_user(user=_user(request, persona), pk=student_b.pk)


def test_student_get_for_user_404s_the_same_for_a_missing_student(registrar_a, student_b):
    with pytest.raises(NotFound):
        student_get_for_user(user=registrar_a, pk=student_b.pk + 1000)
