from django.contrib import admin

from schools.admin_scoping import ScopedModelAdmin

from .models import Course, CreditRecord
from .selectors import courses_visible_to, credit_records_visible_to


@admin.register(Course)
class CourseAdmin(ScopedModelAdmin):
    visible_to = courses_visible_to
    list_display = ["code", "name", "school", "category", "credit_value"]
    list_filter = ["category", "school__pilot_area", "school"]
    search_fields = ["code", "name", "school__name"]
    list_select_related = ["school"]


@admin.register(CreditRecord)
class CreditRecordAdmin(ScopedModelAdmin):
    visible_to = credit_records_visible_to
    list_display = ["student", "course", "term", "score", "credits_earned"]
    list_filter = ["term", "course__category", "course__school"]
    search_fields = ["student__student_number", "student__name", "course__name"]
    list_select_related = ["student", "course", "term__academic_year"]
    raw_id_fields = ["student", "course"]
