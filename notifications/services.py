"""Telling people what happened: one Notification row per recipient, written in the
transaction that made the change, delivered by e-mail by a Celery task after commit."""

import datetime
import logging

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from schools.models import User

from .models import Notification
from .tasks import deliver_notifications as deliver_notifications_task

logger = logging.getLogger(__name__)


def notify(
    *,
    recipients: list[User],
    subject: str,
    body: str,
    about: Model | None = None,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Write the notifications now; queue their delivery for when the transaction commits.

    With ``dedupe_key`` a recipient gets the message once, however often it is sent."""
    if dedupe_key is None:
        created = Notification.objects.bulk_create(
            Notification(recipient=user, about=about, subject=subject, body=body)
            for user in recipients
        )
        ids = [row.pk for row in created if row.pk is not None]
    else:
        keys = {user.pk: f"{dedupe_key}:{user.pk}" for user in recipients}
        existing = set(
            Notification.objects.filter(dedupe_key__in=keys.values()).values_list(
                "dedupe_key", flat=True
            )
        )
        rows = [
            Notification(
                recipient=user, about=about, subject=subject, body=body, dedupe_key=keys[user.pk]
            )
            for user in recipients
            if keys[user.pk] not in existing
        ]
        # Two senders at once (two beats, a retried task) both find a key free: the database's
        # unique key keeps one row, and the other sender skips it instead of failing.
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        created = list(
            Notification.objects.filter(
                dedupe_key__in=[row.dedupe_key for row in rows], emailed_at__isnull=True
            )
        )
        ids = [row.pk for row in created]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return created


def _enqueue(ids: list[int]) -> None:
    try:
        deliver_notifications_task.delay(ids)
    except Exception:  # noqa: BLE001 - a broker outage must not break the user's action
        # The rows are committed; the periodic sweep delivers them when the broker is back.
        logger.warning("notification delivery not queued", exc_info=True)


def notifications_mark_read(*, user: User, ids: list[int]) -> int:
    """Mark the user's own messages among ``ids`` as read; returns how many changed."""
    return Notification.objects.filter(recipient=user, pk__in=ids, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_deliver(*, ids: list[int]) -> int:
    """E-mail each notification not yet e-mailed; returns how many were sent now."""
    sent = 0
    for pk in ids:
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


def notifications_deliver_pending() -> int:
    """The sweep behind a broker outage: anything committed but not delivered goes out now."""
    cutoff = timezone.now() - datetime.timedelta(minutes=2)
    ids = list(
        Notification.objects.filter(emailed_at__isnull=True, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:1000]
    )
    return notifications_deliver(ids=ids) if ids else 0
