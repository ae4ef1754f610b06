"""Who sees whole ID-card numbers and national student numbers: one policy for every page,
list, export, PDF and the admin.

A student number is ``G`` and the ID-card number, and a student's username is their
student number, so the three are one secret of a minor. Whole, they are seen by those who
work with them:

* the student themselves;
* the registrar of the student's school: the school of the student's active registration,
  or, with none active, of their latest one.

Everyone else who may see the student at all sees them masked (``core.masking``:
``330110********101X``, ``G330110********101X``): district and bureau staff,
administrators, and the registrars of other schools (the old school after a transfer, the
receiving school during an application). District and bureau staff and administrators may
have one student's numbers shown by giving a reason (``numbers_reveal``): the reveal is
written down, without the number, and only the page answering it shows them, once.

Pages ask a ``NumberPolicy`` (``number_policy(user)``), which keeps its answers for as
long as the user object lives (a request's). A list asks for all of its rows at once
(``prime``): one query for a registrar, none for anyone else, however long the list.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.arrays import any_of
from core.exceptions import NotFound
from core.masking import mask_identity_number
from schools.models import User

from .models import IdNumberReveal, StatusRecord, Student
from .selectors import students_visible_to

#: A reveal's reason is at least this long (after trimming): a word or two, not a letter.
REASON_MIN_LENGTH = 4
REASON_MAX_LENGTH = 500


def masked_id_card_number(number: str) -> str:
    """``33011020100301101X`` as ``330110********101X``."""
    return mask_identity_number(number)


def masked_student_number(number: str) -> str:
    """``G33011020100301101X`` as ``G330110********101X``."""
    return mask_identity_number(number)


def number_schools(student_ids: Iterable[int]) -> dict[int, int]:
    """The school whose registrar sees each student's whole numbers, by student id: the
    school of the student's active registration, or of their latest (the latest start, then
    the later record) if none is active. One query; a student never registered is left out."""
    ids = sorted(set(student_ids))
    if not ids:
        return {}
    best: dict[int, tuple[tuple, int]] = {}
    records = (
        StatusRecord.objects.filter(any_of("student", ids))
        .order_by()
        .values_list("student_id", "school_id", "state", "start_date", "pk")
    )
    for student_id, school_id, state, start_date, pk in records:
        key = (state == StatusRecord.State.ACTIVE, start_date, pk)
        if student_id not in best or key > best[student_id][0]:
            best[student_id] = (key, school_id)
    return {student_id: school_id for student_id, (_key, school_id) in best.items()}


class NumberPolicy:
    """The policy's answers for one viewer."""

    def __init__(self, user) -> None:
        self.user = user
        self._schools: dict[int, int | None] = {}
        self._revealed: set[int] = set()
        self._own: list[int | None] = []  # the viewing student's own id, once read

    @property
    def _role(self) -> str | None:
        """STUDENT or REGISTRAR for a viewer who may see some whole numbers, else None."""
        user = self.user
        if not (user and user.is_authenticated and user.is_active) or user.sees_everything:
            return None
        if user.role in (User.Role.STUDENT, User.Role.REGISTRAR):
            return user.role
        return None

    def prime(self, students: Iterable) -> None:
        """Read at once what ``sees`` needs for these students (instances or ids), so that
        a list asks nothing more per row."""
        if self._role != User.Role.REGISTRAR:
            return
        ids = {getattr(student, "pk", student) for student in students} - self._schools.keys()
        if not ids:
            return
        found = number_schools(ids)
        for student_id in ids:
            self._schools[student_id] = found.get(student_id)

    def sees_id(self, student_id: int) -> bool:
        """Whether the viewer sees the whole numbers of the student with this id."""
        if student_id in self._revealed:
            return True
        role = self._role
        if role == User.Role.STUDENT:
            return student_id == self._own_student_id()
        if role == User.Role.REGISTRAR:
            if student_id not in self._schools:
                self.prime([student_id])
            school = self._schools[student_id]
            return school is not None and school == self.user.school_id
        return False

    def sees(self, student: Student) -> bool:
        if self._role == User.Role.STUDENT and "user_id" in student.__dict__:
            # Loaded with the student: no need to read the viewer's own student.
            return student.pk in self._revealed or student.user_id == self.user.pk
        return self.sees_id(student.pk)

    def student_number(self, student: Student) -> str:
        number = student.student_number
        return number if self.sees(student) else masked_student_number(number)

    def id_card_number(self, student: Student) -> str:
        number = student.id_card_number
        return number if self.sees(student) else masked_id_card_number(number)

    def student_number_of(self, student_id: int, number: str) -> str:
        """A list row's student number (the row a dict, not a student)."""
        return number if self.sees_id(student_id) else masked_student_number(number)

    def reveal(self, student: Student) -> None:
        """Show this student's whole numbers to this viewer, for this request only."""
        self._revealed.add(student.pk)

    def _own_student_id(self) -> int | None:
        if not self._own:
            own = Student.objects.filter(user=self.user).values_list("pk", flat=True).first()
            self._own.append(own)
        return self._own[0]


def number_policy(user) -> NumberPolicy:
    """The viewer's policy, kept on their user object (so, for a page, for its request)."""
    policy = getattr(user, "_number_policy", None)
    if policy is None:
        policy = NumberPolicy(user)
        if user is not None:
            user._number_policy = policy
    return policy


def sees_numbers_of(user, student: Student) -> bool:
    return number_policy(user).sees(student)


def student_number_for(user, student: Student) -> str:
    """The student's number as ``user`` may see it: whole or masked."""
    return number_policy(user).student_number(student)


def id_card_number_for(user, student: Student) -> str:
    return number_policy(user).id_card_number(student)


def numbers_seen_among(user, student_ids: Iterable[int]) -> set[int]:
    """Of these students, those whose whole numbers ``user`` sees; at most one query."""
    ids = set(student_ids)
    policy = number_policy(user)
    policy.prime(ids)
    return {student_id for student_id in ids if policy.sees_id(student_id)}


def change_value_for(user, change, value: str) -> str:
    """An old or new value of a change of personal data, as ``user`` may see it: an
    ID-card number is the student's secret, whichever of their numbers it was."""
    if change.field != "id_card_number" or not value:
        return value
    seen = number_policy(user).sees_id(change.student_id)
    return value if seen else masked_id_card_number(value)


def may_reveal_numbers(user, student: Student) -> bool:
    """District and bureau staff and administrators may have a student's numbers shown,
    with a reason; those who see them whole need not, and nobody else may."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if not (user.sees_everything or user.role in (User.Role.DISTRICT, User.Role.BUREAU)):
        return False
    return not sees_numbers_of(user, student)


@transaction.atomic
def numbers_reveal(*, viewer, student: Student, reason: str) -> IdNumberReveal:
    """Show ``viewer`` one student's whole numbers, for this request, and write down who,
    whom, when and why (never the number). A student out of the viewer's scope does not
    exist for them; one whose numbers they may not have shown is refused the same way."""
    if not students_visible_to(viewer).filter(pk=student.pk).exists():
        raise NotFound
    if not may_reveal_numbers(viewer, student):
        raise NotFound
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN_LENGTH:
        raise ValidationError(
            {"reason": _("Say why you need the whole numbers, in a few words.")},
            code="reason",
        )
    reveal = IdNumberReveal(student=student, viewer=viewer, reason=reason[:REASON_MAX_LENGTH])
    reveal.full_clean()
    reveal.save()
    number_policy(viewer).reveal(student)
    return reveal
