"""The semester status review's periodic tasks (rule 8), run by Celery beat.

Registered from ``StudentsConfig.ready`` (Celery's autodiscovery looks only for an app's
own ``tasks`` module); the names are the ones beat has always used. Both are idempotent:
beat running one twice, or two beats at once, changes nothing.
"""

from celery import shared_task
from django.utils import timezone


@shared_task(name="students.review_tasks.status_reviews_open")
def status_reviews_open() -> int:
    """Open this term's review for every school with registered students; returns how many
    were opened now."""
    from .services import reviews_open_due

    return reviews_open_due(today=timezone.localdate())


@shared_task(name="students.review_tasks.status_reviews_remind")
def status_reviews_remind() -> int:
    """Remind the registrars of schools whose review is not finished, once a day."""
    from .services import review_reminders_send

    return review_reminders_send(now=timezone.now())
