"""Telling people what happened: one Notification row per recipient, written in the
transaction that made the change, delivered by e-mail by a Celery task after commit."""

import logging

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from schools.models import User

from ..models import Application, Notification

logger = logging.getLogger(__name__)


def recipients_for(application: Application) -> list[User]:
    """The student, both schools' registrars, the district and the bureau concerned."""
    area = application.policy.pilot_area
    concerned = (
        Q(pk=application.student.user_id)
        | Q(
            role=User.Role.REGISTRAR,
            school_id__in=[application.from_school_id, application.to_school_id],
        )
        | Q(role=User.Role.DISTRICT, pilot_area_id=area.pk)
        | Q(role=User.Role.BUREAU, municipality_id=area.municipality_id)
    )
    return list(User.objects.filter(concerned, is_active=True))


def notify(
    *,
    recipients: list[User],
    subject: str,
    body: str,
    application: Application | None = None,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Write the notifications now; queue their delivery for when the transaction commits."""
    rows = []
    for user in recipients:
        key = f"{dedupe_key}:{user.pk}" if dedupe_key else None
        if key and Notification.objects.filter(dedupe_key=key).exists():
            continue
        rows.append(
            Notification(
                recipient=user,
                application=application,
                subject=subject,
                body=body,
                dedupe_key=key,
            )
        )
    created = Notification.objects.bulk_create(rows)
    ids = [row.pk for row in created if row.pk is not None]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return created


def _enqueue(ids: list[int]) -> None:
    from ..tasks import deliver_notifications

    try:
        deliver_notifications.delay(ids)
    except Exception:  # noqa: BLE001 - a broker outage must not break the user's action
        # The rows are committed; the periodic sweep delivers them when the broker is back.
        logger.warning("notification delivery not queued", exc_info=True)


def notify_transition(application: Application, to_state: str, comment: str) -> None:
    label = Application.State(to_state).label
    subject = _("Transfer application %(number)s: %(state)s") % {
        "number": application.pk,
        "state": label,
    }
    body = _("%(student)s's application to %(school)s (%(major)s) is now: %(state)s.") % {
        "student": application.student.name,
        "school": application.to_school.name,
        "major": application.to_major.name,
        "state": label,
    }
    if comment:
        body += "\n\n" + comment
    notify(
        recipients=recipients_for(application),
        subject=subject,
        body=body,
        application=application,
    )
