"""Exports: CSV with a BOM and XLSX, in the import's columns; formulae neutralised; ID-card
and student numbers whole for the student's own registrar only (students.privacy), masked
for everyone else; each user exports only what they may see."""

import csv
import io

import pytest
from django.urls import reverse
from factories import CourseFactory, CreditRecordFactory, StatusRecordFactory, StudentFactory
from openpyxl import load_workbook

from core.spreadsheets import neutralise
from imports.models import ImportJob
from students.privacy import masked_id_card_number

pytestmark = pytest.mark.django_db


def _export(client, user, kind, fmt="csv"):
    client.force_login(user)
    response = client.get(reverse("imports:export", args=[kind, fmt]))
    assert response.status_code == 200
    if fmt == "csv":
        assert response.content.startswith(b"\xef\xbb\xbf")  # so Excel reads it as UTF-8
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows()]


def _values(rows):
    return [[getattr(cell, "value", cell) for cell in row] for row in rows]


@pytest.mark.parametrize("value", ["=1+1", "+86", "-3", "@SUM(A1)", "\tx", "\rx"])
def test_neutralise_puts_an_apostrophe_before_a_formula(value):
    assert neutralise(value) == "'" + value
    assert neutralise("张三") == "张三"
    assert neutralise(12) == 12


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exported_cells_that_a_spreadsheet_would_run_are_neutralised(
    client, registrar_a, school_a, fmt
):
    student = StudentFactory(
        name='=HYPERLINK("http://evil.example","点我")', guardian_name="@SUM(1)"
    )
    StatusRecordFactory(student=student, school=school_a)
    CourseFactory(school=school_a, code="-C1", name="+语文")

    students = _values(_export(client, registrar_a, "students", fmt))
    courses = _export(client, registrar_a, "courses", fmt)

    assert students[1][1] == '\'=HYPERLINK("http://evil.example","点我")'
    assert students[1][5] == "'@SUM(1)"
    assert _values(courses)[1][1:3] == ["'-C1", "'+语文"]
    if fmt == "xlsx":
        assert students and all(cell.data_type != "f" for row in courses for cell in row)


def test_a_control_character_entered_elsewhere_does_not_break_the_xlsx_export(
    client, registrar_a, school_a
):
    StatusRecordFactory(student=StudentFactory(name="张\x0b三"), school=school_a)

    rows = _values(_export(client, registrar_a, "students", "xlsx"))

    assert rows[1][1] == "张三"


def test_mask_keeps_the_region_and_the_last_four():
    assert masked_id_card_number("33011020100301123X") == "330110********123X"


@pytest.mark.parametrize(
    ("persona", "masked"),
    [("district_a", True), ("registrar_a", False), ("bureau", True), ("admin_user", True)],
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_numbers_are_masked_unless_the_policy_shows_them_whole(
    request, client, student_a, persona, masked, fmt
):
    course = CourseFactory(school=student_a.status_records.get().school)
    CreditRecordFactory(student=student_a, course=course)
    user = request.getfixturevalue(persona)
    number = student_a.id_card_number
    shown = masked_id_card_number(number) if masked else number

    students = _values(_export(client, user, "students", fmt))
    credits = _values(_export(client, user, "credits", fmt))

    assert students[1][:3] == [f"G{shown}", student_a.name, shown]
    assert credits[1][0] == f"G{shown}"
    everything = str(students) + str(credits)
    assert (number in everything) is not masked


def test_a_masked_export_cannot_be_imported_as_it_is(client, district_a, world, upload):
    student = StudentFactory()
    StatusRecordFactory(student=student, school=world.school)
    client.force_login(district_a)
    content = client.get(reverse("imports:export", args=["students", "csv"])).content

    job = upload(world.registrar, ImportJob.Kind.STUDENTS, content, "from-district.csv")

    assert [r["action"] for r in job.results] == ["error"]
    assert {e["message"] for e in job.results[0]["errors"]} == {
        "This number is masked (*), as in exports for those who see numbers masked; import a "
        "file with the full numbers."
    }


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("registrar_a", {"student_a"}),
        ("registrar_b", {"student_b"}),
        ("district_a", {"student_a"}),
        ("bureau", {"student_a", "student_b"}),
    ],
)
def test_each_user_exports_only_the_students_they_may_see(
    request, client, student_a, student_b, persona, expected
):
    rows = _export(client, request.getfixturevalue(persona), "students")

    names = {row[1] for row in rows[1:]}
    assert names == {request.getfixturevalue(name).name for name in expected}


def test_a_student_who_moved_away_is_not_in_the_old_schools_export(
    client, registrar_a, student_a, vocational_a
):
    student_a.status_records.update(state="transferred_out", end_date="2027-01-31")
    StatusRecordFactory(student=student_a, school=vocational_a)
    CreditRecordFactory(student=student_a, course=CourseFactory(school=vocational_a))

    assert _export(client, registrar_a, "students")[1:] == []
    assert _export(client, registrar_a, "credits")[1:] == []  # their courses elsewhere


def test_exported_courses_are_those_of_the_users_schools(client, registrar_a, school_a, school_b):
    CourseFactory(school=school_a, code="OURS")
    CourseFactory(school=school_b, code="THEIRS")

    rows = _export(client, registrar_a, "courses")

    assert [row[1] for row in rows[1:]] == ["OURS"]
