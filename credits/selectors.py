"""Which courses and credit records a user may see."""

from django.db.models import QuerySet

from schools.selectors import schools_visible_to
from students.selectors import students_visible_to

from .models import Course, CreditRecord


def courses_visible_to(user) -> QuerySet[Course]:
    return Course.objects.select_related("school").filter(school__in=schools_visible_to(user))


def credit_records_visible_to(user) -> QuerySet[CreditRecord]:
    return CreditRecord.objects.select_related(
        "student", "course", "course__school", "term", "term__academic_year"
    ).filter(student__in=students_visible_to(user))
