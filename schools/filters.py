import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import SearchFilterSet

from .models import School
from .selectors import pilot_areas_visible_to


def _areas(request):
    return pilot_areas_visible_to(getattr(request, "user", None))


class SchoolFilter(SearchFilterSet):
    search_fields = ("name__icontains", "code__startswith")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=School.Kind.choices)
    pilot_area = django_filters.ModelChoiceFilter(label=_("Pilot area"), queryset=_areas)

    class Meta:
        model = School
        fields = ["q", "kind", "pilot_area"]
