"""Celery tasks: each fetches rows by id and calls a service inside its body; running one
twice is harmless. Every task's name is explicit and is the one it has always had, so moving
a module never renames a task that a broker still holds."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="transfers.tasks.remind_window_closing")
def remind_window_closing() -> int:
    """Three days before a window closes, remind eligible students who have not applied."""
    from .services.reminders import window_closing_reminders_send

    return window_closing_reminders_send(now=timezone.now())


@shared_task(name="transfers.tasks.approval_batch_run")
def approval_batch_process(batch_id: int) -> int:
    """Carry out a queued batch approval; returns how many were approved. Each delivery is
    counted on the batch, and past ``JOB_MAX_ATTEMPTS`` the batch fails instead of running."""
    from .models import ApprovalBatch
    from .services import approval_batch_run

    batch = ApprovalBatch.objects.filter(pk=batch_id).first()
    return len(approval_batch_run(batch=batch).approved_ids) if batch else 0


@shared_task(name="transfers.tasks.approval_batches_sweep")
def approval_batches_sweep() -> int:
    """Run by beat: queue again the batch approvals whose worker died while they ran;
    returns how many. Two runs at once queue each batch once."""
    from .services import approval_batches_sweep as sweep

    return sweep(now=timezone.now())
