"""A batch approval whose worker dies carries on where it stopped: each approval writes the
batch's heartbeat, the sweep queues a batch running with no heartbeat for
JOB_HEARTBEAT_STALE_MINUTES again (on the batches queue), and the run skips what the batch
records as done. Each delivery of the task is counted on the batch, which fails with a
message once it has had JOB_MAX_ATTEMPTS of them."""

import datetime
import threading
from functools import partial

import pytest
from django.urls import reverse
from django.utils import timezone
from races import race
from transfer_world import drive, enrol, submit

from config import celery_app
from core import jobs as core_jobs
from transfers import tasks
from transfers.models import Application, ApplicationEvent, ApprovalBatch
from transfers.services import batches

S = Application.State
STALE = datetime.timedelta(minutes=11)
STOPPED = (
    "The batch approval stopped 3 times before it could finish. The transfers counted as "
    "approved were approved and carried out; the others were not. Approve them again, in "
    "smaller batches, or ask the system administrator for help."
)


class WorkerLost(BaseException):
    """A worker killed under the task: nothing after this point runs."""


@pytest.fixture
def recommended(world, policy):
    return [drive(world, submit(policy, enrol(world)), S.RECOMMENDED) for _ in range(2)]


def _batch(world, applications, **fields) -> ApprovalBatch:
    return ApprovalBatch.objects.create(
        created_by=world.bureau, application_ids=[a.pk for a in applications], **fields
    )


def _left_running(batch: ApprovalBatch, *, attempts: int, ago=STALE) -> ApprovalBatch:
    ApprovalBatch.objects.filter(pk=batch.pk).update(
        state=ApprovalBatch.State.RUNNING, attempts=attempts, heartbeat_at=timezone.now() - ago
    )
    batch.refresh_from_db()
    return batch


def _dies_on(monkeypatch, pks) -> list:
    """The worker dies as it approves any of ``pks``; returns the approvals attempted."""
    approve = batches.application_approve
    attempted = []

    def approve_or_die(*, actor, application):
        attempted.append(application.pk)
        if application.pk in pks:
            raise WorkerLost
        return approve(actor=actor, application=application)

    monkeypatch.setattr(batches, "application_approve", approve_or_die)
    return attempted


def _approvals(application) -> int:
    return ApplicationEvent.objects.filter(application=application, to_state=S.APPROVED).count()


def test_a_batch_whose_worker_died_is_queued_again_and_approves_nothing_twice(
    world, recommended, monkeypatch, django_capture_on_commit_callbacks
):
    first, second = recommended
    batch = _batch(world, recommended)
    _dies_on(monkeypatch, {second.pk})
    with pytest.raises(WorkerLost):
        tasks.approval_batch_process(batch.pk)
    batch.refresh_from_db()
    assert (batch.state, batch.approved_ids, batch.attempts) == ("running", [first.pk], 1)
    assert batch.heartbeat_at is not None  # written with the first approval
    monkeypatch.undo()
    _left_running(batch, attempts=1)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert batches.approval_batches_sweep(now=timezone.now()) == 1
    batch.refresh_from_db()
    assert batch.state == ApprovalBatch.State.QUEUED
    route = celery_app.amqp.router.route({}, tasks.approval_batch_process.name)
    assert route["queue"].name == "batches"

    queued[0]()

    batch.refresh_from_db()
    assert (batch.state, batch.attempts) == (ApprovalBatch.State.FINISHED, 2)
    assert batch.approved_ids == [first.pk, second.pk]
    assert (_approvals(first), _approvals(second)) == (1, 1)
    for application in recommended:
        application.refresh_from_db()
        assert application.state == S.COMPLETED


def test_a_running_batch_with_a_recent_heartbeat_is_left_alone(
    world, recommended, django_capture_on_commit_callbacks
):
    batch = _left_running(_batch(world, recommended), attempts=1, ago=datetime.timedelta(0))

    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert tasks.approval_batches_sweep() == 0

    batch.refresh_from_db()
    assert (batch.state, batch.attempts, queued) == (ApprovalBatch.State.RUNNING, 1, [])


def test_a_stale_batch_out_of_attempts_fails_with_the_message_and_is_not_queued(
    world, recommended, client, django_capture_on_commit_callbacks
):
    batch = _left_running(_batch(world, recommended), attempts=3)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert batches.approval_batches_sweep(now=timezone.now()) == 0

    batch.refresh_from_db()
    assert queued == []
    assert (batch.state, batch.error) == (ApprovalBatch.State.FAILED, STOPPED)
    client.force_login(world.bureau)
    url = reverse("transfers:approval_batch", args=[batch.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="batch-error"' in page and "stopped 3 times" in page
    assert 'data-testid="batch-approved"' not in page  # none was approved
    assert client.get(url, HTTP_ACCEPT="application/json").json()["state"] == "failed"


def test_the_task_delivered_once_past_the_maximum_fails_the_batch_instead_of_running(
    world, recommended, monkeypatch
):
    first, second = recommended
    attempted = _dies_on(monkeypatch, {second.pk})
    batch = _batch(world, recommended)

    for _ in range(3):
        with pytest.raises(WorkerLost):
            tasks.approval_batch_process(batch.pk)

    assert tasks.approval_batch_process(batch.pk) == 1  # the one approved before

    assert attempted == [first.pk, second.pk, second.pk, second.pk]
    batch.refresh_from_db()
    assert (batch.state, batch.attempts, batch.error) == (ApprovalBatch.State.FAILED, 3, STOPPED)
    assert batch.approved_ids == [first.pk]
    second.refresh_from_db()
    assert second.state == S.RECOMMENDED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_queue_a_stale_batch_once(world, recommended, monkeypatch):
    batch = _left_running(_batch(world, recommended), attempts=1)
    sent = []
    monkeypatch.setattr(
        tasks.approval_batch_process, "delay", lambda *a, **kw: sent.append((a, kw))
    )
    both_looked = threading.Barrier(2, timeout=10)
    stale = core_jobs.jobs_stale

    def look_then_wait(*args, **kwargs):
        found = stale(*args, **kwargs)
        both_looked.wait()
        return found

    monkeypatch.setattr(core_jobs, "jobs_stale", look_then_wait)

    done, _refused = race([partial(batches.approval_batches_sweep, now=timezone.now())] * 2)

    assert sorted(done) == [0, 1]
    assert sent == [((batch.pk,), {})]
    batch.refresh_from_db()
    assert batch.state == ApprovalBatch.State.QUEUED
