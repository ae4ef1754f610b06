"""The beat tasks: each term's reviews open by themselves (twice is the same as once), and
the registrars of schools that have not finished are reminded, at most once a day."""

import datetime

import pytest
from django.conf import settings
from factories import StatusRecordFactory, TermFactory, UserFactory

from config import celery_app
from notifications.models import Notification
from schools.models import User
from students.models import StatusReview
from students.review.services import review_finish, review_open
from students.review.tasks import status_reviews_open, status_reviews_remind

CHINA = datetime.timezone(datetime.timedelta(hours=8))


def _at(time_machine, day: datetime.date, hour: int = 9) -> None:
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(hour), tzinfo=CHINA))


def test_the_beat_schedule_runs_both_registered_tasks():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    for task in (status_reviews_open, status_reviews_remind):
        assert task.name in scheduled
        assert task.name in celery_app.tasks  # registered by StudentsConfig.ready


# --- opening ----------------------------------------------------------------------------


@pytest.fixture
def registered(student_a, student_b, school_other):
    StatusRecordFactory(school=school_other)


def test_the_task_opens_this_terms_review_for_every_school_with_students(
    time_machine, term, registered, school_a, school_b, school_other, vocational_a
):
    TermFactory(semester=2)  # not today's term
    _at(time_machine, datetime.date(2024, 9, 1), hour=6)

    opened = status_reviews_open.delay().get()

    assert opened == 3
    assert set(StatusReview.objects.values_list("school", "term")) == {
        (school_a.pk, term.pk),
        (school_b.pk, term.pk),
        (school_other.pk, term.pk),
    }  # not vocational_a: nobody is registered there


def test_opening_twice_gives_the_same_rows(time_machine, term, registered):
    _at(time_machine, datetime.date(2024, 10, 15))
    status_reviews_open.delay()
    first = sorted(StatusReview.objects.values_list("pk", "school", "term", "opened_at"))

    again = status_reviews_open.delay().get()

    assert again == 0
    assert sorted(StatusReview.objects.values_list("pk", "school", "term", "opened_at")) == first


def test_a_school_registered_later_in_the_term_gets_its_review_on_the_next_run(
    time_machine, term, student_a, vocational_a
):
    _at(time_machine, datetime.date(2024, 10, 15))
    status_reviews_open.delay()
    StatusRecordFactory(school=vocational_a)

    assert status_reviews_open.delay().get() == 1
    assert StatusReview.objects.filter(school=vocational_a, term=term).exists()


def test_between_terms_nothing_opens(time_machine, term, registered):
    _at(time_machine, datetime.date(2025, 2, 1))  # winter break

    assert status_reviews_open.delay().get() == 0
    assert not StatusReview.objects.exists()


# --- reminding --------------------------------------------------------------------------


@pytest.fixture
def second_registrar_a(school_a):
    return UserFactory(role=User.Role.REGISTRAR, school=school_a)


def _reminded() -> list:
    return sorted(Notification.objects.values_list("recipient__username", flat=True))


def test_only_the_registrars_of_unfinished_schools_are_reminded(
    time_machine, review_a, review_b, registrar_a, registrar_b, second_registrar_a, district_a
):
    review_finish(actor=registrar_b, review=review_b)
    UserFactory(role=User.Role.REGISTRAR, school=review_a.school, is_active=False)
    _at(time_machine, datetime.date(2024, 10, 15))

    reminded = status_reviews_remind.delay().get()

    assert reminded == 1
    assert _reminded() == sorted(["registrar_a", second_registrar_a.username])
    review_a.refresh_from_db()
    assert review_a.reminded_at is not None
    note = Notification.objects.filter(recipient=registrar_a).get()
    assert note.subject == "Status review of 2024–2025 First semester: 0 of 0 confirmed"
    assert review_a.school.name in note.body


def test_a_school_is_reminded_once_a_day(time_machine, review_a, registrar_a, students_a):
    _at(time_machine, datetime.date(2024, 10, 15), hour=9)
    assert status_reviews_remind.delay().get() == 1

    _at(time_machine, datetime.date(2024, 10, 15), hour=23)
    assert status_reviews_remind.delay().get() == 0
    assert len(_reminded()) == 1

    _at(time_machine, datetime.date(2024, 10, 16), hour=9)
    assert status_reviews_remind.delay().get() == 1
    assert _reminded() == ["registrar_a", "registrar_a"]
    assert "0 of 3 confirmed" in Notification.objects.first().subject


def test_a_finished_school_is_not_reminded_again(time_machine, review_a, registrar_a):
    _at(time_machine, datetime.date(2024, 10, 15))
    status_reviews_remind.delay()
    review_finish(actor=registrar_a, review=review_a)

    _at(time_machine, datetime.date(2024, 10, 16))

    assert status_reviews_remind.delay().get() == 0
    assert len(_reminded()) == 1


def test_a_past_terms_open_review_is_not_reminded(time_machine, term, school_a, registrar_a):
    spring = TermFactory(semester=2)
    review_open(school=school_a, term=term)  # never finished
    _at(time_machine, datetime.date(2025, 3, 10))  # spring term, no spring review

    assert status_reviews_remind.delay().get() == 0
    assert _reminded() == []
    assert spring  # the term exists; only its review does not


def test_opening_a_schools_review_again_returns_the_same_row(term, school_a):
    first = review_open(school=school_a, term=term)

    assert review_open(school=school_a, term=term) == first
    assert StatusReview.objects.count() == 1
