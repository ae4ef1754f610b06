"""Students with their status come in as registrars' files really are: XLSX, CSV in UTF-8
with or without the BOM, CSV in GBK from Excel on a Chinese Windows; headers in Chinese,
English or both. The check writes nothing; the commit registers each student at the school,
in the class; the same file again changes nothing."""

import datetime

import pytest
from import_files import csv_file, id_number, student_row, xlsx_file

from imports.models import ImportJob
from students.models import StatusRecord, Student

STUDENTS = ImportJob.Kind.STUDENTS
pytestmark = pytest.mark.django_db


def _actions(job):
    return [result["action"] for result in job.results]


@pytest.mark.parametrize(
    ("filename", "make"),
    [
        ("utf8-bom.csv", lambda rows: csv_file(rows, encoding="utf-8-sig")),
        ("utf8.csv", lambda rows: csv_file(rows, encoding="utf-8")),
        ("gbk.csv", lambda rows: csv_file(rows, encoding="gbk")),
        ("gb18030.csv", lambda rows: csv_file(rows, encoding="gb18030")),
        ("students.xlsx", xlsx_file),
    ],
)
def test_each_encoding_imports_chinese_names(world, upload, commit, filename, make):
    rows = [student_row(world, 1, name="欧阳娜娜"), student_row(world, 2, name="张瑀")]

    job = upload(world.registrar, STUDENTS, make(rows), filename)

    assert job.state == ImportJob.State.CHECKED, job.error
    assert _actions(job) == ["create", "create"]
    assert [r["line"] for r in job.results] == [2, 3]
    assert not Student.objects.exists()  # the check writes nothing

    job = commit(world.registrar, job)

    assert job.state == ImportJob.State.COMMITTED
    assert sorted(Student.objects.values_list("name", flat=True)) == ["张瑀", "欧阳娜娜"]
    record = StatusRecord.objects.get(student__id_card_number=id_number(1))
    assert record.school == world.school
    assert record.integration_class == world.klass
    assert record.major == world.klass.major  # the class's major, as status_open sets it
    assert record.track == "general"
    assert record.state == StatusRecord.State.ACTIVE


@pytest.mark.parametrize("style", ["zh", "en", "both"])
def test_headers_in_chinese_english_or_both_are_read(world, upload, style):
    job = upload(world.registrar, STUDENTS, csv_file([student_row(world, 1)], style=style))

    assert job.state == ImportJob.State.CHECKED, job.error
    assert _actions(job) == ["create"]


def test_headers_with_other_spacing_and_case_are_read(world, upload):
    content = csv_file([student_row(world, 1)], style="en")
    content = content.replace(b"id_card_number", b"ID Card Number").replace(
        b"student_number", b"Student-Number"
    )

    job = upload(world.registrar, STUDENTS, content)

    assert _actions(job) == ["create"], job.error


def test_full_width_digits_and_a_lowercase_x_are_normalised(world, upload, commit):
    # 11010519491231002X is a GB 11643 test vector ending in X.
    full_width = "１１０１０５１９４９１２３１００２ｘ"
    row = student_row(
        world,
        1,
        id_card_number=full_width,
        student_number="g110105 19491231 002x",
        gender="",
        birth_date="",
    )

    job = commit(world.registrar, upload(world.registrar, STUDENTS, csv_file([row])))

    assert job.state == ImportJob.State.COMMITTED, job.results
    student = Student.objects.get()
    assert student.id_card_number == "11010519491231002X"
    assert student.student_number == "G11010519491231002X"
    assert student.gender == "F"  # read from the ID-card number when left empty
    assert str(student.birth_date) == "1949-12-31"


def test_dates_in_the_ways_excel_writes_them_are_read(world, upload, commit):
    rows = [
        student_row(world, 1, start_date="2026/9/1", birth_date="2010/3/1"),
        student_row(world, 2, start_date="2026年9月1日", birth_date="20100301"),
    ]

    job = commit(world.registrar, upload(world.registrar, STUDENTS, csv_file(rows)))

    assert job.state == ImportJob.State.COMMITTED, job.results
    assert set(StatusRecord.objects.values_list("start_date", flat=True)) == {
        datetime.date(2026, 9, 1)
    }


def test_the_same_file_again_reports_every_row_unchanged(world, upload, commit):
    content = csv_file([student_row(world, n) for n in range(1, 4)])
    commit(world.registrar, upload(world.registrar, STUDENTS, content))
    before = list(StatusRecord.objects.values())

    again = commit(world.registrar, upload(world.registrar, STUDENTS, content))

    assert _actions(again) == ["unchanged"] * 3
    assert again.state == ImportJob.State.COMMITTED
    assert list(StatusRecord.objects.values()) == before
    assert Student.objects.count() == 3


def test_a_file_is_checked_and_written_a_part_at_a_time(world, upload, commit, monkeypatch):
    from imports import services

    monkeypatch.setattr(services, "PART_ROWS", 2)
    content = csv_file([student_row(world, n) for n in range(1, 6)])

    job = commit(world.registrar, upload(world.registrar, STUDENTS, content))
    again = upload(world.registrar, STUDENTS, content)

    assert job.state == ImportJob.State.COMMITTED, job.results
    assert [r["line"] for r in job.results] == [2, 3, 4, 5, 6]
    assert _actions(job) == ["create"] * 5
    assert StatusRecord.objects.filter(school=world.school, state="active").count() == 5
    assert _actions(again) == ["unchanged"] * 5


def test_a_changed_row_is_an_update_naming_what_changes(world, upload, commit):
    commit(world.registrar, upload(world.registrar, STUDENTS, csv_file([student_row(world, 1)])))

    changed = student_row(world, 1, guardian_phone="13900000000", class_name="", cohort_year="")
    job = upload(world.registrar, STUDENTS, csv_file([changed]))

    assert _actions(job) == ["update"]
    assert job.results[0]["changes"] == [
        "监护人电话 / guardian_phone",
        "融通班 / class_name",
        "专业代码 / major_code",
    ]
    job = commit(world.registrar, job)
    student = Student.objects.get()
    assert student.guardian_phone == "13900000000"
    assert student.status_records.get().integration_class is None


def test_a_column_the_file_leaves_out_keeps_what_is_there(world, upload, commit):
    commit(world.registrar, upload(world.registrar, STUDENTS, csv_file([student_row(world, 1)])))
    row = student_row(world, 1)
    for column in ("class_name", "cohort_year", "major_code", "track"):
        del row[column]

    job = upload(world.registrar, STUDENTS, csv_file([row]))

    assert _actions(job) == ["unchanged"]
