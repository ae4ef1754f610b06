"""Who sees a student's whole ID-card and student numbers (students.privacy): the student,
and the registrar of the student's school (of the active registration, or of the latest one
when none is active); everyone else sees them masked."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from factories import StatusRecordFactory, StudentFactory, UserFactory

from core.masking import mask_identity_numbers_in
from schools.models import User
from students.models import StatusRecord
from students.privacy import (
    masked_id_card_number,
    masked_student_number,
    number_policy,
    numbers_seen_among,
    sees_numbers_of,
    student_number_for,
)

pytestmark = pytest.mark.django_db


def _moved(student, *, from_school, to_school):
    """The student's registration at ``from_school`` closed and one at ``to_school`` opened."""
    record = student.status_records.get(state=StatusRecord.State.ACTIVE)
    StatusRecord.objects.filter(pk=record.pk).update(
        state=StatusRecord.State.TRANSFERRED_OUT, end_date=datetime.date(2025, 2, 1)
    )
    StatusRecordFactory(student=student, school=to_school, start_date=datetime.date(2025, 2, 2))


def test_the_masks_keep_the_region_and_the_last_four():
    assert masked_id_card_number("33011020100301101X") == "330110********101X"
    assert masked_student_number("G33011020100301101X") == "G330110********101X"


def test_numbers_in_a_message_are_masked_and_the_rest_kept():
    text = "张三 G33011020100301101X 与 330110201003011028 重复；编号 12345"
    assert mask_identity_numbers_in(text) == (
        "张三 G330110********101X 与 330110********1028 重复；编号 12345"
    )


def test_the_student_and_their_registrar_see_the_numbers_whole(student_a, registrar_a):
    assert sees_numbers_of(student_a.user, student_a)
    assert sees_numbers_of(registrar_a, student_a)
    assert student_number_for(registrar_a, student_a) == student_a.student_number


@pytest.mark.parametrize(
    "persona", ["district_a", "bureau", "admin_user", "registrar_b", "student_b"]
)
def test_everyone_else_sees_them_masked(request, student_a, persona):
    viewer = request.getfixturevalue(persona)
    viewer = viewer if isinstance(viewer, User) else viewer.user

    assert not sees_numbers_of(viewer, student_a)
    assert student_number_for(viewer, student_a) == masked_student_number(student_a.student_number)


def test_after_a_transfer_the_new_school_sees_them_and_the_old_school_does_not(
    student_a, school_a, vocational_a, registrar_a
):
    receiving = UserFactory(role=User.Role.REGISTRAR, school=vocational_a)
    assert not sees_numbers_of(receiving, student_a)  # while the student applies

    _moved(student_a, from_school=school_a, to_school=vocational_a)

    assert sees_numbers_of(UserFactory(role=User.Role.REGISTRAR, school=vocational_a), student_a)
    assert not sees_numbers_of(UserFactory(role=User.Role.REGISTRAR, school=school_a), student_a)


def test_with_no_active_registration_the_latest_school_sees_them(school_a, school_b):
    student = StudentFactory()
    StatusRecordFactory(
        student=student, school=school_a, closed=True, start_date=datetime.date(2023, 9, 1)
    )
    StatusRecordFactory(
        student=student, school=school_b, closed=True, start_date=datetime.date(2024, 9, 1)
    )

    assert sees_numbers_of(UserFactory(role=User.Role.REGISTRAR, school=school_b), student)
    assert not sees_numbers_of(UserFactory(role=User.Role.REGISTRAR, school=school_a), student)


def test_a_superuser_with_a_school_still_sees_them_masked(student_a, school_a):
    superuser = UserFactory(role=User.Role.REGISTRAR, school=school_a, is_superuser=True)
    assert not sees_numbers_of(superuser, student_a)


def test_a_list_is_decided_in_one_query_for_a_registrar_and_none_for_others(
    school_a, registrar_a, district_a
):
    students = StudentFactory.create_batch(30)
    for student in students:
        StatusRecordFactory(student=student, school=school_a)
    ids = [student.pk for student in students]

    with CaptureQueriesContext(connection) as registrar_queries:
        seen = numbers_seen_among(registrar_a, ids)
        for student in students:
            number_policy(registrar_a).student_number(student)
    with CaptureQueriesContext(connection) as district_queries:
        assert numbers_seen_among(district_a, ids) == set()

    assert seen == set(ids)
    assert len(registrar_queries) == 1
    assert len(district_queries) == 0


def test_str_of_a_student_or_their_account_shows_the_number_masked(student_a, registrar_a):
    account = student_a.user
    account.username = student_a.student_number
    account.first_name = account.last_name = ""  # as the national system makes it

    assert str(student_a) == f"张三 ({masked_student_number(student_a.student_number)})"
    assert str(account) == masked_student_number(student_a.student_number)
    assert account.signature == masked_student_number(student_a.student_number)
    assert str(registrar_a) == "registrar_a"  # staff accounts are no secret
