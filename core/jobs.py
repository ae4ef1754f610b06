"""Long jobs kept on a row and carried out by a Celery task (an import, a batch approval).

The row has a ``state``, a ``heartbeat_at`` written with each step of progress and an
``attempts`` counter. Each delivery of the task counts itself on the row before it runs, in
one conditional UPDATE, so a message redelivered for ever (its worker killed for memory, with
``task_reject_on_worker_lost``) stops after ``JOB_MAX_ATTEMPTS``. A sweep run by beat finds
the jobs still "running" whose heartbeat is older than ``JOB_HEARTBEAT_STALE_MINUTES`` (their
whole worker died; the broker would wait out its visibility timeout) and queues them again,
or fails them once they have had their attempts. It also queues again the jobs still
"queued" ``JOB_QUEUED_STALE_MINUTES`` after they were queued: their message never reached
the broker (it was down when the job was queued) or the broker lost it.

A job is queued when the transaction that wrote it commits (``job_queue_on_commit``), and a
broker that is down then does not fail the user's request: the job stays "queued" for the
sweep. A message sent twice (the sweep's beside one the broker was slow to deliver) runs the
job's work once: the first delivery marks the job running, and a later one finds it done and
does nothing; the jobs' own services make a run alongside another apply nothing twice.
"""

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from kombu.exceptions import KombuError

logger = logging.getLogger(__name__)


def attempts_max() -> int:
    """How many deliveries of its task a job gets before it fails."""
    return settings.JOB_MAX_ATTEMPTS


def stale_after() -> datetime.timedelta:
    """A running job with no heartbeat for this long has lost its worker."""
    return datetime.timedelta(minutes=settings.JOB_HEARTBEAT_STALE_MINUTES)


def queued_stale_after() -> datetime.timedelta:
    """A job still queued this long after it was queued has no message at the broker."""
    return datetime.timedelta(minutes=settings.JOB_QUEUED_STALE_MINUTES)


def job_queue_on_commit(task, pk: int, **kwargs) -> None:
    """Queue ``task`` for the job ``pk`` when the current transaction commits. A broker that
    does not answer is logged, not raised: the job is committed as "queued", and the sweep
    queues it again once the broker is back (``jobs_queued_stale``)."""
    transaction.on_commit(lambda: _send(task, pk, kwargs))


def _send(task, pk: int, kwargs: dict) -> None:
    try:
        task.delay(pk, **kwargs)
    # Kombu raises its own OperationalError for a broker down or refusing; only those are
    # caught, so an eagerly run task's own error still reaches the caller (tests, the demo).
    except (KombuError, OSError):
        logger.warning(
            "%s for job %s not queued; the sweep queues it again", task.name, pk, exc_info=True
        )


def job_delivery_count(jobs: QuerySet, *, pk: int, may_run: Sequence[str], running: str) -> bool:
    """Count one delivery of a job's task and mark the job running, if it may run: it is in
    one of ``may_run`` and has attempts left. One conditional UPDATE, so two deliveries at
    once each count, and a job done or failed meanwhile is left as it is."""
    counted = jobs.filter(pk=pk, state__in=may_run, attempts__lt=attempts_max()).update(
        state=running, attempts=F("attempts") + 1, heartbeat_at=timezone.now()
    )
    return counted == 1


def job_exhausted_fail(
    jobs: QuerySet, *, pk: int, may_run: Sequence[str], failed: str, **fields
) -> bool:
    """Fail a job that could still run but has had all its attempts, writing ``fields`` (its
    message); ``False`` when the job was not in that case (done, failed, or not yet tried)."""
    return (
        jobs.filter(pk=pk, state__in=may_run, attempts__gte=attempts_max()).update(
            state=failed, **fields
        )
        == 1
    )


@dataclass
class Swept:
    """What a sweep found: the jobs it queued again (the caller queues their tasks) and those
    out of attempts (the caller fails them with its own message)."""

    requeued: list = field(default_factory=list)
    exhausted: list = field(default_factory=list)


def jobs_stale(jobs: QuerySet, *, running: str, now: datetime.datetime) -> list[Any]:
    """The running jobs whose heartbeat is stale, locked. A row another transaction holds is
    skipped, not waited for: its job is alive (an import's commit holds its row while it
    writes), or another sweep has it."""
    cutoff = now - stale_after()
    stale = jobs.filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True), state=running)
    return list(stale.select_for_update(skip_locked=True).order_by("pk"))


def jobs_queued_stale(jobs: QuerySet, *, queued: str, now: datetime.datetime) -> list[Any]:
    """The queued jobs queued longer ago than ``JOB_QUEUED_STALE_MINUTES``, locked, skipping
    rows another transaction holds. A job is queued at its ``heartbeat_at`` when it has one
    (a stage queued after another, a job the sweep queued again), else at its creation."""
    cutoff = now - queued_stale_after()
    stale = jobs.alias(queued_at=Coalesce("heartbeat_at", "created_at")).filter(
        state=queued, queued_at__lt=cutoff
    )
    return list(stale.select_for_update(skip_locked=True).order_by("pk"))


def jobs_sweep(jobs: QuerySet, *, running: str, queued: str, now: datetime.datetime) -> Swept:
    """Queue again (mark ``queued``, queued now) each stale running job and each job queued
    too long ago, with attempts left; return them, and those out of attempts, for the caller
    to queue or fail in the same transaction. Two sweeps at once take each job once (see
    ``jobs_stale``); a job queued again now is not stale again until its time has passed."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("jobs_sweep runs inside the caller's transaction")
    swept = Swept()
    for state, found in (
        (running, jobs_stale(jobs, running=running, now=now)),
        (queued, jobs_queued_stale(jobs, queued=queued, now=now)),
    ):
        again: list[Any] = []
        for job in found:
            (swept.exhausted if job.attempts >= attempts_max() else again).append(job)
        if again:
            jobs.filter(pk__in=[job.pk for job in again], state=state).update(
                state=queued, heartbeat_at=now
            )
        swept.requeued += again
    return swept
