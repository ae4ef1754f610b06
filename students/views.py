from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import render

from credits.selectors import credit_records_visible_to
from schools.lists import list_page

from .filters import StudentFilter
from .models import StatusRecord
from .selectors import student_get_for_user, students_visible_to


@login_required
def student_list(request):
    active = StatusRecord.objects.filter(state=StatusRecord.State.ACTIVE).select_related(
        "school", "integration_class", "major"
    )
    students = students_visible_to(request.user).prefetch_related(
        Prefetch("status_records", queryset=active, to_attr="active_records")
    )
    context = list_page(
        request,
        students,
        filterset_class=StudentFilter,
        sorts={"number": "student_number", "name": "name"},
        default_sort="number",
    )
    return render(request, "students/student_list.html", context)


@login_required
def student_detail(request, pk: int):
    student = student_get_for_user(user=request.user, pk=pk)
    history = student.status_records.select_related("school", "major", "integration_class")
    credits = credit_records_visible_to(request.user).filter(student=student)
    return render(
        request,
        "students/student_detail.html",
        {"student": student, "history": history, "credit_records": credits},
    )
