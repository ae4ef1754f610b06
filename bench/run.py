"""The benchmark runner: ``python -m bench.run --scale small`` (``make bench SCALE=small``).

Creates a dedicated database (``bench_transfers`` by default; ``BENCH_DATABASE_URL`` or
``--database-url`` to choose; its name must contain "bench", since it is dropped), migrates it,
fills it (``bench.generate``), measures each figure against a reference measured in the same
run on the same data, prints the table and writes ``bench/RESULTS.md``, then drops the
database (``--keep`` keeps it).

``measure_all(world)`` works on whatever database Django is connected to, so the smoke test
runs the tiny scale's figures on the test database.
"""

import argparse
import csv
import datetime
import io
import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_transfers"
#: The scales of bench.generate.SCALES (which needs Django set up to import).
SCALE_NAMES = ["tiny", "small", "city", "province"]
RESULTS = Path(__file__).with_name("RESULTS.md")
PLAN_WORDS = ("Scan", "Join", "Aggregate", "Sort", "Execution Time", "Hash Cond", "SubPlan")


def _timed(function, *, repeat: int = 1) -> tuple[float, Any]:
    """The best wall time of ``repeat`` calls, and the last call's result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


# --- import ---------------------------------------------------------------------------------


def _import_csv(world, *, count: int, born_from: datetime.date) -> tuple[bytes, list]:
    """A registrar's file of ``count`` new students for the import school, as the template
    writes it (UTF-8 with BOM, Chinese / English headers)."""
    from bench.generate import COHORT, ENROLLED_ON, person
    from imports.columns import STUDENT_COLUMNS

    school, klass = world.import_school, world.import_class
    region = school.pilot_area.code
    names = [
        "name",
        "id_card_number",
        "gender",
        "birth_date",
        "guardian_name",
        "guardian_phone",
        "school_code",
        "track",
        "class_name",
        "cohort_year",
        "major_code",
        "start_date",
    ]
    headers = {column.name: column.header for column in STUDENT_COLUMNS}
    people = []
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([headers[name] for name in names])
    for i in range(count):
        number, birth, gender = person(region, i, born_from=born_from)
        people.append((number, birth, gender))
        writer.writerow(
            [
                f"导入学生{i}",
                number,
                "男" if gender == "M" else "女",
                birth.isoformat(),
                f"家长{i}",
                f"137{i:08d}",
                school.code,
                "普高",
                klass.name,
                COHORT,
                klass.major.code,
                ENROLLED_ON.isoformat(),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8"), people


def _copy_reference(world, people) -> float:
    """PostgreSQL COPY of the same rows into the same tables (students and status records),
    in a transaction rolled back afterwards. Its foreign keys are checked before the clock
    stops, as the import's are when it commits (they are deferred: a rollback would skip
    them)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.generate import ENROLLED_ON, copy_rows, next_ids
    from students.models import StatusRecord, Student

    school, klass = world.import_school, world.import_class
    created = timezone.now().isoformat()
    elapsed = 0.0
    with transaction.atomic():
        start = time.perf_counter()
        first_student = next_ids(Student, len(people))
        first_status = next_ids(StatusRecord, len(people))
        copy_rows(
            "students_student",
            [
                "id",
                "student_number",
                "name",
                "id_card_number",
                "gender",
                "birth_date",
                "guardian_name",
                "guardian_phone",
            ],
            (
                (first_student + i, f"G{n}", f"导入学生{i}", n, g, b, f"家长{i}", f"137{i:08d}")
                for i, (n, b, g) in enumerate(people)
            ),
        )
        copy_rows(
            "students_statusrecord",
            [
                "id",
                "student_id",
                "school_id",
                "track",
                "integration_class_id",
                "major_id",
                "start_date",
                "state",
                "reason",
                "created_at",
            ],
            (
                (
                    first_status + i,
                    first_student + i,
                    school.pk,
                    "general",
                    klass.pk,
                    klass.major_id,
                    ENROLLED_ON,
                    "active",
                    "",
                    created,
                )
                for i in range(len(people))
            ),
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred checks run now
        elapsed = time.perf_counter() - start
        transaction.set_rollback(True)  # measured; nothing of it is kept
    return elapsed


def _import(world, content: bytes, filename: str):
    """Upload, check (the dry run) and commit, through the services the Celery task runs."""
    from imports.models import ImportJob
    from imports.services import import_job_check, import_job_commit

    job = ImportJob.objects.create(
        kind=ImportJob.Kind.STUDENTS,
        school=world.import_school,
        uploaded_by=world.registrars[world.import_school.pk],
        filename=filename,
        content=content,
    )
    start = time.perf_counter()
    job = import_job_check(job=job)
    checked = time.perf_counter()
    errors = [r for r in job.results if r["action"] == "error"]
    if job.state != ImportJob.State.CHECKED or errors:
        raise RuntimeError(f"the import check failed: {job.error} {errors[:3]}")
    job = import_job_commit(job=job)
    done = time.perf_counter()
    if job.state != ImportJob.State.COMMITTED:
        raise RuntimeError(f"the import did not commit: {job.error}")
    return checked - start, done - checked


def measure_import(world) -> list[dict]:
    rows = world.scale.import_rows
    content, people = _import_csv(world, count=rows, born_from=datetime.date(2009, 9, 1))
    copy_time = _copy_reference(world, people)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    check_time, commit_time = _import(world, content, "bench-import.csv")
    rss_delta = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    total = check_time + commit_time
    # Peak memory of a second import of as many other students, traced (tracemalloc slows
    # Python down, so the timed run above is not traced).
    content2, _ = _import_csv(world, count=rows, born_from=datetime.date(2010, 9, 1))
    tracemalloc.start()
    _import(world, content2, "bench-import-2.csv")
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return [
        {
            "figure": f"Import: {rows:,} students with status from CSV (check + commit)",
            "measured": f"{rows / total:,.0f} rows/s ({total:.2f} s: check {check_time:.2f} s, "
            f"commit {commit_time:.2f} s)",
            "reference": f"COPY same rows: {rows / copy_time:,.0f} rows/s ({copy_time:.3f} s)",
            "ratio": total / copy_time,
            "target": "≤ 4× COPY",
            "met": total / copy_time <= 4,
        },
        {
            "figure": "Import: peak memory",
            "measured": f"{peak:,.1f} MB traced peak (tracemalloc); "
            f"maxrss grew {rss_delta:,.1f} MB",
            "reference": "500 MB budget",
            "ratio": peak / 500,
            "target": "< 500 MB",
            "met": peak < 500,
        },
    ]


# --- semester review ------------------------------------------------------------------------


def _review(world):
    from students.review.selectors import duplicate_registrations, unconfirmed_records

    duplicates = duplicate_registrations(world.bureau)
    unconfirmed = unconfirmed_records(world.bureau, term=world.first_term).count()
    return len(duplicates), unconfirmed


def _seq_scan():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM students_statusrecord")
        return cursor.fetchone()[0]


def explain_review(world) -> list[tuple[str, list[str]]]:
    """EXPLAIN ANALYZE of each query the review runs, the key lines of each plan."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        _review(world)
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if "students_statusrecord" not in sql:
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            lines = [row[0] for row in cursor.fetchall()]
            key = [_short(line) for line in lines if any(w in line for w in PLAN_WORDS)]
            label = "duplicates" if "id_card_number_irregular" in sql else "unconfirmed"
            plans.append((f"{label}: {sql[:160]}…", key))
    return plans


def _short(line: str, limit: int = 150) -> str:
    line = line.rstrip()
    return line if len(line) <= limit else line[:limit] + "…"


def measure_review(world) -> list[dict]:
    _review(world)  # warm the caches, as a registrar's second look would find them
    _seq_scan()
    review_time, (duplicates, unconfirmed) = _timed(lambda: _review(world), repeat=3)
    scan_time, rows = _timed(_seq_scan, repeat=3)
    ratio = review_time / scan_time
    return [
        {
            "figure": f"Semester review: duplicate + empty-registration detection over "
            f"{rows:,} status records",
            "measured": f"{review_time * 1000:,.1f} ms ({duplicates} duplicates, "
            f"{unconfirmed:,} unconfirmed)",
            "reference": f"SELECT count(*) of the table: {scan_time * 1000:,.1f} ms",
            "ratio": ratio,
            "target": "≤ 5× one scan",
            "met": ratio <= 5,
        }
    ]


# --- batch approval -------------------------------------------------------------------------


def _same_rows(world, applications):
    """The rows the approval of these applications writes, built ahead (not timed): the new
    status records, the recognised credit records, two history events and the
    notifications of each."""
    from django.utils import timezone

    from credits.models import CreditRecord, RecognitionRule
    from notifications.models import Notification
    from students.models import StatusRecord
    from transfers.models import Application, ApplicationEvent
    from transfers.services.notifications import recipients_for

    today = timezone.localdate()
    applications = list(
        Application.objects.filter(pk__in=[a.pk for a in applications]).select_related(
            "policy__pilot_area", "student", "to_school", "to_major", "from_status"
        )
    )
    targets = dict(
        RecognitionRule.objects.filter(target_course__isnull=False).values_list(
            "source_course_id", "target_course_id"
        )
    )
    statuses, credits, events, notifications = [], [], [], []
    origins = CreditRecord.objects.filter(student__in=[a.student_id for a in applications])
    by_student = {}
    for origin in origins:
        by_student.setdefault(origin.student_id, []).append(origin)
    for application in applications:
        statuses.append(
            StatusRecord(
                student_id=application.student_id,
                school_id=application.to_school_id,
                track="vocational",
                major_id=application.to_major_id,
                start_date=today,
                funding_eligible_from=today,
            )
        )
        for origin in by_student.get(application.student_id, []):
            credits.append(
                CreditRecord(
                    student_id=origin.student_id,
                    course_id=targets[origin.course_id],
                    term_id=origin.term_id,
                    score=origin.score,
                    credits_earned=origin.credits_earned,
                    recognised_from=origin,
                )
            )
        recipients = recipients_for(application)
        for from_state, to_state in (("recommended", "approved"), ("approved", "completed")):
            events.append(
                ApplicationEvent(
                    application=application,
                    actor=world.bureau,
                    from_state=from_state,
                    to_state=to_state,
                )
            )
            notifications += [
                Notification(recipient=user, about=application, subject=to_state, body=to_state)
                for user in recipients
            ]
    old = [a.from_status_id for a in applications]
    return old, statuses, credits, events, notifications


def _bulk_reference(world, applications) -> tuple[float, int]:
    from django.db import transaction
    from django.utils import timezone

    from credits.models import CreditRecord
    from notifications.models import Notification
    from students.models import StatusRecord
    from transfers.models import ApplicationEvent

    old, statuses, credits, events, notifications = _same_rows(world, applications)
    elapsed = 0.0
    with transaction.atomic():
        start = time.perf_counter()
        StatusRecord.objects.filter(pk__in=old).update(
            state="transferred_out", end_date=timezone.localdate()
        )
        StatusRecord.objects.bulk_create(statuses)
        CreditRecord.objects.bulk_create(credits)
        ApplicationEvent.objects.bulk_create(events)
        Notification.objects.bulk_create(notifications)
        elapsed = time.perf_counter() - start
        transaction.set_rollback(True)  # measured; nothing of it is kept
    return elapsed, len(old) + len(statuses) + len(credits) + len(events) + len(notifications)


def measure_batch(world) -> list[dict]:
    """The bureau's batch approval as production runs it: ``approval_batch_start`` queues the
    Celery task on commit and the task runs ``approval_batch_run``, which records each
    application's outcome on the batch under its lock. Celery runs eagerly here (the runner
    unsets REDIS_URL), so the task's whole work is inside the measured call."""
    from django.test import TestCase

    from transfers.models import ApprovalBatch
    from transfers.services import approval_batch_start

    applications = world.recommended
    n = len(applications)
    reference, rows = _bulk_reference(world, applications)

    def run() -> ApprovalBatch:
        # The task is queued when the batch commits. Outside a transaction that is at once;
        # inside one (the smoke test's) the callback is run as the commit would run it.
        with TestCase.captureOnCommitCallbacks(execute=True):
            return approval_batch_start(actor=world.bureau, applications=applications)

    total, batch = _timed(run)
    batch.refresh_from_db()
    if batch.state != ApprovalBatch.State.FINISHED or len(batch.approved_ids) != n:
        raise RuntimeError(f"the batch refused {len(batch.refusals)}: {batch.refusals[:3]}")
    credits = world.scale.credits_per_student
    return [
        {
            "figure": f"Batch approval: {n:,} transfers, {credits} credit records each",
            "measured": f"{total:.2f} s, {total / n * 1000:,.1f} ms per transfer",
            "reference": f"one bulk_create per table of the same {rows:,} rows: "
            f"{reference:.3f} s ({reference / n * 1000:,.2f} ms per transfer)",
            "ratio": total / reference,
            "target": "reported (no target set)",
            "met": None,
        }
    ]


