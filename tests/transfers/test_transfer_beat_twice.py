"""The transfers' beat tasks, each run twice at the same moment (two beats, or a beat and a
redelivery), on PostgreSQL with real threads: neither run fails, each student is reminded
of the closing window once, and each message is e-mailed once. ``notify`` itself is tested
so in ``tests/test_notify_twice.py``, the review's tasks in ``tests/review``; the sweeps
that re-queue jobs whose worker died have tests of their own.

One test for both tasks: each transactional test empties every table afterwards, which
costs more than the tasks."""

import datetime

import pytest
import races
from django.conf import settings
from django.utils import timezone
from transfer_world import WINDOW_CLOSES, enrol, publish_policy, submit

from notifications.models import Notification
from notifications.tasks import deliver_pending_notifications
from transfers.tasks import remind_window_closing

#: The beat tasks whose runs twice at once are tested here and in tests/review.
TESTED_TWICE = {
    remind_window_closing.name,
    deliver_pending_notifications.name,
    "students.review_tasks.status_reviews_open",
    "students.review_tasks.status_reviews_remind",
}


def _at_once(task) -> list:
    """Four runs at once rather than two: two runs seldom overlap in the few milliseconds
    where a check-then-write goes wrong, four nearly always do."""
    # As a worker runs it: the task's own body, errors raised (``apply``, not ``delay``: an
    # eager result waited on in a thread looks to Celery like a task waiting on another).
    done, refused = races.race([lambda: task.apply(throw=True).result] * 4)
    assert refused == []
    return done


def test_every_beat_task_is_run_twice_at_once_here_or_is_a_sweep_of_dead_jobs():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled >= TESTED_TWICE
    assert all(name.endswith("_sweep") for name in scheduled - TESTED_TWICE), scheduled


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_each_transfer_beat_run_twice_at_once_has_one_effect(world, time_machine, mailoutbox):
    policy = publish_policy(world)
    waiting = [enrol(world) for _ in range(3)] + [enrol(world, school=world.vocational)]
    submit(policy, enrol(world))  # applied already: not reminded
    mailoutbox.clear()  # the messages of the application

    time_machine.move_to(WINDOW_CLOSES - datetime.timedelta(days=2))
    _at_once(remind_window_closing)

    reminders = Notification.objects.filter(dedupe_key__startswith=f"window-reminder:{policy.pk}:")
    assert sorted(reminders.values_list("recipient", flat=True)) == sorted(
        student.user_id for student in waiting
    )
    assert sorted(address for message in mailoutbox for address in message.to) == sorted(
        student.user.email for student in waiting
    )

    # Messages a broker outage left undelivered, swept by two beats at once.
    left = Notification.objects.bulk_create(
        Notification(recipient=student.user, subject="提醒", body="请查看申请。")
        for student in waiting
    )
    Notification.objects.filter(pk__in=[n.pk for n in left]).update(
        created_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    mailoutbox.clear()

    delivered = _at_once(deliver_pending_notifications)

    assert sum(delivered) == len(waiting)
    assert len(mailoutbox) == len(waiting)
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
