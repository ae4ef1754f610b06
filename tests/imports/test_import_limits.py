"""The limits of an upload: at most MAX_ROWS rows (100,000) and MAX_BYTES bytes (32 MB),
enough for a 100,000-row file of Chinese names; larger files are refused saying the limit,
and a file is refused for its rows before any row is checked."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from import_files import csv_file, student_row

from imports import reading
from imports.columns import STUDENT_COLUMNS
from imports.forms import ImportUploadForm
from imports.models import ImportJob
from imports.reading import MAX_BYTES, MAX_ROWS, FileRefused, read_table
from imports.services import import_job_create
from students.validators import make_id_card_number

STUDENTS = ImportJob.Kind.STUDENTS


def _rows(table):
    try:
        return list(table.rows)
    finally:
        table.close()


def test_the_limits_are_100000_rows_and_32_mb():
    assert (MAX_ROWS, MAX_BYTES) == (100_000, 32 * 1024 * 1024)


def test_a_100000_row_file_of_chinese_names_fits_and_is_read_row_by_row():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.header for column in STUDENT_COLUMNS])
    born = datetime.date(2010, 1, 1)
    for n in range(MAX_ROWS):
        number = make_id_card_number("330110", born + datetime.timedelta(days=n // 1000), n % 1000)
        writer.writerow(
            [
                f"G{number}",
                f"欧阳娜娜{n}",
                number,
                "女",
                "",
                f"欧阳监护人{n}",
                f"138{n:08d}",
                "3301100001",
                "融通示范学校",
                "普高",
                "融通1班",
                "2026",
                "",
                "2026-09-01",
            ]
        )
    content = ("\ufeff" + out.getvalue()).encode()

    table = read_table(filename="students.csv", content=content)

    assert len(content) < MAX_BYTES
    assert table.size_hint == MAX_ROWS
    assert not isinstance(table.rows, list)  # read as iterated, not held
    lines = [line for line, _cells in _rows(table)]
    assert (len(lines), lines[0], lines[-1]) == (MAX_ROWS, 2, MAX_ROWS + 1)


def test_one_row_more_is_refused_before_any_row_is_read():
    content = "姓名,身份证号\n" + "张三,1\n" * (MAX_ROWS + 1)

    with pytest.raises(FileRefused, match="more than 100,000 rows"):
        read_table(filename="students.csv", content=content.encode())


def test_blank_lines_do_not_count_as_rows(monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    content = b"a,b\n1,2\n,\n\n3,4\n \n5,6\n,\n"

    rows = _rows(read_table(filename="x.csv", content=content))

    assert rows == [(2, ["1", "2"]), (5, ["3", "4"]), (7, ["5", "6"])]
    with pytest.raises(FileRefused, match="more than 3 rows"):
        read_table(filename="x.csv", content=content + b"7,8\n")


def test_a_workbook_of_more_rows_than_the_limit_is_refused_as_it_is_read(monkeypatch):
    from import_files import xlsx_file

    monkeypatch.setattr(reading, "MAX_ROWS", 2)
    world = type("World", (), {})()
    world.school = type("School", (), {"code": "3301100001"})()
    world.klass = type("Class", (), {"name": "融通1班", "cohort_year": 2026})()
    content = xlsx_file([student_row(world, n) for n in (1, 2, 3)])

    table = read_table(filename="students.xlsx", content=content)

    with pytest.raises(FileRefused, match="more than 2 rows"):
        _rows(table)


def test_a_file_over_32_mb_is_refused_naming_the_limit():
    content = b"a,b\n" + b"1" * MAX_BYTES

    with pytest.raises(FileRefused) as refused:
        read_table(filename="x.csv", content=content)

    assert refused.value.message == "The file is larger than 32 MB; split it into smaller files."


@pytest.mark.django_db
def test_the_upload_refuses_a_file_over_the_limit_naming_it(world):
    with pytest.raises(ValidationError, match="The file is larger than 32 MB; split it."):
        import_job_create(
            actor=world.registrar,
            kind=STUDENTS,
            filename="big.csv",
            content=b"x" * (MAX_BYTES + 1),
        )
    assert not ImportJob.objects.exists()


def test_the_form_says_the_limit_and_refuses_a_larger_file():
    big = SimpleUploadedFile("big.csv", b"x" * (MAX_BYTES + 1), content_type="text/csv")

    with translation.override("en"):
        form = ImportUploadForm({"kind": STUDENTS}, {"file": big})
        assert "at most 32 MB." in str(form.fields["file"].help_text)
        assert not form.is_valid()

    assert form.errors["file"] == ["The file is larger than 32 MB; split it."]


@pytest.mark.django_db
def test_the_total_becomes_exact_when_blank_lines_are_skipped(world, upload):
    content = csv_file([student_row(world, n) for n in (1, 2)]) + b",,,,\r\n\r\n"

    job = upload(world.registrar, STUDENTS, content)

    assert job.state == ImportJob.State.CHECKED, job.error
    assert (job.processed_rows, job.total_rows, job.percent) == (2, 2, 100)


@pytest.mark.django_db
def test_a_file_of_too_many_rows_fails_the_job_with_the_limit(world, upload, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 2)

    job = upload(world.registrar, STUDENTS, csv_file([student_row(world, n) for n in (1, 2, 3)]))

    assert job.state == ImportJob.State.FAILED
    assert job.error == "The file has more than 2 rows; split it into smaller files."
    assert job.results == []
