"""The import and export page, an import's progress and results, templates and exports.

Thin views: each reads a form or a URL, calls one service or selector, and renders. Pages of
this feature are for staff; a student, or another school's registrar looking at a job, gets
a 404 like anything out of scope.
"""

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.masking import mask_identity_numbers_in
from schools.access import STAFF, role_required
from schools.models import User

from .exports import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    export_rows,
    render_csv,
    render_xlsx,
    template_file,
)
from .forms import ImportUploadForm
from .models import ImportJob
from .plan import Action
from .selectors import import_job_get_for_user, import_jobs_visible_to
from .services import file_purged_message, import_job_commit_start, import_job_create

FORMATS = {"csv": CSV_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE}
RESULTS_PER_PAGE = 100


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@role_required(*STAFF, superuser=True)
def index(request):
    """Upload a file (registrars), download templates, export what you may see."""
    is_registrar = request.user.role == User.Role.REGISTRAR
    form = ImportUploadForm() if is_registrar else None
    if request.method == "POST":
        if not is_registrar:
            raise Http404
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = import_job_create(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    filename=upload.name,
                    content=upload.read(),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("imports:job", pk=job.pk)
    context = {
        "form": form,
        "kinds": ImportJob.Kind.choices,
        # Whole numbers are for a registrar's own students only (students.privacy).
        "masked": not is_registrar,
        "jobs": import_jobs_visible_to(request.user).defer("results")[:20],
    }
    return render(request, "imports/index.html", context)


@login_required
def job_detail(request, pk: int):
    """A job's progress (the page polls its JSON while the task runs) and its results."""
    if _wants_json(request):
        job = import_job_get_for_user(user=request.user, pk=pk, with_results=False)
        return JsonResponse(
            {
                "state": job.state,
                "state_display": job.get_state_display(),
                "percent": job.percent,
                "processed": job.processed_rows,
                "total": job.total_rows,
            }
        )
    job = import_job_get_for_user(user=request.user, pk=pk)
    running = job.state in (ImportJob.State.QUEUED, ImportJob.State.RUNNING)
    # A commit runs after the check, whose results stay until the commit replaces them.
    phase = "importing" if running and job.results else "checking"
    counts = Counter(result["action"] for result in job.results)
    show = request.GET.get("show", Action.ERROR if counts[Action.ERROR] else "all")
    if show not in counts:
        show = "all"
    rows = [r for r in job.results if show == "all" or r["action"] == show]
    checked = job.state == ImportJob.State.CHECKED
    if checked and job.file_purged:
        # Its results stay, but a file no longer kept cannot be imported.
        messages.info(request, file_purged_message())
    context = {
        "job": job,
        "running": running,
        "phase": phase,
        "counts": counts,
        "show": show,
        "filters": _filters(counts, committed=job.state == ImportJob.State.COMMITTED),
        "action_labels": _action_labels(committed=job.state == ImportJob.State.COMMITTED),
        "page": _results_page(request, job, rows),
        "may_commit": checked and not job.file_purged and not counts[Action.ERROR],
    }
    return render(request, "imports/job_detail.html", context)


def _results_page(request, job: ImportJob, rows: list[dict]):
    """A page of the results. The file's numbers are its school's registrars' to see; to
    anyone else (an administrator) every number in a row's label and messages is masked."""
    page = Paginator(rows, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    user = request.user
    if not (user.role == User.Role.REGISTRAR and user.school_id == job.school_id):
        page.object_list = [_masked_result(result) for result in page.object_list]
    return page


def _masked_result(result: dict) -> dict:
    masked = dict(result)
    masked["label"] = mask_identity_numbers_in(str(result.get("label", "")))
    masked["errors"] = [
        {**error, "message": mask_identity_numbers_in(str(error.get("message", "")))}
        for error in result.get("errors") or []
    ]
    masked["changes"] = [mask_identity_numbers_in(str(c)) for c in result.get("changes") or []]
    return masked


def _action_labels(*, committed: bool) -> dict[str, str]:
    return {
        Action.CREATE: _("Created") if committed else _("Would create"),
        Action.UPDATE: _("Updated") if committed else _("Would update"),
        Action.UNCHANGED: _("Unchanged"),
        Action.ERROR: _("Error"),
    }


def _filters(counts: Counter, *, committed: bool) -> list[tuple[str, str, int]]:
    labels = _action_labels(committed=committed)
    filters = [("all", _("All rows"), sum(counts.values()))]
    for action in (Action.ERROR, Action.CREATE, Action.UPDATE, Action.UNCHANGED):
        if counts[action]:
            filters.append((action, labels[action], counts[action]))
    return filters


@require_POST
@login_required
def job_commit(request, pk: int):
    job = import_job_get_for_user(user=request.user, pk=pk)
    try:
        import_job_commit_start(actor=request.user, job=job)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("imports:job", pk=job.pk)


@role_required(*STAFF, superuser=True)
def template_download(request, kind: str, fmt: str):
    if kind not in ImportJob.Kind.values or fmt not in FORMATS:
        raise Http404
    return file_response(template_file(kind=kind, fmt=fmt), f"{kind}-template.{fmt}", fmt)


@role_required(*STAFF, superuser=True)
def export_download(request, kind: str, fmt: str):
    """What the user may see, in the import's columns; ID-card and student numbers as the
    user may see them."""
    if kind not in ImportJob.Kind.values or fmt not in FORMATS:
        raise Http404
    rows = export_rows(user=request.user, kind=kind)
    content = (
        render_csv(kind=kind, rows=rows) if fmt == "csv" else render_xlsx(kind=kind, rows=rows)
    )
    scope = request.user.school.code if request.user.school_id else request.user.role
    return file_response(content, f"{kind}-{scope}-{timezone.localdate():%Y%m%d}.{fmt}", fmt)


def file_response(content: bytes, filename: str, fmt: str) -> HttpResponse:
    """A CSV or XLSX attachment, never cached. Also the other apps' downloads (the district's
    score sheet)."""
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # exports hold personal data
    return response
