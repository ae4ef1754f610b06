"""Showing a student's whole numbers to someone who sees them masked, for a reason.

A POST from the student's page with the reason writes an ``IdNumberReveal`` and answers
with the same page, on which the numbers are whole this once: nothing is kept in the
session, a GET never shows them, and the number is written neither to the row nor to a log.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import privacy
from .selectors import student_get_for_user
from .views import student_page


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need the whole numbers?"),
        min_length=privacy.REASON_MIN_LENGTH,
        max_length=privacy.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        help_text=_("Your name, the time and this reason are kept with the student's record."),
    )


@require_POST
@login_required
def student_reveal_numbers(request, pk: int):
    student = student_get_for_user(user=request.user, pk=pk)
    if not privacy.may_reveal_numbers(request.user, student):
        raise Http404  # not theirs to ask: the same answer as for a student out of scope
    form = RevealForm(request.POST)
    if form.is_valid():
        try:
            privacy.numbers_reveal(
                viewer=request.user, student=student, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return student_page(request, student)
    return student_page(request, student, reveal_form=form, status=400)
