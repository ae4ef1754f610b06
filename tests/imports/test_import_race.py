"""Two imports of the same new student committed at the same moment: the database's unique
index decides, one file is imported and the other imports nothing."""

import threading
from functools import partial

import pytest
from import_files import csv_file, student_row
from races import race

from imports import student_rows
from imports.models import ImportJob
from imports.services import import_job_check, import_job_commit
from students.models import StatusRecord, Student


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_new_student_at_once_register_them_once(world, monkeypatch):
    jobs = []
    for name in ("a.csv", "b.csv"):
        job = ImportJob.objects.create(
            kind=ImportJob.Kind.STUDENTS,
            school=world.school,
            uploaded_by=world.registrar,
            filename=name,
            content=csv_file([student_row(world, 1), student_row(world, 2)]),
        )
        jobs.append(import_job_check(job=job))
    assert [r["action"] for job in jobs for r in job.results] == ["create"] * 4

    # Both have checked again under their locks, and both would create, before either writes.
    both_planned = threading.Barrier(2, timeout=10)
    plan = student_rows.StudentImport.plan

    def plan_then_wait(self, rows, *, lock):
        result = plan(self, rows, lock=lock)
        both_planned.wait()
        return result

    monkeypatch.setattr(student_rows.StudentImport, "plan", plan_then_wait)
    race([partial(import_job_commit, job=job) for job in jobs])

    states = sorted(ImportJob.objects.values_list("state", flat=True))
    assert states == [ImportJob.State.COMMITTED, ImportJob.State.FAILED]
    failed = ImportJob.objects.get(state=ImportJob.State.FAILED)
    assert failed.error.startswith("Someone changed the same records")
    assert Student.objects.count() == 2
    assert StatusRecord.objects.filter(state="active").count() == 2
