"""Checking a file reads the database for the whole file in a few queries, never per row,
and the commit writes in bulk: 2,000 rows cost a bounded number of queries."""

import datetime
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from import_files import birth_date, csv_file, id_number, student_row

from imports.models import ImportJob
from imports.services import import_job_check, import_job_commit
from students.models import StatusRecord, Student, Track

pytestmark = pytest.mark.django_db
ROWS = 2_000


def _existing(world, numbers):
    """Students already registered at the school, as a previous import left them."""
    students = Student.objects.bulk_create(
        Student(
            student_number=f"G{id_number(n)}",
            id_card_number=id_number(n),
            name=f"学生{n}",
            gender="M" if n % 2 else "F",
            birth_date=birth_date(n),
            guardian_name=f"家长{n}",
            guardian_phone=f"138{n:08d}",
        )
        for n in numbers
    )
    StatusRecord.objects.bulk_create(
        StatusRecord(
            student=student,
            school=world.school,
            track=Track.GENERAL,
            integration_class=world.klass,
            major=world.klass.major,
            start_date=datetime.date(2026, 9, 1),
        )
        for student in students
    )


def _job(world, rows):
    return ImportJob.objects.create(
        kind=ImportJob.Kind.STUDENTS,
        school=world.school,
        uploaded_by=world.registrar,
        filename="big.csv",
        content=csv_file(rows),
    )


def test_checking_and_committing_2000_rows_takes_a_bounded_number_of_queries(world):
    # Half the file is already there (one row of those changed), half is new.
    _existing(world, range(1, ROWS // 2 + 1))
    rows = [student_row(world, n) for n in range(1, ROWS + 1)]
    rows[0]["guardian_name"] = "新家长"
    job = _job(world, rows)

    with CaptureQueriesContext(connection) as check_queries:
        job = import_job_check(job=job)
    actions = [result["action"] for result in job.results]
    assert actions.count("create") == ROWS // 2
    assert actions.count("unchanged") == ROWS // 2 - 1
    assert actions.count("update") == 1
    # Reading students, registrations, schools, classes and majors: one query each, plus
    # the job's own bookkeeping and a progress write every 500 rows.
    assert len(check_queries) <= 16, [q["sql"][:80] for q in check_queries]

    with CaptureQueriesContext(connection) as commit_queries:
        job = import_job_commit(job=job)
    assert job.state == ImportJob.State.COMMITTED
    assert Student.objects.count() == ROWS
    assert StatusRecord.objects.filter(school=world.school, state="active").count() == ROWS
    assert Student.objects.get(id_card_number=id_number(1)).guardian_name == "新家长"
    # Inserts go in batches (SQLite's are smaller, for its limit on parameters): students,
    # registrations, each registration's opening event, the changes of personal data.
    assert len(commit_queries) <= ROWS // 30, Counter(q["sql"][:40] for q in commit_queries)
