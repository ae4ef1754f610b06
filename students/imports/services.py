"""A registrar's import: upload, check every row (the dry run), then commit all or nothing.

The upload only stores the file and queues a Celery task, so a file of 10,000 students ties
up no web worker. The task reads the file, checks each row against the rules and against the
database (read for the whole file in a few queries, never per row), records its progress as
it goes and keeps a result per row. Committing checks again, under row locks, inside the one
transaction that writes: a file with one bad row imports nothing, and importing a file a
second time changes nothing.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from schools.models import User

from ..models import ImportJob
from .course_rows import CourseImport
from .credit_rows import CreditImport
from .plan import Action
from .reading import MAX_BYTES, FileRefused, read_table
from .rows import RowCheck
from .selectors import import_jobs_visible_to
from .student_rows import StudentImport

#: processed_rows is written every this many rows.
PROGRESS_EVERY = 500

IMPORTS = {
    ImportJob.Kind.STUDENTS: StudentImport,
    ImportJob.Kind.COURSES: CourseImport,
    ImportJob.Kind.CREDITS: CreditImport,
}


class _ChangedSinceCheck(Exception):
    def __init__(self, results):
        self.results = results


def _assert_imports_into_own_school(actor: User) -> None:
    if actor.role != User.Role.REGISTRAR or actor.school_id is None:
        raise PermissionDenied


@transaction.atomic
def import_job_create(
    *, actor: User, kind: str, filename: str, content: bytes, language: str | None = None
) -> ImportJob:
    """A registrar uploads a file for their own school; a task checks it. Nothing but the
    job is written until the registrar commits."""
    from ..tasks import import_job_run

    _assert_imports_into_own_school(actor)
    if kind not in ImportJob.Kind.values:
        raise ValidationError({"kind": _("Choose what the file holds.")})
    if len(content) > MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 10 MB; split it.")})
    job = ImportJob.objects.create(
        kind=kind,
        school_id=actor.school_id,
        uploaded_by=actor,
        filename=filename[-200:],
        content=content,
    )
    import_job_run.delay_on_commit(
        job.pk, commit=False, language=language or translation.get_language()
    )
    return job


@transaction.atomic
def import_job_commit_start(
    *, actor: User, job: ImportJob, language: str | None = None
) -> ImportJob:
    """Queue the import of a checked file without errors."""
    from ..tasks import import_job_run

    _assert_imports_into_own_school(actor)
    # Locked so that a second click on "Import" cannot queue a second task.
    job = import_jobs_visible_to(actor).select_for_update(of=("self",)).get(pk=job.pk)
    if job.state != ImportJob.State.CHECKED:
        raise ValidationError(_("Only a checked file can be imported, and only once."))
    if any(result["action"] == Action.ERROR for result in job.results):
        raise ValidationError(
            _(
                "Correct the rows with errors and upload the file again: a file with an "
                "error imports nothing."
            )
        )
    job.state = ImportJob.State.QUEUED
    job.processed_rows = 0
    job.error = ""
    job.save(update_fields=["state", "processed_rows", "error"])
    import_job_run.delay_on_commit(
        job.pk, commit=True, language=language or translation.get_language()
    )
    return job


def import_job_check(*, job: ImportJob) -> ImportJob:
    """The dry run: a result per row (would create, would update, unchanged or error, with
    line, column and message); nothing is written but the job."""
    return _run(job, commit=False)


def import_job_commit(*, job: ImportJob) -> ImportJob:
    """Write the whole file in one transaction, or nothing."""
    return _run(job, commit=True)


def _run(job: ImportJob, *, commit: bool) -> ImportJob:
    job = ImportJob.objects.select_related("school", "uploaded_by").get(pk=job.pk)
    if job.state == ImportJob.State.COMMITTED:
        return job  # the task ran twice: the file is imported once
    ImportJob.objects.filter(pk=job.pk).exclude(state=ImportJob.State.COMMITTED).update(
        state=ImportJob.State.RUNNING, processed_rows=0, error=""
    )
    importer = IMPORTS[job.kind](school=job.school, actor=job.uploaded_by)
    try:
        rows = _parse(job, importer)
        if commit:
            with transaction.atomic():
                job = ImportJob.objects.select_for_update().get(pk=job.pk)
                if job.state == ImportJob.State.COMMITTED:
                    return job  # a second delivery of the task waited for the first
                plan = importer.plan(rows, lock=True)
                if plan.has_errors:
                    raise _ChangedSinceCheck(plan.results)
                importer.write(plan)
                _finish(job, ImportJob.State.COMMITTED, plan.results)
        else:
            plan = importer.plan(rows, lock=False)
            _finish(job, ImportJob.State.CHECKED, plan.results)
    except FileRefused as refused:
        _finish(job, ImportJob.State.FAILED, [], error=refused.message)
    except _ChangedSinceCheck as changed:
        _finish(
            job,
            ImportJob.State.CHECKED,
            changed.results,
            error=_(
                "The data changed since the file was checked, and some rows now have errors; "
                "nothing was imported."
            ),
        )
    except (IntegrityError, ValidationError):
        _finish(
            job,
            ImportJob.State.FAILED,
            job.results,
            error=_(
                "Someone changed the same records while this file was imported; nothing was "
                "imported. Upload the file again to check it."
            ),
        )
    except Exception:
        _finish(
            job,
            ImportJob.State.FAILED,
            [],
            error=_("The import stopped on an unexpected error; nothing was imported."),
        )
        raise
    job.refresh_from_db()
    return job


def _parse(job: ImportJob, importer) -> list:
    table = read_table(filename=job.filename, content=bytes(job.content))
    positions = _positions(table.headers, importer.columns)
    headers = {
        column.name: (
            table.headers[positions[column.name]] if column.name in positions else column.header
        )
        for column in importer.columns
    }
    _update(job, total_rows=len(table.rows))
    rows = []
    for count, (line, cells) in enumerate(table.rows, start=1):
        check = RowCheck(line=line, cells=cells, positions=positions, headers=headers)
        rows.append(importer.parse(check))
        if count % PROGRESS_EVERY == 0 or count == len(table.rows):
            _update(job, processed_rows=count)
    return rows


def _positions(headers: list[str], columns) -> dict[str, int]:
    from .columns import match_headers

    positions, unknown, repeated = match_headers(headers, columns)
    missing = [c.header for c in columns if c.required and c.name not in positions]
    problems = []
    if missing:
        problems.append(_("Columns missing: %(columns)s.") % {"columns": "; ".join(missing)})
    if unknown:
        problems.append(
            _("Columns not known: %(columns)s.")
            % {"columns": "; ".join(header[:40] for header in unknown[:10])}
        )
    if repeated:
        problems.append(
            _("Columns given twice: %(columns)s.") % {"columns": "; ".join(repeated[:10])}
        )
    if problems:
        raise FileRefused(
            " ".join(problems)
            + " "
            + _("Use the template's headers, in Chinese, in English or both.")
        )
    return {
        name: index
        for name, index in positions.items()
        if not next(c for c in columns if c.name == name).informational
    }


def _update(job: ImportJob, **fields) -> None:
    """Progress is written at once, outside any transaction of the import, so the page
    polling it sees it."""
    ImportJob.objects.filter(pk=job.pk).update(**fields)


def _finish(job: ImportJob, state: str, results: list, *, error: str = "") -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        state=state, results=results, error=error, finished_at=timezone.now()
    )
