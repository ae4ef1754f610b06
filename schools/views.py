from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from core.lists import list_page, searched_by_post

from .filters import SchoolFilter
from .selectors import pairings_visible_to, schools_visible_to

#: A school's registered students: its active status records, read through the reverse
#: relation (``StatusRecord.State.ACTIVE``; the students app lies above this one).
ACTIVE_HERE = Q(status_records__state="active")


@login_required
@searched_by_post
def school_list(request):
    schools = (
        schools_visible_to(request.user)
        .select_related("pilot_area", "municipality")
        .annotate(active_students=Count("status_records", filter=ACTIVE_HERE))
    )
    context = list_page(
        request,
        schools,
        filterset_class=SchoolFilter,
        sorts={
            "code": "code",
            "name": "name",
            "kind": "kind",
            "area": "pilot_area__code",
            "students": "active_students",
        },
        default_sort="code",
    )
    return render(request, "schools/school_list.html", context)


@login_required
def school_detail(request, pk: int):
    school = get_object_or_404(
        schools_visible_to(request.user).select_related("pilot_area", "municipality"), pk=pk
    )
    pairings = (
        pairings_visible_to(request.user)
        .filter(Q(general_school=school) | Q(vocational_school=school))
        .prefetch_related("cooperative_majors")
    )
    classes = school.integration_classes.select_related("major").annotate(
        active_students=Count("status_records", filter=ACTIVE_HERE)
    )
    return render(
        request,
        "schools/school_detail.html",
        {"school": school, "pairings": pairings, "classes": classes},
    )
