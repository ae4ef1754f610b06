from django.contrib import admin

from schools.admin_scoping import ScopedModelAdmin
from schools.selectors import pairings_visible_to

from .models import Course, CreditRecord, RecognitionRule
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
    search_fields = ["student__name", "course__name"]
    list_select_related = ["student", "course", "term__academic_year"]
    raw_id_fields = ["student", "course"]


@admin.register(RecognitionRule)
class RecognitionRuleAdmin(ScopedModelAdmin):
    visible_to = staticmethod(
        lambda user: RecognitionRule.objects.filter(pairing__in=pairings_visible_to(user))
    )
    list_display = ["source_course", "target_course", "target_category", "factor", "pairing"]
    list_filter = ["target_category", "pairing__pilot_area"]
    search_fields = ["source_course__name", "target_course__name"]
    list_select_related = ["source_course", "target_course", "pairing"]
