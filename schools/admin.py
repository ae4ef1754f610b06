from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .admin_scoping import ScopedModelAdmin
from .models import (
    AcademicYear,
    CooperativeMajor,
    IntegrationClass,
    Major,
    Municipality,
    Pairing,
    PilotArea,
    School,
    Term,
    User,
)
from .selectors import (
    integration_classes_visible_to,
    municipalities_visible_to,
    pairings_visible_to,
    pilot_areas_visible_to,
    schools_visible_to,
)
from .services import pilot_area_assert_adjustable

if TYPE_CHECKING:
    # What the mixin is mixed into, so that its super() calls are checked against it.
    _MixinBase = admin.ModelAdmin
else:
    _MixinBase = object


class Rule1GuardMixin(_MixinBase):
    """Rule 1 holds in the admin too: a running pilot's schools and pairings do not change,
    whoever is logged in. The form refuses the change before anything is saved, and the
    delete button is gone."""

    def pilot_areas_touched(self, original, cleaned_data: dict | None) -> list[PilotArea]:
        """The areas whose schools or pairings the change would adjust."""
        areas = []
        if original is not None and original.pilot_area_id:
            areas.append(original.pilot_area)
        new_area = (cleaned_data or {}).get("pilot_area")
        if new_area is not None and new_area not in areas:
            areas.append(new_area)
        return areas

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        guard = self

        class GuardedForm(form_class):
            def clean(self):
                cleaned_data = super().clean()
                original = type(self.instance).objects.get(pk=self.instance.pk) if change else None
                for area in guard.pilot_areas_touched(original, cleaned_data):
                    pilot_area_assert_adjustable(area)
                return cleaned_data

        return GuardedForm

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None:
            try:
                for area in self.pilot_areas_touched(obj, None):
                    pilot_area_assert_adjustable(area)
            except ValidationError:
                return False
        return super().has_delete_permission(request, obj)


@admin.register(Municipality)
class MunicipalityAdmin(ScopedModelAdmin):
    visible_to = municipalities_visible_to
    list_display = ["code", "name", "bureau_name"]
    search_fields = ["code", "name"]


@admin.register(PilotArea)
class PilotAreaAdmin(ScopedModelAdmin):
    visible_to = pilot_areas_visible_to
    list_display = ["code", "name", "municipality", "pilot_start", "pilot_end", "approval"]
    list_filter = ["approval", "municipality"]
    search_fields = ["code", "name", "slug"]
    list_select_related = ["municipality"]


@admin.register(School)
class SchoolAdmin(Rule1GuardMixin, ScopedModelAdmin):
    visible_to = schools_visible_to
    list_display = ["code", "name", "kind", "municipality", "pilot_area"]
    list_filter = ["kind", "municipality", "pilot_area"]
    search_fields = ["code", "name"]
    list_select_related = ["municipality", "pilot_area"]

    def pilot_areas_touched(self, original, cleaned_data):
        # Editing a school's name or code is not an adjustment of the pilot; moving it is.
        if (
            original is not None
            and cleaned_data is not None
            and cleaned_data.get("pilot_area") == original.pilot_area
        ):
            return []
        return super().pilot_areas_touched(original, cleaned_data)


@admin.register(Major)
class MajorAdmin(ScopedModelAdmin):
    visible_to = staticmethod(lambda user: Major.objects.all())
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class CooperativeMajorInline(admin.TabularInline):
    model = CooperativeMajor
    extra = 1
    autocomplete_fields = ["major"]


@admin.register(Pairing)
class PairingAdmin(Rule1GuardMixin, ScopedModelAdmin):
    visible_to = pairings_visible_to
    list_display = ["__str__", "pilot_area"]
    list_filter = ["pilot_area"]
    search_fields = ["general_school__name", "vocational_school__name"]
    list_select_related = ["pilot_area", "general_school", "vocational_school"]
    inlines = [CooperativeMajorInline]


@admin.register(IntegrationClass)
class IntegrationClassAdmin(ScopedModelAdmin):
    visible_to = integration_classes_visible_to
    list_display = ["name", "host_school", "major", "cohort_year", "capacity"]
    list_filter = ["cohort_year", "host_school__pilot_area"]
    search_fields = ["name", "host_school__name"]
    list_select_related = ["host_school", "major"]


@admin.register(AcademicYear)
class AcademicYearAdmin(ScopedModelAdmin):
    visible_to = staticmethod(lambda user: AcademicYear.objects.all())
    list_display = ["__str__", "start_date", "end_date"]
    search_fields = ["start_year"]


@admin.register(Term)
class TermAdmin(ScopedModelAdmin):
    visible_to = staticmethod(lambda user: Term.objects.all())
    list_display = ["__str__", "semester", "start_date", "end_date"]
    list_filter = ["semester", "academic_year"]
    search_fields = ["academic_year__start_year"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts are the administrators' business only."""

    list_display = ["username", "first_name", "role", "school", "pilot_area", "municipality"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "first_name", "last_name", "email"]
    list_select_related = ["school", "pilot_area", "municipality"]
    fieldsets = [
        # django-stubs types it as ModelAdmin's, which may be None; UserAdmin's never is.
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]
        (_("Role and scope"), {"fields": ["role", "school", "pilot_area", "municipality"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        (_("Role and scope"), {"fields": ["role", "school", "pilot_area", "municipality"]}),
    ]
