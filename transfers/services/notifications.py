"""Who is told of a change to an application, and what they are told; the notifications
app writes and delivers the messages."""

from django.db.models import Q
from django.utils.translation import gettext_noop

from core.stored_text import Piece, text
from notifications.services import notify
from schools.models import User

from ..models import Application


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


def notify_transition(application: Application, to_state: str, comment: Piece) -> None:
    label = Application.State(to_state).label
    subject = text(
        gettext_noop("Transfer application %(number)s: %(state)s"),
        number=application.pk,
        state=label,
    )
    body: list = [
        text(
            gettext_noop("%(student)s's application to %(school)s (%(major)s) is now: %(state)s."),
            student=application.student.name,
            school=application.to_school.name,
            major=application.to_major.name,
            state=label,
        )
    ]
    if comment:
        body += ["\n\n", comment]
    notify(
        recipients=recipients_for(application),
        subject=subject,
        body=body,
        about=application,
    )
