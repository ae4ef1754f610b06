"""The reminder three days before a window closes, to eligible students who have not applied."""

import datetime

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.stored_text import text
from notifications.services import notify
from students.models import StatusRecord

from ..models import Application, TransferPolicy

REMIND_DAYS_BEFORE = 3


def window_closing_reminders_send(*, now: datetime.datetime) -> int:
    """Idempotent: each student is reminded once per policy, however often this runs."""
    policies = TransferPolicy.objects.filter(
        state=TransferPolicy.State.PUBLISHED,
        window_opens__lte=now,
        window_closes__gt=now,
        window_closes__lte=now + datetime.timedelta(days=REMIND_DAYS_BEFORE),
    ).select_related("pilot_area")
    sent = 0
    for policy in policies:
        statuses = (
            StatusRecord.objects.filter(
                state=StatusRecord.State.ACTIVE,
                integration_class__cohort_year=policy.cohort_year,
                integration_class__pairing__pilot_area=policy.pilot_area,
                student__user__isnull=False,
            )
            .exclude(Exists(Application.objects.filter(student=OuterRef("student"))))
            .select_related("student__user")
        )
        closes = timezone.localtime(policy.window_closes).strftime("%Y-%m-%d %H:%M")
        for status in statuses:
            user = status.student.user
            assert user is not None  # only students with a login are selected
            sent += len(
                notify(
                    recipients=[user],
                    subject=text(
                        gettext_noop("The transfer application window closes on %(closes)s"),
                        closes=closes,
                    ),
                    body=text(
                        gettext_noop(
                            "If you want to change school under %(policy)s, apply before "
                            "%(closes)s. Each student can apply only once."
                        ),
                        policy=policy.title,
                        closes=closes,
                    ),
                    dedupe_key=f"window-reminder:{policy.pk}:{status.student_id}",
                )
            )
    return sent
