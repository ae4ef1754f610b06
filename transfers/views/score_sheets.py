"""The score sheet as a spreadsheet: the template to download, the upload checked row by
row (the dry run), and the saving of a checked file. For the district officer of the
policy's area only; anyone else finds nothing here (404)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from imports.forms import SpreadsheetUploadForm
from imports.views import file_response
from schools.access import role_required
from schools.models import User

from ..services import score_sheets as sheets
from .assessment import assessed_policy
from .common import refuse


@role_required(User.Role.DISTRICT, User.Role.REGISTRAR)
def score_template(request, pk: int, fmt: str):
    if fmt not in sheets.FORMATS:
        raise Http404
    policy = assessed_policy(request.user, pk)
    content = sheets.score_template(actor=request.user, policy=policy, fmt=fmt)
    filename = f"scores-{policy.pk}-{timezone.localdate():%Y%m%d}.{fmt}"
    return file_response(content, filename, fmt)


@role_required(User.Role.DISTRICT, User.Role.REGISTRAR)
def score_upload(request, pk: int):
    """Upload a filled-in sheet and see every row's result; nothing is saved here."""
    policy = assessed_policy(request.user, pk)
    check = None
    if request.method == "POST":
        form = SpreadsheetUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            check = sheets.score_sheet_check(
                actor=request.user, policy=policy, filename=upload.name, content=upload.read()
            )
            if check.error:
                form.add_error("file", check.error)
    else:
        form = SpreadsheetUploadForm()
    return render(
        request,
        "transfers/score_upload.html",
        {"policy": policy, "form": form, "check": check, "formats": sheets.FORMATS},
    )


@require_POST
@role_required(User.Role.DISTRICT, User.Role.REGISTRAR)
def score_upload_commit(request, pk: int):
    """Save a checked file's scores, all or nothing."""
    policy = assessed_policy(request.user, pk)
    try:
        saved = sheets.score_sheet_commit(
            actor=request.user, policy=policy, token=request.POST.get("token", "")
        )
    except ValidationError as exc:
        refuse(request, exc)
        return redirect("transfers:score_upload", pk=policy.pk)
    messages.success(
        request,
        ngettext(
            "Scores saved for %(count)s applicant.",
            "Scores saved for %(count)s applicants.",
            len(saved),
        )
        % {"count": len(saved)},
    )
    return redirect("transfers:results", pk=policy.pk)
