"""The bureau's batch approval: queued, carried out by a Celery task an application at a
time, and queued again by a sweep if its worker dies (``core.jobs``)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.exceptions import NotFound
from core.jobs import (
    attempts_max,
    job_delivery_count,
    job_exhausted_fail,
    job_queue_on_commit,
    jobs_sweep,
)
from schools.models import User

from ..models import Application, ApprovalBatch
from ..tasks import approval_batch_process as approval_batch_run_task
from .applications import application_approve

#: The states in which a delivery of the task may run the batch.
MAY_RUN = (ApprovalBatch.State.QUEUED, ApprovalBatch.State.RUNNING)


def approval_batch_start(*, actor: User, applications) -> ApprovalBatch:
    """Queue a batch approval; a Celery task carries it out and records its progress."""
    if actor.role != User.Role.BUREAU:
        raise PermissionDenied
    ids = [application.pk for application in applications]
    if not ids:
        raise ValidationError(_("Tick the transfers to approve."))
    batch = ApprovalBatch.objects.create(created_by=actor, application_ids=ids)
    # A broker that is down leaves the batch queued for the sweep, not the request failed.
    job_queue_on_commit(approval_batch_run_task, batch.pk)
    return batch


def approval_batch_run(*, batch: ApprovalBatch) -> ApprovalBatch:
    """Approve each application of the batch, each in its own transaction so one refusal
    stops no other. Each run is counted on the batch before it starts: past
    ``JOB_MAX_ATTEMPTS`` the batch fails with a message instead of running again. Safe to
    run again: what was already processed is skipped, and a batch that finished or failed
    is left as it is."""
    if not job_delivery_count(
        ApprovalBatch.objects.all(),
        pk=batch.pk,
        may_run=MAY_RUN,
        running=ApprovalBatch.State.RUNNING,
    ):
        _out_of_attempts_fail(pk=batch.pk)
        return ApprovalBatch.objects.get(pk=batch.pk)
    actor = batch.created_by
    for pk in batch.application_ids:
        with transaction.atomic():
            # Locked, and read again, so that two runs of the batch at once (a delivery the
            # sweep queued again beside the broker's own) approve each application once.
            batch = ApprovalBatch.objects.select_for_update().get(pk=batch.pk)
            if pk in batch.processed_ids():
                continue
            application = Application.objects.filter(pk=pk).select_related("student").first()
            try:
                if application is None:
                    raise NotFound
                with transaction.atomic():
                    application_approve(actor=actor, application=application)
            except (ValidationError, PermissionDenied, NotFound) as exc:
                batch.refusals.append(
                    {
                        "id": pk,
                        "student": application.student.name if application else "",
                        "reason": " ".join(getattr(exc, "messages", None) or [_("Not found.")]),
                    }
                )
            else:
                batch.approved_ids.append(pk)
            batch.heartbeat_at = timezone.now()
            batch.save(update_fields=["approved_ids", "refusals", "heartbeat_at"])
    ApprovalBatch.objects.filter(pk=batch.pk).update(state=ApprovalBatch.State.FINISHED, error="")
    batch.refresh_from_db()
    return batch


@transaction.atomic
def approval_batches_sweep(*, now: datetime.datetime) -> int:
    """Queue again, on the batches queue, each batch left running by a worker that died (no
    progress for ``JOB_HEARTBEAT_STALE_MINUTES``) and each batch queued
    ``JOB_QUEUED_STALE_MINUTES`` ago that no worker has taken (queued while the broker was
    down), and fail those that have had their attempts. Running a batch again approves
    nothing twice: each approval is one transaction that records it on the batch, and the
    run skips what the batch records. Safe to run twice at once. Returns how many were
    queued again."""
    batches = ApprovalBatch.objects.only("state", "attempts", "heartbeat_at")
    swept = jobs_sweep(
        batches, running=ApprovalBatch.State.RUNNING, queued=ApprovalBatch.State.QUEUED, now=now
    )
    for batch in swept.requeued:
        job_queue_on_commit(approval_batch_run_task, batch.pk)
    for batch in swept.exhausted:
        _out_of_attempts_fail(pk=batch.pk)
    return len(swept.requeued)


def _out_of_attempts_fail(*, pk: int) -> bool:
    count = attempts_max()
    error = ngettext(
        "The batch approval stopped %(count)d time before it could finish. The transfers "
        "counted as approved were approved and carried out; the others were not. Approve "
        "them again, in smaller batches, or ask the system administrator for help.",
        "The batch approval stopped %(count)d times before it could finish. The transfers "
        "counted as approved were approved and carried out; the others were not. Approve "
        "them again, in smaller batches, or ask the system administrator for help.",
        count,
    ) % {"count": count}
    return job_exhausted_fail(
        ApprovalBatch.objects.all(),
        pk=pk,
        may_run=MAY_RUN,
        failed=ApprovalBatch.State.FAILED,
        error=error,
    )
