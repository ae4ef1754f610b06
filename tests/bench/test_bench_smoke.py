"""The benchmark suite's tiny scale, so the generator and the runner never rot.

Runs every figure of ``bench.run`` but the two over HTTP (pages under load, the window-close
rush: their gunicorn sees committed rows only) on the test database: the generator's COPY
needs PostgreSQL. Figures are not judged here (a test database on a busy CI machine says nothing
about speed); that each one ran through the real services and gave a number is.
"""

import pytest
from django.db import connection

from bench.generate import SCALES, generate
from bench.run import measure_all, render
from imports.models import ImportJob
from students.models import StatusRecord, Student
from transfers.models import Application

# The generator loads the way a DBA would (constraints and indexes off, then back), as the
# tables' owner.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db, pytest.mark.owner]


def _schema():
    """Every constraint and index of the database, with its definition."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
            "UNION ALL SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = 'public'"
        )
        return sorted(cursor.fetchall())


def test_tiny_scale_generates_valid_data_and_measures_every_figure():
    scale = SCALES["tiny"]
    schema = _schema()
    world = generate(scale, log=lambda _message: None)

    # The load drops foreign keys and plain indexes while it copies: all are back as they were.
    assert _schema() == schema

    assert Student.objects.count() == scale.students
    # COPY skips the model's validation: the rows must pass it all the same.
    for student in Student.objects.order_by("?")[:20]:
        student.full_clean(exclude=["user"])
    # The registrar's list school holds its share; the bureau's queue holds more than the batch.
    listed = world.pairings[-1].general_school
    assert listed.status_records.filter(state="active").count() == scale.list_students
    assert Application.objects.filter(state=Application.State.RECOMMENDED).count() == scale.pending
    assert len(world.recommended) == scale.batch < scale.pending

    # The figures over HTTP need committed rows (their gunicorn cannot see this test's
    # transaction): bench.run measures them on its own database.
    results = measure_all(world, load=False, log=lambda _message: None)

    figures = [row["figure"] for row in results["rows"]]
    assert [f.split(":")[0] for f in figures] == [
        "Semester review",
        "Import",
        "Import",
        "Batch approval",
    ]
    assert all(row["ratio"] > 0 for row in results["rows"])
    # The imports went through the real path and committed both files.
    assert ImportJob.objects.filter(state=ImportJob.State.COMMITTED).count() == 2
    assert Student.objects.count() == scale.students + 2 * scale.import_rows
    # The batch moved every recommended student.
    assert Application.objects.filter(state=Application.State.COMPLETED).count() == scale.batch
    assert StatusRecord.objects.filter(state="transferred_out").count() == scale.batch
    assert (
        Application.objects.filter(state=Application.State.RECOMMENDED).count()
        == scale.pending - scale.batch
    )
    assert {label.split(":")[0] for label, _plan in results["plans"]} == {
        "duplicates",
        "unconfirmed",
    }
    assert "| Batch approval" in render(world, results)
