"""A registrar's import: upload, check every row (the dry run), then commit all or nothing.

The upload only stores the file and queues a Celery task, so a file of 100,000 students ties
up no web worker. The task reads the file a row at a time, checks each row against the rules
and against the database (read a part of the file at a time, a few queries per part, never
per row), records its progress as it goes and keeps a result per row. Committing checks
again, under row locks, inside the one transaction that writes: a file with one bad row
imports nothing, and importing a file a second time changes nothing.

Each delivery of the task counts itself on the job, and a sweep queues again a job whose
worker died while it ran (``core.jobs``): a file that kills its worker is tried a bounded
number of times, then the job fails saying so.
"""

import datetime
from collections.abc import Iterable, Iterator
from contextlib import closing
from itertools import islice

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.jobs import (
    attempts_max,
    job_delivery_count,
    job_exhausted_fail,
    job_queue_on_commit,
    jobs_sweep,
)
from schools.models import User

from .columns import match_headers
from .course_rows import CourseImport
from .credit_rows import CreditImport
from .models import ImportJob
from .plan import Action, RowResult
from .reading import MAX_BYTES, FileRefused, Table, megabytes, read_table
from .rows import Layout, RowCheck
from .selectors import import_jobs_visible_to
from .student_rows import StudentImport
from .tasks import import_job_run as import_job_run_task

#: processed_rows is written every this many rows, or every hundredth of a larger file.
PROGRESS_EVERY = 500
#: Rows checked against the database (and written) together: a few queries per part.
PART_ROWS = 2_000
#: The states in which a delivery of the task may run the job's stage.
MAY_RUN = (ImportJob.State.QUEUED, ImportJob.State.RUNNING)

IMPORTS: dict[str, type[StudentImport | CourseImport | CreditImport]] = {
    ImportJob.Kind.STUDENTS: StudentImport,
    ImportJob.Kind.COURSES: CourseImport,
    ImportJob.Kind.CREDITS: CreditImport,
}


class _ChangedSinceCheck(Exception):
    def __init__(self, results):
        self.results = results


def _assert_imports_into_own_school(actor: User) -> int:
    """The registrar's school's id: a registrar imports into their own school only."""
    if actor.role != User.Role.REGISTRAR or actor.school_id is None:
        raise PermissionDenied
    return actor.school_id


@transaction.atomic
def import_job_create(
    *, actor: User, kind: str, filename: str, content: bytes, language: str | None = None
) -> ImportJob:
    """A registrar uploads a file for their own school; a task checks it. Nothing but the
    job is written until the registrar commits."""
    school_id = _assert_imports_into_own_school(actor)
    if kind not in ImportJob.Kind.values:
        raise ValidationError({"kind": _("Choose what the file holds.")})
    if len(content) > MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is larger than %(limit)s; split it.")
                % {"limit": megabytes(MAX_BYTES)}
            }
        )
    job = ImportJob.objects.create(
        kind=kind,
        school_id=school_id,
        uploaded_by=actor,
        filename=filename[-200:],
        content=content,
        language=language or translation.get_language() or "",
    )
    job_queue_on_commit(import_job_run_task, job.pk, commit=False, language=job.language or None)
    return job


@transaction.atomic
def import_job_commit_start(
    *, actor: User, job: ImportJob, language: str | None = None
) -> ImportJob:
    """Queue the import of a checked file without errors."""
    _assert_imports_into_own_school(actor)
    # Locked so that a second click on "Import" cannot queue a second task.
    job = import_jobs_visible_to(actor).select_for_update(of=("self",)).get(pk=job.pk)
    if job.state != ImportJob.State.CHECKED:
        raise ValidationError(_("Only a checked file can be imported, and only once."))
    if job.file_purged:
        raise ValidationError(file_purged_message())
    if any(result["action"] == Action.ERROR for result in job.results):
        raise ValidationError(
            _(
                "Correct the rows with errors and upload the file again: a file with an "
                "error imports nothing."
            )
        )
    job.state = ImportJob.State.QUEUED
    job.stage = ImportJob.Stage.COMMIT
    job.attempts = 0  # the commit's deliveries are counted afresh
    job.language = language or translation.get_language() or ""
    job.processed_rows = 0
    job.error = ""
    job.heartbeat_at = timezone.now()  # when it was queued, for the sweep (core.jobs)
    job.save(
        update_fields=[
            "state",
            "stage",
            "attempts",
            "language",
            "processed_rows",
            "error",
            "heartbeat_at",
        ]
    )
    job_queue_on_commit(import_job_run_task, job.pk, commit=True, language=job.language or None)
    return job


