"""A guardian's home: each child linked to their account, where the child is registered,
and the child's application with its next step."""

import datetime

from schools.models import User
from students.selectors import active_status, students_visible_to
from transfers.selectors import applications_visible_to
from transfers.services import guardian_may_confirm

from .selectors import NEXT_STEP


def guardian_home(user: User, now: datetime.datetime) -> dict:
    children = []
    applications = applications_visible_to(user).order_by("-pk")
    for student in students_visible_to(user).order_by("name"):
        application = applications.filter(student=student).first()
        children.append(
            {
                "student": student,
                "status": active_status(student),
                "application": application,
                "next_step": NEXT_STEP.get(application.state) if application else None,
                "consent_needed": bool(application and guardian_may_confirm(user, application)),
            }
        )
    return {"children": children, "now": now}
