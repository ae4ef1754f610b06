"""The registrar's pages for students' and guardians' accounts: the activation slips of a
class, or of one student, as a printable PDF."""

import segno
from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.pdf import render_pdf
from schools.access import role_required
from schools.accounts import code_typed
from schools.models import IntegrationClass, User

from .accounts import Slip, accounts_issue, class_students
from .models import StatusRecord
from .selectors import student_get_for_user


class SlipsForm(forms.Form):
    guardians = forms.BooleanField(
        label=gettext_lazy("Guardians' accounts too"), required=False, initial=True
    )
    only_new = forms.BooleanField(
        label=gettext_lazy("Only accounts not yet activated"),
        required=False,
        initial=True,
        help_text=gettext_lazy(
            "Untick to print new slips for everyone: the codes printed before stop working, "
            "and a student who signs in with a new code chooses a new password."
        ),
    )


def _qr(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def slips_response(slips: list[Slip], *, filename: str) -> HttpResponse:
    """The slips as a PDF download, in the registrar's language."""
    # The QR code carries the code after "#": scanned, the page opens with it filled in, and
    # a fragment never reaches a server or its logs.
    rows = [{**slip.__dict__, "qr": _qr(f"{slip.url}#{code_typed(slip.code)}")} for slip in slips]
    pdf = render_pdf(
        "students/activation_slips_pdf.html",
        {"slips": rows},
        language=translation.get_language() or "zh-hans",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@role_required(User.Role.REGISTRAR)
def accounts_page(request):
    """The classes of the registrar's school with how many of their students can sign in,
    and the form that prints a class's slips."""
    classes = (
        IntegrationClass.objects.filter(host_school_id=request.user.school_id)
        .annotate(
            registered=Count(
                "status_records",
                filter=Q(status_records__state=StatusRecord.State.ACTIVE),
                distinct=True,
            ),
            with_login=Count(
                "status_records",
                filter=Q(
                    status_records__state=StatusRecord.State.ACTIVE,
                    status_records__student__user__isnull=False,
                    # An unusable password (not yet activated) begins with "!".
                    status_records__student__user__password__regex=r"^[^!]",  # noqa: S106
                ),
                distinct=True,
            ),
        )
        .filter(registered__gt=0)
        .order_by("cohort_year", "name")
    )
    return render(request, "students/accounts.html", {"classes": classes, "form": SlipsForm()})


@require_POST
@role_required(User.Role.REGISTRAR)
def class_slips(request, class_pk: int):
    form = SlipsForm(request.POST)
    form.is_valid()
    students = class_students(request.user, class_pk)
    slips = accounts_issue(
        actor=request.user,
        students=students,
        guardians=form.cleaned_data.get("guardians", False),
        only_new=form.cleaned_data.get("only_new", False),
    )
    if not slips:
        messages.info(request, _("Every account of this class is already activated."))
        return redirect("students:accounts")
    return slips_response(slips, filename=f"activation-slips-class-{class_pk}.pdf")


@require_POST
@role_required(User.Role.REGISTRAR)
def student_slip(request, pk: int):
    """One student's slip (and their guardian's): a new code, which also resets a password
    the student has forgotten."""
    student = student_get_for_user(user=request.user, pk=pk)
    slips = accounts_issue(
        actor=request.user,
        students=[student],
        guardians=request.POST.get("guardians") == "on",
    )
    if not slips:
        messages.error(request, _("This student is not registered at your school now."))
        return redirect(student.get_absolute_url())
    return slips_response(slips, filename=f"activation-slip-{student.pk}.pdf")