def import_job_attempt(*, job_id: int, commit: bool, language: str | None = None) -> str:
    """One delivery of the import's task, for the check or (``commit``) the import. Counted
    on the job before it runs, so a file whose worker is killed every time it is read is
    tried ``JOB_MAX_ATTEMPTS`` times and then fails with a message saying so, instead of
    being delivered again for ever. A delivery for a job already checked, imported or
    failed, or for the other stage, changes nothing. Returns the job's state."""
    job = ImportJob.objects.only("state", "language").filter(pk=job_id).first()
    if job is None:
        return "missing"
    stage = ImportJob.Stage.COMMIT if commit else ImportJob.Stage.CHECK
    jobs = ImportJob.objects.filter(stage=stage)
    # The messages per row are kept in the language of the person who uploaded the file.
    with translation.override(language or job.language or settings.LANGUAGE_CODE):
        if job_delivery_count(jobs, pk=job_id, may_run=MAY_RUN, running=ImportJob.State.RUNNING):
            return (import_job_commit if commit else import_job_check)(job=job).state
        _out_of_attempts_fail(jobs, pk=job_id)
    return ImportJob.objects.values_list("state", flat=True).get(pk=job_id)


@transaction.atomic
def import_jobs_sweep(*, now: datetime.datetime) -> int:
    """Queue again, on the imports queue, each job left running by a worker that died (no
    progress for ``JOB_HEARTBEAT_STALE_MINUTES``) and each job queued
    ``JOB_QUEUED_STALE_MINUTES`` ago that no worker has taken (queued while the broker was
    down), and fail those that have had their attempts. Running the stage again applies
    nothing twice: an import commits in one transaction, so a commit whose worker died wrote
    nothing, and one that committed is neither running nor queued. Safe to run twice at once.
    Returns how many were queued again."""
    jobs = ImportJob.objects.only("state", "stage", "language", "attempts", "heartbeat_at")
    swept = jobs_sweep(
        jobs, running=ImportJob.State.RUNNING, queued=ImportJob.State.QUEUED, now=now
    )
    for job in swept.requeued:
        job_queue_on_commit(
            import_job_run_task,
            job.pk,
            commit=job.stage == ImportJob.Stage.COMMIT,
            language=job.language or None,
        )
    for job in swept.exhausted:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            _out_of_attempts_fail(ImportJob.objects.all(), pk=job.pk)
    return len(swept.requeued)


def import_files_purge(*, now: datetime.datetime) -> int:
    """Empty the stored file of every import committed, and of every import uploaded more
    than ``IMPORT_FILE_RETENTION_DAYS`` ago whatever its state: a file holds a school's
    students' numbers, and once imported (or left) only its results are needed. The job, its
    results and its error stay; a checked file emptied can no longer be imported. Returns how
    many files were emptied; run again, it empties none."""
    cutoff = now - datetime.timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS)
    kept = ImportJob.objects.filter(file_purged_at__isnull=True)
    return kept.filter(Q(state=ImportJob.State.COMMITTED) | Q(created_at__lt=cutoff)).update(
        content=b"", file_purged_at=now
    )


def file_purged_message() -> str:
    return _("This file is no longer kept on the server. Upload it again to import it.")


