from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.lists import list_page, searched_by_post

from .access import role_required
from .filters import SchoolFilter
from .forms import AdmissionLineForm
from .models import AdmissionLine, School, User
from .selectors import pairings_visible_to, schools_visible_to
from .services import admission_line_set

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


@role_required(User.Role.BUREAU)
def admission_lines(request):
    """The bureau's admission lines of the entrance exam, by year, and the form to record
    one (the same school and year again corrects it)."""
    city_schools = schools_visible_to(request.user).filter(kind=School.Kind.GENERAL)
    form = AdmissionLineForm(request.POST or None, schools=city_schools)
    if request.method == "POST" and form.is_valid():
        try:
            line = admission_line_set(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(
                request,
                _("The %(year)s line of %(whose)s is %(score)s.")
                % {
                    "year": line.year,
                    "whose": line.school.name if line.school else _("the city"),
                    "score": line.score,
                },
            )
            return redirect("schools:admission_lines")
    lines = AdmissionLine.objects.filter(
        municipality_id=request.user.municipality_id
    ).select_related("school")
    return render(request, "schools/admission_lines.html", {"form": form, "lines": lines})
