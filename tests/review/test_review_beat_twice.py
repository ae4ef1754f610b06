"""The review's beat tasks, each run twice at the same moment (two beats, or a beat and a
redelivery), on PostgreSQL with real threads: neither run fails, each school's review is
opened once, each school is reminded once and each of its registrars e-mailed once.

One test for both tasks, in the order a day runs them: each transactional test empties
every table afterwards, which costs more than the tasks."""

import datetime

import pytest
import races
from factories import StatusRecordFactory, UserFactory

from notifications.models import Notification
from schools.models import User
from students.models import StatusReview
from students.review.tasks import status_reviews_open, status_reviews_remind

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CHINA = datetime.timezone(datetime.timedelta(hours=8))


def _at_once(task) -> list:
    """Four runs at once rather than two: two runs seldom overlap in the few milliseconds
    where a check-then-write goes wrong, four nearly always do."""
    # As a worker runs it: the task's own body, errors raised (``apply``, not ``delay``: an
    # eager result waited on in a thread looks to Celery like a task waiting on another).
    done, refused = races.race([lambda: task.apply(throw=True).result] * 4)
    assert refused == []
    return done


def test_each_review_beat_run_twice_at_once_has_one_effect(
    time_machine, mailoutbox, term, school_a, school_b, vocational_a, registrar_a, registrar_b
):
    second_registrar = UserFactory(role=User.Role.REGISTRAR, school=school_a)
    for school in (school_a, school_b, vocational_a):  # vocational_a has no registrar
        StatusRecordFactory(school=school)

    time_machine.move_to(datetime.datetime(2024, 10, 15, 6, tzinfo=CHINA))
    opened = _at_once(status_reviews_open)

    assert sum(opened) == 3
    assert sorted(StatusReview.objects.values_list("school", flat=True)) == sorted(
        [school_a.pk, school_b.pk, vocational_a.pk]
    )

    time_machine.move_to(datetime.datetime(2024, 10, 15, 9, tzinfo=CHINA))
    reminded = _at_once(status_reviews_remind)

    assert sum(reminded) == 2
    recipients = sorted(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == sorted(["registrar_a", "registrar_b", second_registrar.username])
    assert sorted(address for message in mailoutbox for address in message.to) == sorted(
        user.email for user in (registrar_a, registrar_b, second_registrar)
    )
    assert StatusReview.objects.filter(reminded_at__isnull=False).count() == 2
