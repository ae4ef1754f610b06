"""Delivery of notifications. Each task fetches rows by id and calls a service; running one
twice is harmless. The names are the ones these tasks had in the transfers app, so messages a
broker still holds, and the beat schedule, find them."""

import smtplib

from celery import shared_task


@shared_task(
    name="transfers.tasks.deliver_notifications",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def deliver_notifications(notification_ids: list[int]) -> int:
    """Send each notification by the channels its recipient chose, each once. Returns how
    many messages were sent now; a failed channel (``DeliveryFailed``, an ``OSError``) is
    tried again with backoff."""
    from .services import notifications_deliver

    return notifications_deliver(ids=notification_ids)


@shared_task(name="transfers.tasks.deliver_pending_notifications")
def deliver_pending_notifications() -> int:
    """The sweep behind a broker outage: anything committed but not delivered goes out now."""
    from .services import notifications_deliver_pending

    return notifications_deliver_pending()
