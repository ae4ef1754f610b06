"""Import, export, import the export again: the data are identical, every row of the
re-import is "unchanged", and exporting again gives the same file."""

import pytest
from django.urls import reverse
from import_files import course_row, credit_row, csv_file, student_row, xlsx_file

from credits.models import Course, CreditRecord
from imports.models import ImportJob
from students.models import StatusRecord, Student

pytestmark = pytest.mark.django_db
KINDS = [ImportJob.Kind.STUDENTS, ImportJob.Kind.COURSES, ImportJob.Kind.CREDITS]


def _snapshot():
    return (
        list(Student.objects.order_by("pk").values()),
        list(StatusRecord.objects.order_by("pk").values()),
        list(Course.objects.order_by("pk").values()),
        list(CreditRecord.objects.order_by("pk").values()),
    )


@pytest.fixture
def imported(world, upload, commit):
    """Students (one without a class, one vocational-track, a name with a middle dot),
    courses and credits of school A, imported from the registrar's own files."""
    files = {
        ImportJob.Kind.STUDENTS: csv_file(
            [
                student_row(world, 1, name="阿依古丽·买买提"),
                student_row(world, 2, class_name="", cohort_year="", track="中职"),
                student_row(world, 3, guardian_name="O'Neil 王"),
            ],
            encoding="gbk",
        ),
        ImportJob.Kind.COURSES: xlsx_file(
            [
                course_row(world, "YW01", course_name="语文", credit_value="4"),
                course_row(world, "JX01", category="专业技能课", credit_value="1.5"),
            ],
            kind=ImportJob.Kind.COURSES,
        ),
        ImportJob.Kind.CREDITS: csv_file(
            [
                credit_row(world, 1, "YW01", score="92.5", credits_earned="4"),
                credit_row(world, 2, "JX01", semester="2", score="60", credits_earned="1.5"),
                credit_row(world, 3, "JX01", score="0", credits_earned="0"),
            ],
            kind=ImportJob.Kind.CREDITS,
        ),
    }
    for kind in KINDS:
        name = f"{kind}.xlsx" if kind == ImportJob.Kind.COURSES else f"{kind}.csv"
        job = commit(world.registrar, upload(world.registrar, kind, files[kind], name))
        assert job.state == ImportJob.State.COMMITTED, (kind, job.error, job.results)
    return _snapshot()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_re_imports_unchanged_and_identical(world, client, upload, commit, imported, fmt):
    client.force_login(world.registrar)
    exported = {}
    for kind in KINDS:
        exported[kind] = client.get(reverse("imports:export", args=[kind, fmt])).content

    for kind in KINDS:
        job = commit(
            world.registrar, upload(world.registrar, kind, exported[kind], f"{kind}.{fmt}")
        )
        assert job.state == ImportJob.State.COMMITTED, (kind, job.error)
        assert {r["action"] for r in job.results} == {"unchanged"}, (kind, job.results)
        assert len(job.results) == {"students": 3, "courses": 2, "credits": 3}[kind]

    assert _snapshot() == imported
    if fmt == "csv":  # an XLSX carries its creation time; the CSV is byte for byte the same
        for kind in KINDS:
            again = client.get(reverse("imports:export", args=[kind, fmt])).content
            assert again == exported[kind]


def test_the_export_holds_what_was_imported(world, client, imported):
    client.force_login(world.registrar)

    text = client.get(reverse("imports:export", args=["students", "csv"])).content
    lines = text.decode("utf-8-sig").splitlines()

    assert "阿依古丽·买买提" in lines[1]
    assert ",Vocational," in lines[2] and ",融通1班," not in lines[2]
    assert "O'Neil 王" in lines[3]
