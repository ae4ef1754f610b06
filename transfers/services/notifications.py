"""Who is told of a change to an application, and what they are told; the notifications
app writes and delivers the messages."""

from django.db.models import Q
from django.utils.translation import gettext as _

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
        about=application,
    )
