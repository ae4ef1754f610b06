"""Celery tasks: each fetches rows by id and calls a service; running one twice is harmless."""

import datetime
import smtplib

from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def deliver_notifications(notification_ids: list[int]) -> int:
    """E-mail each notification not yet e-mailed. Returns how many were sent now."""
    sent = 0
    for pk in notification_ids:
        with transaction.atomic():
            # Locked so two workers given the same id (a retry, a sweep) send it once.
            notification = (
                Notification.objects.select_for_update()
                .select_related("recipient")
                .filter(pk=pk, emailed_at__isnull=True)
                .first()
            )
            if notification is None:
                continue
            if notification.recipient.email:
                send_mail(
                    notification.subject,
                    notification.body,
                    None,
                    [notification.recipient.email],
                )
                sent += 1
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])
    return sent


@shared_task
def deliver_pending_notifications() -> int:
    """The sweep behind a broker outage: anything committed but not delivered goes out now."""
    cutoff = timezone.now() - datetime.timedelta(minutes=2)
    ids = list(
        Notification.objects.filter(emailed_at__isnull=True, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:1000]
    )
    return deliver_notifications(ids) if ids else 0


@shared_task
def remind_window_closing() -> int:
    """Three days before a window closes, remind eligible students who have not applied."""
    from .services.reminders import window_closing_reminders_send

    return window_closing_reminders_send(now=timezone.now())


@shared_task
def approval_batch_run(batch_id: int) -> int:
    """Carry out a queued batch approval; returns how many were approved."""
    from .models import ApprovalBatch
    from .services import approval_batch_run as run

    batch = ApprovalBatch.objects.filter(pk=batch_id).first()
    return len(run(batch=batch).approved_ids) if batch else 0
