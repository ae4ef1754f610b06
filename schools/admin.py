from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from .admin_scoping import ScopedModelAdmin
from .models import (
    AcademicYear,
    AdmissionLine,
    CooperativeMajor,
    IntegrationClass,
    Major,
    Municipality,
    Pairing,
    PilotArea,
    Province,
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


@admin.register(Province)
class ProvinceAdmin(ScopedModelAdmin):
    visible_to = staticmethod(
        lambda user: (
            Province.objects.filter(pk__in=municipalities_visible_to(user).values("province"))
            if not user.sees_everything
            else Province.objects.all()
        )
    )
    list_display = ["code", "name", "department_name", "rule_pack"]
    search_fields = ["code", "name"]
    # The pack is the department's to set, on its own page, not here.
    readonly_fields = ["rule_pack"]


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


@admin.register(AdmissionLine)
class AdmissionLineAdmin(ScopedModelAdmin):
    """The entrance exam's admission lines: the bureau publishes them each year."""

    visible_to = staticmethod(
        lambda user: AdmissionLine.objects.filter(municipality__in=municipalities_visible_to(user))
    )
    list_display = ["year", "municipality", "school", "score"]
    list_filter = ["year", "municipality"]
    search_fields = ["school__name"]
    list_select_related = ["municipality", "school"]


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

    # A student's username is their national student number: shown masked, and never
    # searched (the admin's search is a GET, which would put it into access logs).
    list_display = ["login", "first_name", "role", "school", "pilot_area", "municipality"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["first_name", "last_name", "email"]
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

    @admin.display(description=_("username"), ordering="username")
    def login(self, obj: User) -> str:
        return obj.login_shown

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or obj.role != User.Role.STUDENT:
            return fieldsets
        # A student's username is not shown whole, nor changed here: it is their number.
        (name, options), *rest = fieldsets
        fields = ["login" if field == "username" else field for field in options["fields"]]
        return [(name, {**options, "fields": fields}), *rest]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.role == User.Role.STUDENT:
            readonly.append("login")
        return readonly

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        context = getattr(response, "context_data", None) or {}
        user = context.get("original")
        if isinstance(user, User) and user.login_shown != user.get_username():
            # The page names the account in its title and text (and fills a hidden username
            # for password managers): a student's as masked as everywhere else.
            context["original"] = _AccountShown(user)
            context["title"] = context["title"].replace(
                escape(user.get_username()), escape(user.login_shown)
            )
        return response


class _AccountShown:
    """An account as the password page prints it: its username as ``login_shown``."""

    def __init__(self, user: User):
        self.pk = user.pk
        self._shown = user.login_shown

    def get_username(self) -> str:
        return self._shown

    def __str__(self) -> str:
        return self._shown
