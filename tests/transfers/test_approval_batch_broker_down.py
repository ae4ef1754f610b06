"""A batch approval queued while the broker is down neither fails the bureau's request nor
waits for ever: the batch is saved "queued", a warning is logged, and the sweep run by beat
queues it again once it has been queued JOB_QUEUED_STALE_MINUTES ago. Each transfer is then
approved exactly once, however often the task is delivered after that."""

import datetime
import logging
from functools import partial

import pytest
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError
from races import race
from transfer_world import drive, enrol, submit

from transfers import tasks
from transfers.models import Application, ApplicationEvent, ApprovalBatch
from transfers.services import batches

S = Application.State
LATER = datetime.timedelta(minutes=3)


@pytest.fixture
def recommended(world, policy):
    return [drive(world, submit(policy, enrol(world)), S.RECOMMENDED) for _ in range(2)]


@pytest.fixture
def broker_down(monkeypatch):
    """Every message refused, as kombu refuses it with Redis down; the messages refused."""
    refused: list[tuple] = []

    def refuse(*args, **kwargs):
        refused.append(args)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.approval_batch_process, "delay", refuse)
    return refused


def _approvals(application) -> int:
    return ApplicationEvent.objects.filter(application=application, to_state=S.APPROVED).count()


def _sweep(captured, *, at) -> int:
    with captured(execute=True):
        return batches.approval_batches_sweep(now=at)


def test_broker_down_queue_broker_up_each_transfer_is_approved_once(
    world, recommended, broker_down, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    captured = django_capture_on_commit_callbacks
    with caplog.at_level(logging.WARNING, logger="core.jobs"), captured(execute=True):
        batch = batches.approval_batch_start(actor=world.bureau, applications=recommended)

    batch.refresh_from_db()
    assert (batch.state, batch.attempts, batch.approved_ids) == (ApprovalBatch.State.QUEUED, 0, [])
    assert broker_down == [(batch.pk,)]
    assert f"transfers.tasks.approval_batch_run for job {batch.pk} not queued" in caplog.text

    assert _sweep(captured, at=timezone.now() + datetime.timedelta(minutes=1)) == 0
    monkeypatch.undo()  # the broker is back
    assert _sweep(captured, at=timezone.now() + LATER) == 1

    batch.refresh_from_db()
    assert (batch.state, batch.attempts) == (ApprovalBatch.State.FINISHED, 1)
    assert batch.approved_ids == [application.pk for application in recommended]
    assert [_approvals(application) for application in recommended] == [1, 1]

    # A second sweep finds nothing; the message the broker may still deliver changes nothing.
    assert _sweep(captured, at=timezone.now() + 2 * LATER) == 0
    assert tasks.approval_batch_process(batch.pk) == 2
    batch.refresh_from_db()
    assert (batch.state, batch.attempts) == (ApprovalBatch.State.FINISHED, 1)
    assert [_approvals(application) for application in recommended] == [1, 1]
    for application in recommended:
        application.refresh_from_db()
        assert application.state == S.COMPLETED


@pytest.mark.postgres  # a transactional test; SQLite's flush refuses the history's rows
@pytest.mark.django_db(transaction=True)
def test_the_batch_page_answers_while_the_broker_is_down(world, recommended, client, broker_down):
    # A real commit: the batch is queued (and refused) inside the request.
    client.force_login(world.bureau)

    response = client.post(
        reverse("transfers:approve_batch"),
        {"applications": [application.pk for application in recommended]},
    )

    batch = ApprovalBatch.objects.get()
    assert broker_down == [(batch.pk,)]
    assert response.status_code == 302
    assert response["Location"] == reverse("transfers:approval_batch", args=[batch.pk])
    assert batch.state == ApprovalBatch.State.QUEUED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_sweeps_message_beside_the_brokers_late_one_approves_each_transfer_once(
    world, recommended
):
    batch = ApprovalBatch.objects.create(
        created_by=world.bureau, application_ids=[application.pk for application in recommended]
    )

    done, _refused = race([partial(tasks.approval_batch_process, batch.pk)] * 2)

    batch.refresh_from_db()
    assert batch.state == ApprovalBatch.State.FINISHED
    assert sorted(batch.approved_ids) == sorted(application.pk for application in recommended)
    assert [_approvals(application) for application in recommended] == [1, 1]
