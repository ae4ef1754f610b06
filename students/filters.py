import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from core.filters import SearchFilterSet
from schools.selectors import schools_visible_to

from .models import StatusRecord, Student, Track


def _schools(request):
    return schools_visible_to(getattr(request, "user", None))


class StudentFilter(SearchFilterSet):
    search_fields = ("name__icontains", "student_number__icontains")
    school = django_filters.ModelChoiceFilter(
        label=_("Registered at"), queryset=_schools, method="active_at"
    )
    track = django_filters.ChoiceFilter(label=_("Track"), choices=Track.choices, method="on_track")

    class Meta:
        model = Student
        fields = ["q", "school", "track"]

    def active_at(self, queryset, name, value):
        active = StatusRecord.objects.filter(
            student=OuterRef("pk"), state=StatusRecord.State.ACTIVE, school=value
        )
        return queryset.filter(Exists(active))

    def on_track(self, queryset, name, value):
        active = StatusRecord.objects.filter(
            student=OuterRef("pk"), state=StatusRecord.State.ACTIVE, track=value
        )
        return queryset.filter(Exists(active))