def _out_of_attempts_fail(jobs: QuerySet[ImportJob], *, pk: int) -> bool:
    count = attempts_max()
    error = ngettext(
        "The import stopped %(count)d time before it could finish: the file may be too large "
        "or too complex. Nothing was imported. Split it into smaller files and upload them "
        "one by one, or ask your district for help.",
        "The import stopped %(count)d times before it could finish: the file may be too large "
        "or too complex. Nothing was imported. Split it into smaller files and upload them "
        "one by one, or ask your district for help.",
        count,
    ) % {"count": count}
    return job_exhausted_fail(
        jobs,
        pk=pk,
        may_run=MAY_RUN,
        failed=ImportJob.State.FAILED,
        error=error,
        finished_at=timezone.now(),
    )


def import_job_check(*, job: ImportJob) -> ImportJob:
    """The dry run: a result per row (would create, would update, unchanged or error, with
    line, column and message); nothing is written but the job."""
    return _run(job, commit=False)


def import_job_commit(*, job: ImportJob) -> ImportJob:
    """Write the whole file in one transaction, or nothing."""
    return _run(job, commit=True)


def _run(job: ImportJob, *, commit: bool) -> ImportJob:
    jobs = ImportJob.objects.select_related("school", "uploaded_by").defer("content", "results")
    job = jobs.get(pk=job.pk)
    if job.state == ImportJob.State.COMMITTED:
        return job  # the task ran twice: the file is imported once
    ImportJob.objects.filter(pk=job.pk).exclude(state=ImportJob.State.COMMITTED).update(
        state=ImportJob.State.RUNNING, processed_rows=0, error="", heartbeat_at=timezone.now()
    )
    importer = IMPORTS[job.kind](school=job.school, actor=job.uploaded_by, job_number=job.pk)
    results: list[dict] | None = None
    try:
        with closing(_table(job)) as table:
            rows = _read(job, importer, table)
            if not commit:
                checked = _check(importer, rows, lock=False, write=False)
                results = _finish(job, ImportJob.State.CHECKED, checked)
            else:
                # Read, and checked cell by cell, before the transaction: the progress
                # shows while the file is read, and the row locks are held only to write.
                parsed = list(rows)
        if commit:
            with transaction.atomic():
                locked = jobs.select_for_update(of=("self",)).get(pk=job.pk)
                if locked.state == ImportJob.State.COMMITTED:
                    return locked  # a second delivery of the task waited for the first
                checked = _check(importer, _drained(parsed), lock=True, write=True)
                if any(result.action == Action.ERROR for result in checked):
                    raise _ChangedSinceCheck(checked)
                results = _finish(job, ImportJob.State.COMMITTED, checked)
    except FileRefused as refused:
        results = _finish(job, ImportJob.State.FAILED, [], error=refused.message)
    except _ChangedSinceCheck as changed:
        results = _finish(
            job,
            ImportJob.State.CHECKED,
            changed.results,
            error=_(
                "The data changed since the file was checked, and some rows now have errors; "
                "nothing was imported."
            ),
        )
    except SoftTimeLimitExceeded:
        _finish(
            job,
            ImportJob.State.FAILED,
            [],
            error=_(
                "The file took longer than the import may take; nothing was imported. Split it "
                "into smaller files and upload them one by one."
            ),
        )
        raise
    except (IntegrityError, ValidationError):
        results = None  # the check's results stay
        _finish(
            job,
            ImportJob.State.FAILED,
            None,
            error=_(
                "Someone changed the same records while this file was imported; nothing was "
                "imported. Upload the file again to check it."
            ),
        )
    except (OperationalError, InterfaceError):
        if not commit:
            raise
        # The connection to the database went in the middle of the import: its transaction
        # is gone, so nothing was written. The check's results stay, and the file may be
        # imported again as it is. A task's connection is dropped here, for a new one (inside
        # an outer transaction, as in a test, the connection is that transaction's to keep).
        if not connection.in_atomic_block:
            connection.close()
        _finish(
            job,
            ImportJob.State.CHECKED,
            None,
            error=_(
                "The connection to the database was lost while the file was imported; nothing "
                "was imported. Import it again."
            ),
        )
        results = None
    except Exception:
        _finish(
            job,
            ImportJob.State.FAILED,
            [],
            error=_("The import stopped on an unexpected error; nothing was imported."),
        )
        raise
    job = jobs.get(pk=job.pk)
    if results is not None:
        job.results = results  # as just written, rather than read back and decoded again
    return job


