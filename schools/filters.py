import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import School
from .selectors import pilot_areas_visible_to


def _areas(request):
    return pilot_areas_visible_to(getattr(request, "user", None))


class SearchFilterSet(django_filters.FilterSet):
    """A filter set with a free-text ``q`` searched over ``search_fields``."""

    search_fields: tuple[str, ...] = ()

    q = django_filters.CharFilter(label=_("Search"), method="search")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{field: value})
        return queryset.filter(condition)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            css = "form-select" if hasattr(field, "choices") else "form-control"
            field.widget.attrs.setdefault("class", css)


class SchoolFilter(SearchFilterSet):
    search_fields = ("name__icontains", "code__startswith")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=School.Kind.choices)
    pilot_area = django_filters.ModelChoiceFilter(label=_("Pilot area"), queryset=_areas)

    class Meta:
        model = School
        fields = ["q", "kind", "pilot_area"]
