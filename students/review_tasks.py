"""The semester status review's periodic tasks (rule 8), run by Celery beat.

Registered from ``StudentsConfig.ready`` (Celery's autodiscovery looks only for ``tasks``
modules). Both are idempotent: beat running one twice, or two beats at once, changes nothing.
"""

from celery import shared_task
from django.utils import timezone

from .review_services import review_reminders_send, reviews_open_due


@shared_task
def status_reviews_open() -> int:
    """Open this term's review for every school with registered students; returns how many
    were opened now."""
    return reviews_open_due(today=timezone.localdate())


@shared_task
def status_reviews_remind() -> int:
    """Remind the registrars of schools whose review is not finished, once a day."""
    return review_reminders_send(now=timezone.now())
