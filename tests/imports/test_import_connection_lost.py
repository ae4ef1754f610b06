"""A connection to the database lost in the middle of an import (issue 13, finding 8) fails
it cleanly, writes nothing, and keeps the dry run: the registrar imports the same checked
file again, without uploading it again."""

import pytest
from django.db import OperationalError, connection
from import_files import csv_file, student_row

from imports import student_rows
from imports.models import ImportJob
from students.models import Student


def _lost_midway(monkeypatch, *, really: bool):
    """The first write of the import loses its connection: for real on PostgreSQL (the
    backend is ended under it), or by the error the driver raises then."""
    write = student_rows.StudentImport.write
    calls = []

    def lost(self, plan):
        if not calls:
            calls.append(plan)
            if really:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
            raise OperationalError("server closed the connection unexpectedly")
        return write(self, plan)

    monkeypatch.setattr(student_rows.StudentImport, "write", lost)


def _lost_then_again(world, upload, commit, monkeypatch, *, really: bool):
    job = upload(world.registrar, "students", csv_file([student_row(world, n) for n in (1, 2)]))
    checked = job.results
    _lost_midway(monkeypatch, really=really)

    job = commit(world.registrar, job)

    assert job.state == ImportJob.State.CHECKED
    assert job.error.startswith("The connection to the database was lost")
    assert job.results == checked  # the dry run stays
    assert not Student.objects.exists()

    job = commit(world.registrar, job)  # the same file, imported again as it is
    assert job.state == ImportJob.State.COMMITTED, job.error
    assert Student.objects.count() == 2


@pytest.mark.django_db
def test_a_lost_connection_keeps_the_dry_run_and_the_file_imports_again(
    world, upload, commit, monkeypatch
):
    _lost_then_again(world, upload, commit, monkeypatch, really=False)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_backend_ended_in_the_middle_of_the_import(world, upload, commit, monkeypatch):
    _lost_then_again(world, upload, commit, monkeypatch, really=True)
