from django.contrib import admin

from schools.admin_scoping import ReadOnlyScopedAdmin

from .models import (
    Application,
    ApplicationEvent,
    AssessmentComponent,
    Objection,
    Score,
    ScoreCorrection,
    SeatQuota,
    TransferPolicy,
)
from .selectors import applications_visible_to, policies_visible_to


class FrozenInline(admin.TabularInline):
    """A policy's standards and seats, read-only: they change through the policy's form."""

    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ComponentInline(FrozenInline):
    model = AssessmentComponent


class QuotaInline(FrozenInline):
    model = SeatQuota


@admin.register(TransferPolicy)
class TransferPolicyAdmin(ReadOnlyScopedAdmin):
    visible_to = policies_visible_to
    list_display = ["title", "pilot_area", "cohort_year", "version", "state", "window_opens"]
    list_filter = ["state", "cohort_year", "pilot_area"]
    search_fields = ["title"]
    inlines = [ComponentInline, QuotaInline]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyScopedAdmin):
    visible_to = applications_visible_to
    list_display = ["pk", "student", "from_school", "to_school", "to_major", "state", "rank"]
    list_filter = ["state", "direction", "policy__pilot_area"]
    search_fields = ["student__name"]
    list_select_related = ["student", "from_school", "to_school", "to_major"]


@admin.register(ApplicationEvent)
class ApplicationEventAdmin(ReadOnlyScopedAdmin):
    visible_to = staticmethod(
        lambda user: ApplicationEvent.objects.filter(application__in=applications_visible_to(user))
    )
    list_display = ["application", "from_state", "to_state", "actor", "at"]
    list_filter = ["to_state"]
    search_fields = ["application__student__name"]


@admin.register(Score)
class ScoreAdmin(ReadOnlyScopedAdmin):
    visible_to = staticmethod(
        lambda user: Score.objects.filter(application__in=applications_visible_to(user))
    )
    list_display = ["application", "component", "value", "entered_at"]
    search_fields = ["application__student__name"]


@admin.register(ScoreCorrection)
class ScoreCorrectionAdmin(ReadOnlyScopedAdmin):
    visible_to = staticmethod(
        lambda user: ScoreCorrection.objects.filter(
            score__application__in=applications_visible_to(user)
        )
    )
    list_display = ["score", "old_value", "new_value", "corrected_by", "corrected_at"]
    search_fields = ["score__application__student__name"]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyScopedAdmin):
    visible_to = staticmethod(
        lambda user: Objection.objects.filter(application__in=applications_visible_to(user))
    )
    list_display = ["application", "state", "lodged_at", "resolved_at"]
    list_filter = ["state"]
    search_fields = ["application__student__name"]


@admin.register(AssessmentComponent)
class AssessmentComponentAdmin(ReadOnlyScopedAdmin):
    visible_to = staticmethod(
        lambda user: AssessmentComponent.objects.filter(policy__in=policies_visible_to(user))
    )
    list_display = ["policy", "direction", "kind", "name", "max_score", "pass_mark", "weight"]
    list_filter = ["direction", "kind"]
    search_fields = ["name", "policy__title"]


@admin.register(SeatQuota)
class SeatQuotaAdmin(ReadOnlyScopedAdmin):
    visible_to = staticmethod(
        lambda user: SeatQuota.objects.filter(policy__in=policies_visible_to(user))
    )
    list_display = ["policy", "school", "major", "seats"]
    search_fields = ["school__name", "major__name"]
