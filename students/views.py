from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from core.lists import html_row, list_page, row_urls, searched_by_post
from schools.models import Guardianship, User

from .filters import StudentFilter
from .models import StatusRecord, Track
from .privacy import number_policy
from .selectors import (
    student_get_for_user,
    student_rows,
    students_visible_count,
    students_visible_to,
    vocational_diploma_from,
)
from .services import may_hand_over


def may_issue_slip(user, history) -> bool:
    """A registrar of the school where the student is registered now prints their slips."""
    return user.role == User.Role.REGISTRAR and any(
        record.state == StatusRecord.State.ACTIVE and record.school_id == user.school_id
        for record in history
    )


def student_guardians(student) -> list:
    if student.user_id is None:
        return []
    return list(Guardianship.objects.filter(student_id=student.user_id).select_related("guardian"))


_STUDENT_ROW = '<tr><td>{}</td><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>'


def _student_table_rows(page, user) -> list[str]:
    """The rows of ``students/student_list.html``, written once per page (see
    ``core.lists``): where each student is registered now, or a dash; student numbers as
    the user may see them (``students.privacy``)."""
    url = row_urls("students:detail")
    numbers = number_policy(user)
    numbers.prime(page)
    tracks = {value: str(label) for value, label in Track.choices}
    return [
        html_row(
            _STUDENT_ROW,
            numbers.student_number(student),
            url(student.pk),
            student.name,
            student.active_school or "—",
            student.active_class or "—",
            tracks.get(student.active_track) or "—",
        )
        for student in page
    ]


@login_required
@searched_by_post
def student_list(request):
    context = list_page(
        request,
        student_rows(students_visible_to(request.user, listing=True)),
        filterset_class=StudentFilter,
        sorts={"number": "student_number", "name": "name"},
        default_sort="number",
        total=lambda: students_visible_count(request.user),
    )
    context["rows"] = _student_table_rows(context["page"], request.user)
    return render(request, "students/student_list.html", context)


@login_required
def student_detail(request, pk: int):
    return student_page(request, student_get_for_user(user=request.user, pk=pk))


def student_page(request, student, *, reveal_form=None, status: int = 200):
    """A student's page; also the answer to a request to show their numbers
    (``students.reveal``), with that form's errors."""
    history = student.status_records.select_related("school", "major", "integration_class")
    # The student is one the user may see, and so are all of their credit records.
    credits = student.credit_records.select_related(
        "course", "course__school", "term", "term__academic_year"
    )
    changes = student.changes.select_related("actor")
    handovers = student.handovers.select_related("from_school", "to_school", "actor")
    return render(
        request,
        "students/student_detail.html",
        {
            "student": student,
            "history": history,
            "vocational_diploma_from": vocational_diploma_from(history),
            "credit_records": credits,
            "changes": changes,
            "handovers": handovers,
            "may_hand_over": may_hand_over(request.user, student),
            "proficiency_results": student.proficiency_results.all(),
            "reveal_form": reveal_form,
            "may_issue_slip": may_issue_slip(request.user, history),
            "guardians": student_guardians(student),
        },
        status=status,
    )
