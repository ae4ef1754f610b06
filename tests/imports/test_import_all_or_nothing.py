"""The commit writes the whole file or nothing: the rows are checked again, under locks,
inside the transaction that writes them, and any failure while writing undoes every row."""

import pytest
from django.db import IntegrityError
from factories import StatusRecordFactory, StudentFactory
from import_files import birth_date, csv_file, id_number, student_row

from imports import student_rows
from imports.models import ImportJob
from students.models import StatusRecord, Student

pytestmark = pytest.mark.django_db


def _registered_elsewhere(n: int, school):
    """The file's n-th person (``student_row(world, n)``), registered at another school."""
    student = StudentFactory(
        id_card_number=id_number(n),
        student_number=f"G{id_number(n)}",
        birth_date=birth_date(n),
        gender="M" if n % 2 else "F",
    )
    StatusRecordFactory(student=student, school=school)
    return student


def test_a_student_registered_elsewhere_after_the_check_stops_the_whole_import(
    world, upload, commit, school_b
):
    job = upload(world.registrar, "students", csv_file([student_row(world, n) for n in (1, 2, 3)]))
    assert [r["action"] for r in job.results] == ["create"] * 3
    # Meanwhile school B registers the second student.
    student = _registered_elsewhere(2, school_b)

    job = commit(world.registrar, job)

    assert job.state == ImportJob.State.CHECKED
    assert job.error.startswith("The data changed since the file was checked")
    assert [r["action"] for r in job.results] == ["create", "error", "create"]
    assert "registered at another school, or was" in job.results[1]["errors"][0]["message"]
    assert school_b.name not in str(job.results)
    assert list(Student.objects.all()) == [student]
    assert not StatusRecord.objects.filter(school=world.school).exists()


def test_a_failure_while_writing_undoes_every_row(world, upload, commit, monkeypatch):
    job = upload(world.registrar, "students", csv_file([student_row(world, n) for n in (1, 2)]))

    def collide(**kwargs):  # as if another writer took a registration at the last moment
        raise IntegrityError("status_one_active_per_student")

    monkeypatch.setattr(student_rows, "status_open_many", collide)
    job = commit(world.registrar, job)

    assert job.state == ImportJob.State.FAILED
    assert job.error.startswith("Someone changed the same records")
    assert not Student.objects.exists()  # the students written before the failure are gone


def test_an_unexpected_error_fails_the_job_and_imports_nothing(world, upload, commit, monkeypatch):
    job = upload(world.registrar, "students", csv_file([student_row(world, 1)]))
    write = student_rows.StudentImport.write

    def broken(self, plan):  # the rows are written, then the worker fails
        write(self, plan)
        raise RuntimeError("disk full")

    monkeypatch.setattr(student_rows.StudentImport, "write", broken)
    with pytest.raises(RuntimeError):
        commit(world.registrar, job)

    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert job.error == "The import stopped on an unexpected error; nothing was imported."
    assert not Student.objects.exists()
    assert not StatusRecord.objects.exists()


def test_an_import_over_its_time_limit_fails_the_job_saying_so(world, upload, commit, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    job = upload(world.registrar, "students", csv_file([student_row(world, 1)]))
    write = student_rows.StudentImport.write

    def slow(self, plan):  # the worker's soft time limit strikes while it writes
        write(self, plan)
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(student_rows.StudentImport, "write", slow)
    with pytest.raises(SoftTimeLimitExceeded):
        commit(world.registrar, job)

    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert job.error.startswith("The file took longer than the import may take")
    assert not Student.objects.exists()


def test_every_task_has_time_limits_within_the_brokers_visibility_timeout(settings):
    import importlib

    from celery import current_app

    for module in ("imports.tasks", "notifications.tasks", "transfers.tasks"):
        importlib.import_module(module)  # registers the tasks named below
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    limits = [settings.CELERY_TASK_TIME_LIMIT] + [
        hard for _soft, hard in settings.TASK_TIME_LIMITS.values()
    ]
    assert max(limits) < visibility
    for name in [*settings.TASK_TIME_LIMITS, *settings.CELERY_TASK_ROUTES]:
        assert name in current_app.tasks, name
    routes = settings.CELERY_TASK_ROUTES
    assert routes["students.tasks.import_job_run"]["queue"] == "imports"
    assert routes["transfers.tasks.approval_batch_run"]["queue"] == "batches"
    assert routes["transfers.tasks.deliver_notifications"]["queue"] == "messages"


def test_a_checked_file_is_imported_once_only(world, upload, commit):
    from django.core.exceptions import ValidationError

    from imports.services import import_job_commit_start

    job = commit(
        world.registrar, upload(world.registrar, "students", csv_file([student_row(world, 1)]))
    )

    with pytest.raises(ValidationError, match="Only a checked file can be imported, and only once"):
        import_job_commit_start(actor=world.registrar, job=job)


def test_a_file_written_a_part_at_a_time_is_still_all_or_nothing(
    world, upload, commit, school_b, monkeypatch
):
    from imports import services

    monkeypatch.setattr(services, "PART_ROWS", 2)
    content = csv_file([student_row(world, n) for n in range(1, 6)])
    job = upload(world.registrar, "students", content)
    assert [r["action"] for r in job.results] == ["create"] * 5
    # School B registers the last student, in the file's last part: the first two parts
    # are written before the commit comes to it.
    student = _registered_elsewhere(5, school_b)

    job = commit(world.registrar, job)

    assert job.state == ImportJob.State.CHECKED
    assert job.error.startswith("The data changed since the file was checked")
    assert [r["action"] for r in job.results] == ["create"] * 4 + ["error"]
    assert list(Student.objects.all()) == [student]
    assert not StatusRecord.objects.filter(school=world.school).exists()
