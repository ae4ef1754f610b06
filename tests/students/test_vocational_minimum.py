"""After a move from a general to a vocational school the student studies there at least a
year and a half before its diploma (national rule, issue 14 item 4): the student's record
says from when the diploma is possible."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from factories import StatusRecordFactory, StudentFactory, UserFactory

from schools.models import User
from students.models import StatusRecord
from students.selectors import vocational_diploma_from

pytestmark = pytest.mark.django_db

MOVED_ON = datetime.date(2025, 2, 1)


def _moved(from_school, from_track, to_school, to_track):
    """A student registered at ``from_school`` in 2024 who moved to ``to_school`` on
    ``MOVED_ON``."""
    student = StudentFactory()
    StatusRecordFactory(
        student=student,
        school=from_school,
        track=from_track,
        start_date=datetime.date(2024, 9, 1),
        state=StatusRecord.State.TRANSFERRED_OUT,
        end_date=MOVED_ON,
        reason="转出",
    )
    StatusRecordFactory(student=student, school=to_school, track=to_track, start_date=MOVED_ON)
    return student


def test_a_move_to_a_vocational_school_shows_the_earliest_diploma_date(
    client, school_a, vocational_a
):
    student = _moved(school_a, "general", vocational_a, "vocational")
    registrar = UserFactory(role=User.Role.REGISTRAR, school=vocational_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(registrar)

    page = client.get(reverse("students:detail", args=[student.pk])).content.decode()

    assert vocational_diploma_from(student.status_records.all()) == datetime.date(2026, 8, 1)
    assert "diploma is possible from 2026-08-01" in page


def test_no_date_without_a_move_from_a_general_school(school_a, vocational_a):
    direct = StudentFactory()
    StatusRecordFactory(student=direct, school=vocational_a, track="vocational")
    other_way = _moved(vocational_a, "vocational", school_a, "general")

    assert vocational_diploma_from(direct.status_records.all()) is None
    assert vocational_diploma_from(other_way.status_records.all()) is None