def _table(job: ImportJob) -> Table:
    content, purged_at = (
        ImportJob.objects.values_list("content", "file_purged_at").filter(pk=job.pk).get()
    )
    if purged_at is not None:
        raise FileRefused(file_purged_message())
    return read_table(filename=job.filename, content=bytes(content))


def _read(job: ImportJob, importer, table: Table) -> Iterator:
    """The file's rows, each read and checked cell by cell when it is asked for. The
    headers are checked at once; the progress is written as they are read."""
    layout = table_layout(table, importer.columns)
    _update(job, total_rows=table.size_hint)
    return _parsed(job, importer, table, layout)


def _parsed(job: ImportJob, importer, table: Table, layout: Layout) -> Iterator:
    total = table.size_hint
    every = max(PROGRESS_EVERY, total // 100)
    count = 0
    for line, cells in table.rows:
        check = RowCheck(line=line, cells=cells, layout=layout)
        row = importer.parse(check)
        check.done()
        count += 1
        if count % every == 0:
            _progress(job, count, total)
        yield row
    if count % every or count != total:
        _progress(job, count, total, done=True)


def _progress(job: ImportJob, count: int, total: int, *, done: bool = False) -> None:
    # The total is known before the rows are read as at least their number (a workbook's
    # recorded size may be short of it); the last update makes it exact.
    if count > total or (done and count != total):
        _update(job, processed_rows=count, total_rows=count)
    else:
        _update(job, processed_rows=count)


def _check(importer, rows: Iterable, *, lock: bool, write: bool) -> list[RowResult]:
    """Check the rows against the database a part at a time, and with ``write`` write each
    part, until a row has an error: from then on the rows are only checked, so every row
    has its result, and the caller's transaction undoes what was written."""
    results: list[RowResult] = []
    rows = iter(rows)
    failed = False
    while part := list(islice(rows, PART_ROWS)):
        plan = importer.plan(part, lock=lock)
        results += plan.results
        failed = failed or plan.has_errors
        if write and not failed:
            importer.write(plan)
    return results


def _drained(rows: list) -> Iterator:
    """The rows in order, each let go of as it is taken."""
    rows.reverse()
    while rows:
        yield rows.pop()


def table_layout(table: Table, columns) -> Layout:
    """Where each of ``columns`` is in the table; ``FileRefused`` naming the columns missing,
    not known or given twice. Also read by other apps' uploads (the district's score sheet)."""
    headers = table.headers
    positions = _positions(headers, columns)
    return Layout(
        characters_checked=table.characters_checked,
        positions=positions,
        headers={
            column.name: (
                headers[positions[column.name]] if column.name in positions else column.header
            )
            for column in columns
        },
    )


def _positions(headers: list[str], columns) -> dict[str, int]:
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
    polling it sees it; with it the heartbeat, which tells the sweep the job is alive."""
    ImportJob.objects.filter(pk=job.pk).update(**fields, heartbeat_at=timezone.now())


def _finish(
    job: ImportJob, state: str, results: list[RowResult] | None, *, error: str = ""
) -> list[dict] | None:
    """Record how the job ended, with a result per row (``None`` keeps the results there
    are); returns them as stored."""
    fields = {"state": state, "error": error, "finished_at": timezone.now()}
    stored = None
    if results is not None:
        stored = fields["results"] = [result.as_dict() for result in results]
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    return stored
