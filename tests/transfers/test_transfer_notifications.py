"""Telling people (rule 10): each transition writes its notifications in its own transaction;
a Celery task e-mails them after commit, once each, and a periodic sweep delivers what a
broker outage left behind. The window-closing reminder goes out once per student."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError
from transfer_world import WINDOW_CLOSES, enrol, submit

from notifications import tasks as delivery
from notifications.models import Notification
from transfers import services, tasks
from transfers.models import Application
from transfers.services.reminders import window_closing_reminders_send

S = Application.State


@pytest.fixture
def concerned(world, applicant):
    """Everyone a transition of the applicant's application is reported to."""
    return {
        applicant.user,
        world.registrar_general,
        world.registrar_vocational,
        world.district,
        world.bureau,
    }


def test_a_submission_notifies_everyone_concerned_and_nobody_else(
    world, policy, applicant, concerned
):
    application = submit(policy, applicant)

    rows = Notification.objects.filter(application=application)
    assert {row.recipient for row in rows} == concerned
    assert rows.count() == len(concerned)
    assert all(str(application.pk) in row.subject and "Submitted" in row.subject for row in rows)
    assert all(row.emailed_at is None for row in rows)  # nothing was committed, nothing sent


def test_a_rolled_back_transition_leaves_no_notification(world, policy, applicant):
    application = submit(policy, applicant)
    before = Notification.objects.count()

    with pytest.raises(RuntimeError, match="after the transition"), transaction.atomic():
        services.application_confirm_eligibility(
            actor=world.registrar_general, application=application, eligible=True
        )
        assert Notification.objects.count() > before  # written in the same transaction
        raise RuntimeError("something failed after the transition")

    application.refresh_from_db()
    assert application.state == S.SUBMITTED
    assert Notification.objects.count() == before


def test_notifications_are_emailed_after_commit(
    world, policy, applicant, concerned, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        application = submit(policy, applicant)

    assert len(callbacks) == 1  # one delivery task for the transition's rows
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted(user.email for user in concerned)
    assert all(str(application.pk) in mail.subject for mail in mailoutbox)
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_delivering_the_same_notifications_twice_sends_each_mail_once(
    world, policy, applicant, concerned, mailoutbox
):
    submit(policy, applicant)
    ids = list(Notification.objects.values_list("pk", flat=True))

    first = delivery.deliver_notifications.delay(ids).get()
    second = delivery.deliver_notifications.delay(ids).get()

    assert (first, second) == (len(concerned), 0)
    assert len(mailoutbox) == len(concerned)
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_a_recipient_without_an_email_address_is_marked_done_without_a_mail(
    world, policy, applicant, mailoutbox
):
    world.district.email = ""
    world.district.save(update_fields=["email"])
    submit(policy, applicant)
    ids = list(Notification.objects.values_list("pk", flat=True))

    sent = delivery.deliver_notifications(ids)

    assert sent == len(ids) - 1
    assert len(mailoutbox) == sent
    assert Notification.objects.get(recipient=world.district).emailed_at is not None


def test_a_broker_outage_does_not_break_the_transition_and_the_sweep_delivers_later(
    world,
    policy,
    applicant,
    concerned,
    mailoutbox,
    monkeypatch,
    time_machine,
    django_capture_on_commit_callbacks,
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(delivery.deliver_notifications, "delay", broker_down)
    time_machine.move_to(timezone.now(), tick=False)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        application = submit(policy, applicant)

    assert len(callbacks) == 1  # the delivery was tried, and failed
    application.refresh_from_db()
    assert application.state == S.SUBMITTED
    waiting = Notification.objects.filter(application=application, emailed_at__isnull=True)
    assert waiting.count() == len(concerned)
    assert mailoutbox == []

    # The sweep leaves rows alone while their own task may still be on its way...
    assert delivery.deliver_pending_notifications() == 0
    # ...and delivers them a few minutes later.
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=3))
    assert delivery.deliver_pending_notifications() == len(concerned)
    assert len(mailoutbox) == len(concerned)
    assert not waiting.exists()
    assert delivery.deliver_pending_notifications() == 0
    assert len(mailoutbox) == len(concerned)


# --- the window-closing reminder -------------------------------------------------------------

THREE_DAYS_BEFORE_CLOSING = WINDOW_CLOSES - datetime.timedelta(days=2)


def test_an_eligible_student_who_has_not_applied_is_reminded_once(world, policy, applicant):
    waiting = enrol(world, name="王五")
    submit(policy, applicant)
    enrol(world, in_class=False)  # not an integration-class student: no reminder
    enrol(world, school=world.other_pairing.general_school, in_class=False)

    sent = window_closing_reminders_send(now=THREE_DAYS_BEFORE_CLOSING)

    reminders = Notification.objects.filter(dedupe_key__startswith="window-reminder")
    assert sent == 1
    assert [row.recipient for row in reminders] == [waiting.user]
    assert "2025-02-10 17:00" in reminders.get().subject
    assert (
        window_closing_reminders_send(now=THREE_DAYS_BEFORE_CLOSING + datetime.timedelta(hours=1))
        == 0
    )
    assert reminders.count() == 1


@pytest.mark.parametrize(
    "now",
    [WINDOW_CLOSES - datetime.timedelta(days=4), WINDOW_CLOSES + datetime.timedelta(minutes=1)],
    ids=["too-early", "window-closed"],
)
def test_no_reminder_outside_the_last_three_days(world, policy, now):
    enrol(world)

    assert window_closing_reminders_send(now=now) == 0
    assert not Notification.objects.exists()


def test_the_periodic_task_reminds_at_the_current_time(world, policy, time_machine):
    student = enrol(world)
    time_machine.move_to(THREE_DAYS_BEFORE_CLOSING)

    assert tasks.remind_window_closing.delay().get() == 1
    assert Notification.objects.get().recipient == student.user
