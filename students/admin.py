from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from schools.admin_scoping import ReadOnlyScopedAdmin, ScopedModelAdmin
from schools.selectors import schools_visible_to

from .models import StatusConfirmation, StatusRecord, StatusReview, Student
from .privacy import masked_id_card_number, masked_student_number
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


# The admin shows every number masked, whoever looks (students.privacy: administrators see
# them masked; a registrar works on the student's page, which shows them whole). Nothing
# searches by number: the admin's search is a GET, which would put numbers into access logs.


@admin.register(Student)
class StudentAdmin(ScopedModelAdmin):
    """Personal data is read here, never changed: its changes go through the services,
    which keep each field's history (students.services)."""

    visible_to = students_visible_to
    list_display = ["number", "name", "gender", "birth_date", "guardian_name"]
    list_filter = ["gender"]
    search_fields = ["name"]
    fields = [
        "number",
        "name",
        "id_number",
        "gender",
        "birth_date",
        "guardian_name",
        "guardian_phone",
        "user",
    ]
    # django-stubs types these as names or groups of names (invariant lists); they are names.
    readonly_fields = fields[:-1]  # type: ignore[assignment]
    raw_id_fields = ["user"]
    inlines = [StatusRecordInline]

    @admin.display(description=_("national student number"), ordering="student_number")
    def number(self, obj: Student) -> str:
        return masked_student_number(obj.student_number)

    @admin.display(description=_("ID-card number"))
    def id_number(self, obj: Student) -> str:
        return masked_id_card_number(obj.id_card_number)

    def has_add_permission(self, request) -> bool:
        return False  # students come through the import, with their history


@admin.register(StatusRecord)
class StatusRecordAdmin(ReadOnlyScopedAdmin):
    """Status history is kept whole: records are opened and closed by the services, with
    their events, never changed or deleted here."""

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
    search_fields = ["student__name", "school__name"]
    list_select_related = ["student", "school", "integration_class"]
    raw_id_fields = ["student"]
    date_hierarchy = "start_date"


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
    search_fields = ["student__name"]
    list_select_related = ["student", "review__school", "confirmed_by"]
    raw_id_fields = ["student"]
