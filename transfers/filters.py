import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import SearchFilterSet
from schools.selectors import pilot_areas_visible_to, schools_visible_to

from .models import Application, Direction, TransferPolicy


def _areas(request):
    return pilot_areas_visible_to(getattr(request, "user", None))


def _schools(request):
    return schools_visible_to(getattr(request, "user", None))


class ApplicationFilter(SearchFilterSet):
    search_fields = ("student__name__icontains", "student__student_number__icontains")
    state = django_filters.ChoiceFilter(label=_("State"), choices=Application.State.choices)
    direction = django_filters.ChoiceFilter(label=_("Direction"), choices=Direction.choices)
    area = django_filters.ModelChoiceFilter(
        label=_("Pilot area"), queryset=_areas, field_name="policy__pilot_area"
    )
    to_school = django_filters.ModelChoiceFilter(label=_("Receiving school"), queryset=_schools)

    class Meta:
        model = Application
        fields = ["q", "state", "direction", "area", "to_school"]


class PolicyFilter(SearchFilterSet):
    search_fields = ("title__icontains",)
    state = django_filters.ChoiceFilter(label=_("State"), choices=TransferPolicy.State.choices)
    cohort_year = django_filters.NumberFilter(label=_("Cohort"))

    class Meta:
        model = TransferPolicy
        fields = ["q", "state", "cohort_year"]
