"""Telling people what happened: one Notification row per recipient, written in the
transaction that made the change, delivered by e-mail by a Celery task after commit."""

import datetime
import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone, translation

from core.stored_text import Piece
from schools.models import User

from .models import Delivery, Notification
from .sms import sms_backend
from .tasks import deliver_notifications as deliver_notifications_task

logger = logging.getLogger(__name__)


def with_guardians(recipients: list[User]) -> list[User]:
    """The recipients and, for each student among them, their guardians: a guardian receives
    every message their child receives."""
    students = [user.pk for user in recipients if user.role == User.Role.STUDENT]
    if not students:
        return recipients
    seen = {user.pk for user in recipients}
    guardians = [
        guardian
        for guardian in User.objects.filter(
            role=User.Role.GUARDIAN, is_active=True, wards__student_id__in=students
        ).distinct()
        if guardian.pk not in seen
    ]
    return [*recipients, *guardians]


def notify(
    *,
    recipients: list[User],
    subject: Piece,
    body: Piece,
    about: Model | None = None,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Write the notifications now; queue their delivery for when the transaction commits.

    ``subject`` and ``body`` are stored texts (``core.stored_text``): each recipient reads
    them in their own language. With ``dedupe_key`` a recipient gets the message once,
    however often it is sent."""
    recipients = with_guardians(recipients)
    if dedupe_key is None:
        created = Notification.objects.bulk_create(
            Notification(recipient=user, about=about, subject_text=subject, body_text=body)
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
                recipient=user,
                about=about,
                subject_text=subject,
                body_text=body,
                dedupe_key=keys[user.pk],
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


#: Failed attempts of one channel before it is given up (the inbox copy stays).
CHANNEL_ATTEMPTS = 8


class DeliveryFailed(OSError):
    """A channel failed for a notification; the task is retried (``autoretry_for``)."""


def masked_address(address: str) -> str:
    """An e-mail address or a mobile number as staff see it on a delivery: enough to tell
    which it was, not enough to reuse (z***@example.org, 138****5678)."""
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"{address[:3]}****{address[-4:]}" if len(address) >= 8 else "****"


def _channel_address(user: User, channel: str) -> str:
    """Where a channel reaches the user, or "" when it does not (not chosen, no address)."""
    if channel == Delivery.Channel.EMAIL:
        return user.email if user.notify_by_email and user.email else ""
    if user.notify_by_sms and user.mobile and user.mobile_verified_at is not None:
        return user.mobile
    return ""


def _send(notification: Notification, channel: str, address: str) -> str:
    """Send by one channel in the recipient's language; returns the channel's answer."""
    with translation.override(notification.recipient.language or settings.LANGUAGE_CODE):
        subject, body = notification.subject, notification.body
    if channel == Delivery.Channel.EMAIL:
        send_mail(subject, body, None, [address])
        return ""
    text = f"{subject}\n{body}"
    return sms_backend().send(to=address, text=text, message_id=f"n{notification.pk}-sms")


def _deliver_channel(pk: int, channel: str, done_field: str) -> tuple[int, bool]:
    """Deliver one notification by one channel, once: (sent, failed)."""
    with transaction.atomic():
        # Locked so two workers given the same id (a retry, a sweep) send it once.
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=pk, **{f"{done_field}__isnull": True})
            .first()
        )
        if notification is None:
            return 0, False
        now = timezone.now()
        address = _channel_address(notification.recipient, channel)
        if not address:
            setattr(notification, done_field, now)
            notification.save(update_fields=[done_field])
            return 0, False
        shown = masked_address(address)
        try:
            answer = _send(notification, channel, address)
        except (OSError, smtplib.SMTPException) as error:
            failures = (
                1
                + notification.deliveries.filter(
                    channel=channel, outcome=Delivery.Outcome.FAILED
                ).count()
            )
            gave_up = failures >= CHANNEL_ATTEMPTS
            Delivery.objects.create(
                notification=notification,
                channel=channel,
                to=shown,
                outcome=Delivery.Outcome.GAVE_UP if gave_up else Delivery.Outcome.FAILED,
                detail=type(error).__name__ + (f": {error}" if str(error) else "")[:250],
            )
            logger.warning(
                "notification %s not delivered by %s (attempt %s)", pk, channel, failures
            )
            if gave_up:
                setattr(notification, done_field, now)
                notification.save(update_fields=[done_field])
            return 0, not gave_up
        Delivery.objects.create(
            notification=notification,
            channel=channel,
            to=shown,
            outcome=Delivery.Outcome.SENT,
            detail=str(answer)[:300],
        )
        setattr(notification, done_field, now)
        notification.save(update_fields=[done_field])
        return 1, False


def notifications_deliver(*, ids: list[int]) -> int:
    """Send each notification by e-mail and SMS as its recipient chose, each channel once;
    returns how many messages went out now. A channel that failed raises
    ``DeliveryFailed`` after the others are done, so the task tries again later."""
    sent = 0
    failed = False
    for pk in ids:
        for channel, done_field in (
            (Delivery.Channel.EMAIL, "emailed_at"),
            (Delivery.Channel.SMS, "texted_at"),
        ):
            count, channel_failed = _deliver_channel(pk, channel, done_field)
            sent += count
            failed = failed or channel_failed
    if failed:
        raise DeliveryFailed(f"{sent} sent; some channels failed and are tried again")
    return sent


def notifications_deliver_pending() -> int:
    """The sweep behind a broker outage: anything committed but not delivered goes out now."""
    cutoff = timezone.now() - datetime.timedelta(minutes=2)
    ids = list(
        Notification.objects.filter(
            Q(emailed_at__isnull=True) | Q(texted_at__isnull=True), created_at__lt=cutoff
        ).values_list("pk", flat=True)[:1000]
    )
    if not ids:
        return 0
    try:
        return notifications_deliver(ids=ids)
    except DeliveryFailed:
        # Recorded on each notification; the next sweep tries those channels again.
        return 0
