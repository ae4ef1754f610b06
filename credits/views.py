"""The transcript pages: the HTML view and its PDF. Who may see a student is the students
selector's business; out of scope is a 404, like a student who does not exist."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from schools.models import User
from students.selectors import student_get_for_user, students_visible_to

from .transcripts import transcript_build, transcript_pdf


@login_required
def my_transcript(request):
    """A student's own transcript, for a link that needs no student id."""
    if request.user.role != User.Role.STUDENT:
        raise Http404
    student = students_visible_to(request.user).first()
    if student is None:
        raise Http404
    return redirect("credits:transcript", pk=student.pk)


@login_required
def transcript(request, pk: int):
    student = student_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "credits/transcript.html",
        {"transcript": transcript_build(user=request.user, student=student)},
    )


@never_cache  # a personal record: no shared or browser cache keeps a copy
@login_required
def transcript_download(request, pk: int):
    student = student_get_for_user(user=request.user, pk=pk)
    pdf = transcript_pdf(
        transcript=transcript_build(user=request.user, student=student), viewer=request.user
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    # Named by the record's id, not a number of the student's: file names end up in
    # download folders and logs.
    response["Content-Disposition"] = f'attachment; filename="transcript-{student.pk}.pdf"'
    return response
