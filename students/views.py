from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import render

from credits.selectors import credit_records_visible_to

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
    query = request.GET.get("q", "").strip()
    if query:
        students = students.filter(Q(name__icontains=query) | Q(student_number__icontains=query))
    page = Paginator(students, 50).get_page(request.GET.get("page"))
    return render(request, "students/student_list.html", {"page": page, "query": query})


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