# --- the whole run --------------------------------------------------------------------------


def measure_all(world, *, load: bool = True, log=print) -> dict:
    """Every figure. ``load=False`` leaves out the ones over HTTP (pages under load, the
    window-close rush): their gunicorn sees committed rows only, which a test's transaction
    never has. They run before the batch approval, which empties the bureau's queue."""
    from bench.load import measure_pages, measure_rush

    results: dict[str, list] = {"rows": [], "plans": []}
    figures = [("review", measure_review), ("import", measure_import)]
    if load:
        figures += [("pages under load", measure_pages), ("window-close rush", measure_rush)]
    figures.append(("batch approval", measure_batch))
    for name, measure in figures:
        log(f"measuring {name}…")
        results["rows"] += measure(world)
        if name == "review":
            # On the same data the review figure was measured on.
            results["plans"] = explain_review(world)
    return results


def machine() -> str:
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 2**20:.0f} GiB"
    except OSError:
        memory = "?"  # not Linux: the memory is left out rather than guessed
    return f"{os.cpu_count()} cores, {memory}"


def postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def render(world, results: dict, *, elapsed: dict | None = None) -> str:
    scale = world.scale
    where = machine()
    day = datetime.date.today().isoformat()
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench SCALE={scale.name}` on {day}: {where} "
        f"({platform.machine()}, Python {platform.python_version()}, "
        f"PostgreSQL {postgres_version()}). Scale **{scale.name}**: "
        + ", ".join(f"{count:,} {name}" for name, count in world.counts.items())
        + f", {len(world.pairings) * 2} schools in {len(world.areas)} pilot areas.",
        "",
        "Each figure is measured side by side with its reference, in the same run, on the same "
        "data; the ratio is figure ÷ reference (lower is better).",
        "",
        "| figure | scale | machine | date | measured | reference (same run) | ratio "
        "| target | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results["rows"]:
        met = {True: "yes", False: "**no**", None: "—"}[row["met"]]
        lines.append(
            f"| {row['figure']} | {scale.name} | {where} | {day} | {row['measured']} "
            f"| {row['reference']} | {row['ratio']:.2f}× | {row['target']} | {met} |"
        )
    lines += ["", "## Query plans of the semester review (EXPLAIN ANALYZE, key lines)", ""]
    for label, key in results["plans"]:
        lines += [f"`{label}`", "", "```", *key, "```", ""]
    if elapsed:
        lines += [
            "## Run time",
            "",
            ", ".join(f"{name} {seconds:.0f} s" for name, seconds in elapsed.items()),
            "",
        ]
    lines += [NOTES]
    return "\n".join(lines)


NOTES = """## What each fix changed (city scale unless said; before and after measured the same way)

- **Generation**: Django's foreign keys are deferred, so COPY of 12 million credit records
  queued one check per row and ran them all at COMMIT. `bench.generate.loading` drops the
  foreign keys and plain indexes of the five volume tables for the load and adds them back
  (one validating join per key), as pg_restore does: 381 s → 97–138 s for the city.
- **Semester review**: 1,770 ms, 65× one scan → 174 ms, 5.1×. The duplicate check
  recomputed the normalised ID-card number (15 nested `REPLACE`) over every active record;
  a stored generated column `id_card_number_irregular` with a partial index now makes it one
  probe of a tiny index (with both unique indexes standing, a person can be registered twice
  only through an irregularly typed number; without them it falls back to the full pass).
  The unconfirmed count read the scope as a subquery PostgreSQL estimated at one school and
  ran as a per-record nested loop; the scope's schools and the term's reviews are now read
  first and it is one parallel hash anti join.
- **Import** (100,000 rows): the file was held whole, a model per row, a result per row:
  446 MB peak and 2,000–2,500 rows/s (10–20× COPY). It now streams, checks and writes in
  parts of 2,000 with one query per part, and keeps values, not models (118 MB). The writes
  were `bulk_create` (135 µs a row, mostly building models) and are now one
  `INSERT … SELECT FROM unnest(…)` per part (`students.services.insert_rows`, 32–37 µs a
  row): about 9–10× COPY → about 4×. The COPY reference now pays for its foreign-key checks,
  as the committed import does (it used to roll back before they ran).
- **Approval queue** (10,000 pending): the page query joined and sorted the whole queue
  (60 ms); an index on (state, rank, id) serves a page in 0.45 ms. Rows load only the columns
  they show and are written once per page; the filter form's dropdowns load in one query.
  CPU per request 24 → 10 ms in-process; under load 11.9 → 48 req/s (connection per
  request) → the figure in the table (persistent connections).
- **Student list** (5,000 of 300,000 students): PostgreSQL walked the student-number index
  and probed each student's records until a page was full, reckoning the school's students
  spread evenly along the numbers; they start with the region, so it read past 295,000
  students (290 ms). The scope's student ids are now read once into an array (`any_of`):
  5 ms. The count comes from the status records (33 → 0.9 ms). Under load 2.3 → 47 req/s
  (connection per request) → the figure in the table.
- **Persistent connections**: every request opened a PostgreSQL connection, whose new
  backend took about a quarter of the CPU in the rush; a production worker (DEBUG off) now
  keeps its connection (`CONN_MAX_AGE` 60). It lifts every page, and the one-query reference
  most of all (120 → about 670 req/s), which is why the pages' ratio fell while their own
  rate rose (48 → 77 and 47 → 92 req/s).
- **Window-close rush**: the apply page prefetched every quota and component of the policy,
  which it never shows (GET 25 → 19 ms, POST 31 → 26 ms in-process); with that and the
  persistent connections, students through in the minute: 632 of 2,000 (10.5 a second) →
  all 2,000 (the table).

## Targets not met, what limits them and what would

- **Pages under load (≥ 0.5× the reference, p95 < 150 ms)**: the pages serve 77–92
  requests a second with a p95 near 300 ms, about a seventh of a view that runs one query and
  renders no template. Each page costs the server about 10 ms of Python (the shared frame,
  `base.html` with its context processors, unread count, session and user, is 2.8 ms of it;
  the filter form a fifth; building the ORM's queries a quarter of the rest) and runs 6–7
  queries, against the reference's 1.3 ms and one query; 20 clients on 2 sync workers queue
  behind that. What would: caching what is the same for every request of a user (the frame,
  the filter form's choices for the scope) in Redis, and the rows as one hand-written query;
  reaching half of a template-less one-query view would likely still need the list served
  as data and drawn in the browser.
- **Semester review ≤ 5×**: about 5×, varying across runs. The unconfirmed count must read
  both the status records and the confirmations (6,500 buffers against the reference's
  4,000) and hash 285,000 keys; that alone is about 5× one scan. A per-record "confirmed this
  term" flag kept by a trigger would make it one scan, at the cost of a second copy of the
  confirmation.
- **Import ≤ 4× COPY**: about 4×, varying across runs. The writes now cost about what COPY
  does; what is left is reading and checking the file twice (the dry run, then again under
  locks at commit), which the all-or-nothing commit needs.

## How each figure is measured

- **Import** is the registrar's path without the web layer: an `ImportJob` with the CSV
  (UTF-8 with BOM, the template's headers), `import_job_check` (the dry run) then
  `import_job_commit` (which checks every row again under row locks and writes), the two
  services the Celery task runs; timed = check + commit, into one school, on top of the
  generated data. A file holds at most 100,000 rows (`MAX_ROWS`). The reference COPYs the
  same students and status records into the same tables, runs their deferred foreign-key
  checks, and rolls back. Peak memory is of a second, traced import of as many other
  students (tracemalloc counts Python allocations; maxrss growth is shown too, 0 when an
  earlier step had already peaked higher).
- **Semester review** is `duplicate_registrations` (listed) and `unconfirmed_records`
  (counted) for the bureau, i.e. over the whole city; best of 3 warm runs, against the best of
  3 `SELECT count(*)` of the status table. 95% of the students are confirmed. The generator
  plants no duplicate registrations (the constraints refuse them), so the duplicate check
  finds none.
- **Batch approval** is the production path: `approval_batch_start`, whose Celery task
  (eager here) runs `approval_batch_run` (each application its own transaction: seat check,
  history, notifications, status closed and opened, credits recognised, and the batch's
  progress recorded under its lock) with the
  e-mail backend set to the dummy one, for the first `batch` of the applications the
  generator wrote "recommended" (COPY, not driven there through the services). The
  reference writes the same rows (old statuses closed by one UPDATE, new statuses,
  recognised credit records, two history events and the notifications per transfer) with
  one `bulk_create` per table, in a transaction rolled back before the approval runs.
- **Pages under load** (`bench/load.py`): gunicorn as production starts it (`config.wsgi`,
  2 sync workers, 127.0.0.1 on a free port, `DEBUG=off`, so persistent connections,
  `--log-level warning`, e-mail to the dummy backend; `collectstatic` first if the manifest
  is missing) and 20 connections from `wrk` (2 threads; Python threads of the runner where
  wrk is not installed) GETting one page back to back for a fixed time (30 s at city scale;
  30 s timeout). Sessions are written with Django's `SessionStore` and sent as the cookie.
  The approval queue holds the 10,000 applications the generator left "recommended",
  measured before the batch approval; the student list is the registrar's of the last
  pairing's general school, which the generator gives 5,000 students. The reference is
  `bench/reference_wsgi.py`: the same WSGI application with one more path, a
  `login_required` view reading `request.user` and running one primary-key query, served by
  a second gunicorn with the same settings (after the first stopped, never alongside).
- **Window-close rush**: the generated cohort's window closed long ago and a published policy
  cannot change (a trigger), so `bench.generate.rush_cohort` adds a cohort dated around
  today: one integration class per pairing's general school, each area's policy for it
  published through the services with the window open now, and 2,000 students with an
  account each. Each student GETs `/transfers/apply/` (the CSRF token and the first major
  offered) and POSTs the form; every tenth posts it twice at once (a double click). 20
  client threads; a student not started within 60 s counts against the figure. Afterwards
  the applications of those students are counted against the POSTs that were redirected to
  an application: a duplicate (two rows), a lost one (redirected, no row) or an unconfirmed
  one (a row nobody was told about) fails the figure. A second click is expected to be
  refused or sent to the saved application. The p95 is of the POSTs.
- **Province** (`SCALE=province`: 1.5 million students, about 2,000 schools, 60 million
  credit records) is defined and runs the same figures; it is not run here (about five
  times the city's time and disk).
"""


def _database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def _admin(url: str, sql: str) -> None:
    """Run one statement on the server's maintenance database, outside any transaction."""
    import psycopg2

    connection = psycopg2.connect(urlunparse(urlparse(url)._replace(path="/postgres")))
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def recreate_database(url: str) -> None:
    _admin(url, f'DROP DATABASE IF EXISTS "{_database_name(url)}"')
    _admin(url, f'CREATE DATABASE "{_database_name(url)}"')


def drop_database(url: str) -> None:
    _admin(url, f'DROP DATABASE IF EXISTS "{_database_name(url)}" WITH (FORCE)')


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=SCALE_NAMES, default="city")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    url = args.database_url
    if not url.startswith("postgres") or "bench" not in _database_name(url):
        parser.error("the database URL must be PostgreSQL and its name must contain 'bench'")

    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)  # Celery runs eagerly, in this process
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from bench.generate import SCALES, generate

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    # DEBUG logs every query in memory: it would slow every figure and fill the log.
    settings.DEBUG = False
    elapsed = {}
    try:
        start = time.perf_counter()
        call_command("migrate", verbosity=0)
        elapsed["migrate"] = time.perf_counter() - start
        start = time.perf_counter()
        world = generate(SCALES[args.scale])
        elapsed["generate"] = time.perf_counter() - start
        start = time.perf_counter()
        results = measure_all(world)
        elapsed["measure"] = time.perf_counter() - start
        text = render(world, results, elapsed=elapsed)
        print(text)
        args.results.write_text(text + "\n", encoding="utf-8")
        print(f"\nwritten to {args.results}", file=sys.stderr)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
