"""Accounts for a school's students and their guardians, handed out on printed slips.

A registrar opens logins for a class or for chosen students registered at their school now:
each student gets an account named by their national student number, their guardian one
named by the guardian's mobile number (one account for a guardian of several students), and
each a one-time activation code (``schools.accounts``) printed on a slip with the address to
activate and a QR code of it. Printing a slip again issues a new code, which ends the old
one; for an account already in use that is how its password is reset."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.exceptions import NotFound
from schools.accounts import account_code_issue, code_shown
from schools.models import AccountCode, Guardianship, IntegrationClass, User

from .models import StatusRecord, Student


@dataclass(frozen=True)
class Slip:
    """What one printed slip says."""

    kind: str  # "student" or "guardian"
    name: str
    login: str
    student_name: str
    student_number: str
    school: str
    class_name: str
    code: str
    url: str
    expires: datetime.date


def activation_url() -> str:
    """The address printed on a slip (and in its QR code); the code is typed there."""
    return f"{settings.SITE_URL}{reverse('activate')}"


def _registered_here(actor: User, students: Iterable[Student]) -> list[StatusRecord]:
    """The active records, at the actor's school, of ``students``; a student registered
    elsewhere, or not at all, is not the actor's to open an account for."""
    if actor.role != User.Role.REGISTRAR and not actor.sees_everything:
        raise PermissionDenied
    records = StatusRecord.objects.filter(
        state=StatusRecord.State.ACTIVE, student__in=[s.pk for s in students]
    ).select_related("student__user", "school", "integration_class")
    if not actor.sees_everything:
        records = records.filter(school__pk=actor.school_id or 0)
    return sorted(records, key=lambda r: (r.integration_class_id or 0, r.student.student_number))


def _student_account(student: Student) -> User:
    if student.user is not None:
        return student.user
    user = User(username=student.student_number, role=User.Role.STUDENT, first_name=student.name)
    user.set_unusable_password()
    user.save()
    student.user = user
    student.save(update_fields=["user"])
    return user


def _guardian_account(student: Student, student_user: User, actor: User) -> User | None:
    """The guardian's account, by their mobile number, linked to the student; ``None`` when
    the number belongs to an account that is not a guardian's."""
    mobile = student.guardian_phone
    guardian = User.objects.filter(username=mobile).first()
    if guardian is None:
        guardian = User(
            username=mobile,
            role=User.Role.GUARDIAN,
            first_name=student.guardian_name,
            mobile=mobile,
        )
        guardian.set_unusable_password()
        guardian.save()
    elif guardian.role != User.Role.GUARDIAN:
        return None
    Guardianship.objects.get_or_create(
        guardian=guardian, student=student_user, defaults={"created_by": actor}
    )
    return guardian


@transaction.atomic
def accounts_issue(
    *,
    actor: User,
    students: Iterable[Student],
    guardians: bool = True,
    only_new: bool = False,
    now: datetime.datetime | None = None,
) -> list[Slip]:
    """Open (or reopen) the accounts of ``students`` registered at the actor's school and
    return their slips, students' and guardians', in class and student-number order.

    ``only_new`` leaves out accounts already activated (a class's slips printed again for
    the students who lost theirs leave the others' sign-in alone)."""
    now = now or timezone.now()
    url = activation_url()
    expires = timezone.localdate(now + datetime.timedelta(days=settings.ACTIVATION_CODE_DAYS))
    slips: list[Slip] = []
    guardians_done: set[int] = set()
    for record in _registered_here(actor, students):
        student = record.student
        user = _student_account(student)
        common: dict[str, Any] = {
            "student_name": student.name,
            "student_number": student.student_number,
            "school": record.school.name,
            "class_name": record.integration_class.name if record.integration_class else "",
            "url": url,
            "expires": expires,
        }
        if not (only_new and user.has_usable_password()):
            code = account_code_issue(
                user=user, purpose=AccountCode.Purpose.ACTIVATE, issued_by=actor, now=now
            )
            slips.append(
                Slip(
                    kind="student",
                    name=student.name,
                    login=student.student_number,
                    code=code_shown(code),
                    **common,
                )
            )
        if not guardians:
            continue
        guardian = _guardian_account(student, user, actor)
        if guardian is None or guardian.pk in guardians_done:
            continue
        guardians_done.add(guardian.pk)
        if only_new and guardian.has_usable_password():
            continue
        code = account_code_issue(
            user=guardian, purpose=AccountCode.Purpose.ACTIVATE, issued_by=actor, now=now
        )
        slips.append(
            Slip(
                kind="guardian",
                name=student.guardian_name,
                login=guardian.username,
                code=code_shown(code),
                **common,
            )
        )
    return slips


def class_students(actor: User, integration_class_id: int) -> list[Student]:
    """The students registered now in one of the actor's school's classes."""
    classes = IntegrationClass.objects.all()
    if not actor.sees_everything:
        classes = classes.filter(host_school_id=actor.school_id)
    integration_class = classes.filter(pk=integration_class_id).first()
    if integration_class is None:
        raise NotFound
    return list(
        Student.objects.filter(
            status_records__state=StatusRecord.State.ACTIVE,
            status_records__integration_class=integration_class,
        ).select_related("user")
    )
