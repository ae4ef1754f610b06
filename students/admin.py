from django.contrib import admin

from schools.admin_scoping import ScopedModelAdmin
from schools.selectors import schools_visible_to

from .models import StatusConfirmation, StatusRecord, StatusReview, Student
from .selectors import status_records_visible_to, students_visible_to


class StatusRecordInline(admin.TabularInline):
    model = StatusRecord
    extra = 0
    fields = ["school", "track", "integration_class", "major", "start_date", "end_date", "state"]
    # django-stubs types fields as names or groups of names (invariant lists); these are names.
    readonly_fields = fields  # type: ignore[assignment]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Student)
class StudentAdmin(ScopedModelAdmin):
    visible_to = students_visible_to
    list_display = ["student_number", "name", "gender", "birth_date", "guardian_name"]
    list_filter = ["gender"]
    search_fields = ["student_number", "name", "id_card_number"]
    raw_id_fields = ["user"]
    inlines = [StatusRecordInline]


@admin.register(StatusRecord)
class StatusRecordAdmin(ScopedModelAdmin):
    """Status history is kept whole: records are closed by the services, never deleted."""

    visible_to = status_records_visible_to
    list_display = [
        "student",
        "school",
        "track",
        "integration_class",
        "state",
        "start_date",
        "end_date",
    ]
    list_filter = ["state", "track", "school__pilot_area", "school"]
    search_fields = ["student__student_number", "student__name", "school__name"]
    list_select_related = ["student", "school", "integration_class"]
    raw_id_fields = ["student"]
    date_hierarchy = "start_date"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StatusReview)
class StatusReviewAdmin(ScopedModelAdmin):
    visible_to = staticmethod(
        lambda user: StatusReview.objects.filter(school__in=schools_visible_to(user))
    )
    list_display = ["school", "term", "state", "opened_at", "finished_at"]
    list_filter = ["state", "term"]
    search_fields = ["school__name"]
    list_select_related = ["school", "term__academic_year"]


@admin.register(StatusConfirmation)
class StatusConfirmationAdmin(ScopedModelAdmin):
    visible_to = staticmethod(
        lambda user: StatusConfirmation.objects.filter(review__school__in=schools_visible_to(user))
    )
    list_display = ["student", "review", "confirmed_by", "confirmed_at"]
    search_fields = ["student__name", "student__student_number"]
    list_select_related = ["student", "review__school", "confirmed_by"]
    raw_id_fields = ["student"]
