"""Which students and status records a user may see, and the 404-on-miss lookups."""

from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from schools.models import User
from schools.selectors import schools_visible_to

from .models import StatusRecord, Student


def students_visible_to(user) -> QuerySet[Student]:
    """Staff see every student ever registered at a school in their scope; a student sees
    only themselves."""
    students = Student.objects.all()
    if not (user and user.is_authenticated and user.is_active):
        return students.none()
    if user.sees_everything:
        return students
    if user.role == User.Role.STUDENT:
        return students.filter(user=user)
    registered_here = StatusRecord.objects.filter(
        student=OuterRef("pk"), school__in=schools_visible_to(user)
    )
    return students.filter(Exists(registered_here))


def student_get_for_user(*, user, pk) -> Student:
    return get_object_or_404(students_visible_to(user), pk=pk)


def status_records_visible_to(user) -> QuerySet[StatusRecord]:
    """A visible student's whole history travels with them: status follows the person."""
    return StatusRecord.objects.select_related(
        "student", "school", "major", "integration_class"
    ).filter(student__in=students_visible_to(user))


def active_status(student: Student) -> StatusRecord | None:
    return (
        student.status_records.select_related("school", "major", "integration_class")
        .filter(state=StatusRecord.State.ACTIVE)
        .first()
    )
