"""Malformed files: each gives a clear error, per row (line, column, message) or for the
whole file, and nothing is imported; a file with an error cannot be committed."""

import codecs

import pytest
from django.core.exceptions import ValidationError
from factories import IntegrationClassFactory, StatusRecordFactory, StudentFactory
from import_files import birth_date, csv_file, id_number, student_row

from imports.models import ImportJob
from imports.services import import_job_commit_start
from students.models import StatusRecord, Student

STUDENTS = ImportJob.Kind.STUDENTS
pytestmark = pytest.mark.django_db


def _errors(job):
    """{line: [(column, message), ...]} of the rows with errors."""
    return {
        r["line"]: [(e["column"], e["message"]) for e in r["errors"]]
        for r in job.results
        if r["action"] == "error"
    }


def _refused_row(job, line):
    assert job.state == ImportJob.State.CHECKED, job.error
    errors = _errors(job)
    assert line in errors, job.results
    return errors[line]


@pytest.fixture
def nothing_imported(world):
    """After the test: no student, no registration, and the job cannot be committed."""
    yield
    assert not Student.objects.exists()
    assert not StatusRecord.objects.exists()


def _assert_cannot_commit(world, job):
    with pytest.raises(ValidationError):
        import_job_commit_start(actor=world.registrar, job=job)
    job.refresh_from_db()
    assert job.state != ImportJob.State.QUEUED


def test_a_bad_check_digit_is_an_error_on_that_row(world, upload, nothing_imported):
    good = student_row(world, 1)
    bad_number = id_number(2)[:17] + ("0" if id_number(2)[17] != "0" else "1")
    bad = student_row(world, 2, id_card_number=bad_number, student_number="")

    job = upload(world.registrar, STUDENTS, csv_file([good, bad]))

    assert [r["action"] for r in job.results] == ["create", "error"]
    assert _refused_row(job, 3) == [
        ("身份证号 / id_card_number", "The ID-card number's check digit is wrong (GB 11643).")
    ]
    _assert_cannot_commit(world, job)


def test_a_bad_date_names_the_line_and_column(world, upload, nothing_imported):
    rows = [student_row(world, 1), student_row(world, 2, start_date="2026-02-30")]

    job = upload(world.registrar, STUDENTS, csv_file(rows))

    ((column, message),) = _refused_row(job, 3)
    assert column == "注册日期 / start_date"
    assert "“2026-02-30” is not a date" in message


def test_a_birth_date_that_disagrees_with_the_id_card_is_refused(world, upload, nothing_imported):
    job = upload(
        world.registrar, STUDENTS, csv_file([student_row(world, 1, birth_date="2010-03-02")])
    )

    assert _refused_row(job, 2) == [
        ("出生日期 / birth_date", "The birth date does not match the ID-card number.")
    ]


def test_a_student_number_that_is_not_g_and_the_id_is_refused(world, upload, nothing_imported):
    row = student_row(world, 1, student_number=f"G{id_number(3)}")

    job = upload(world.registrar, STUDENTS, csv_file([row]))

    assert _refused_row(job, 2)[0][0] == "学籍号 / student_number"


def test_required_fields_left_empty_are_each_named(world, upload, nothing_imported):
    row = student_row(world, 1, name="", guardian_phone="", start_date="")

    job = upload(world.registrar, STUDENTS, csv_file([row]))

    assert sorted(column for column, _ in _refused_row(job, 2)) == [
        "姓名 / name",
        "注册日期 / start_date",
        "监护人电话 / guardian_phone",
    ]


def test_an_unknown_school_code_is_refused(world, upload, nothing_imported):
    job = upload(
        world.registrar, STUDENTS, csv_file([student_row(world, 1, school_code="9999999999")])
    )

    assert _refused_row(job, 2) == [
        ("学校代码 / school_code", "No school has the code 9999999999.")
    ]


def test_another_schools_code_is_refused_naming_your_school(
    world, upload, school_b, nothing_imported
):
    job = upload(
        world.registrar, STUDENTS, csv_file([student_row(world, 1, school_code=school_b.code)])
    )

    ((column, message),) = _refused_row(job, 2)
    assert column == "学校代码 / school_code"
    assert message.startswith(f"{school_b.name} is not your school")


def test_another_schools_class_is_refused(world, upload, pairing_b, nothing_imported):
    theirs = IntegrationClassFactory(pairing=pairing_b, name="融通9班", cohort_year=2026)

    job = upload(world.registrar, STUDENTS, csv_file([student_row(world, 1, class_name="融通9班")]))

    assert _refused_row(job, 2) == [
        (
            "融通班 / class_name",
            f"The class 融通9班 is hosted by {theirs.host_school.name}, not by your school.",
        )
    ]


def test_an_unknown_class_is_refused(world, upload, nothing_imported):
    job = upload(
        world.registrar, STUDENTS, csv_file([student_row(world, 1, class_name="不存在班")])
    )

    assert _refused_row(job, 2) == [
        ("融通班 / class_name", "Your school has no integration class named 不存在班.")
    ]


def test_an_unknown_major_code_is_refused(world, upload, nothing_imported):
    row = student_row(world, 1, class_name="", cohort_year="", major_code="999999")

    job = upload(world.registrar, STUDENTS, csv_file([row]))

    assert _refused_row(job, 2) == [
        ("专业代码 / major_code", "No major has the catalogue code 999999.")
    ]


def test_a_major_other_than_the_classs_is_refused(world, upload, nothing_imported):
    from factories import MajorFactory

    other = MajorFactory()

    job = upload(
        world.registrar, STUDENTS, csv_file([student_row(world, 1, major_code=other.code)])
    )

    assert _refused_row(job, 2)[0][0] == "专业代码 / major_code"


def test_duplicates_inside_the_file_name_the_first_line(world, upload, nothing_imported):
    rows = [student_row(world, 1), student_row(world, 2), student_row(world, 1, name="重复")]

    job = upload(world.registrar, STUDENTS, csv_file(rows))

    assert [r["action"] for r in job.results] == ["create", "create", "error"]
    assert _refused_row(job, 4) == [
        ("身份证号 / id_card_number", "This ID-card number is also on line 2.")
    ]
    _assert_cannot_commit(world, job)


def test_duplicates_in_different_parts_of_the_file_name_the_first_line(
    world, upload, monkeypatch, nothing_imported
):
    from imports import services

    monkeypatch.setattr(services, "PART_ROWS", 2)
    rows = [student_row(world, n) for n in (1, 2, 3)] + [student_row(world, 1, name="重复")]

    job = upload(world.registrar, STUDENTS, csv_file(rows))

    assert [r["action"] for r in job.results] == ["create", "create", "create", "error"]
    assert _refused_row(job, 5) == [
        ("身份证号 / id_card_number", "This ID-card number is also on line 2.")
    ]


def test_a_student_active_at_another_school_is_refused_without_naming_it(world, upload, school_b):
    elsewhere = StudentFactory(
        name="李雷",
        id_card_number=id_number(1),
        student_number=f"G{id_number(1)}",
        birth_date=birth_date(1),
        gender="M",
    )
    StatusRecordFactory(student=elsewhere, school=school_b)

    job = upload(world.registrar, STUDENTS, csv_file([student_row(world, 1)]))
    also_bad = upload(world.registrar, STUDENTS, csv_file([student_row(world, 1, start_date="x")]))

    assert _refused_row(job, 2) == [
        (
            "身份证号 / id_card_number",
            "This person is registered at another school, or was: ask your district to hand "
            "them over.",
        )
    ]
    assert school_b.name not in str(job.results)
    assert "李雷" not in str(job.results)  # the other school's record is not shown
    # Reported with the row's other errors, not only once they are corrected.
    assert len(_refused_row(also_bad, 2)) == 2
    _assert_cannot_commit(world, job)
    assert not StatusRecord.objects.filter(school=world.school).exists()


def test_a_formula_in_a_name_is_refused(world, upload, nothing_imported):
    rows = [
        student_row(world, 1, name='=HYPERLINK("http://evil.example","点我")'),
        student_row(world, 2, guardian_name="@SUM(1+1)"),
        student_row(world, 3, name="+1"),
        student_row(world, 4, name="-2+3"),
    ]

    job = upload(world.registrar, STUDENTS, csv_file(rows))

    errors = _errors(job)
    assert set(errors) == {2, 3, 4, 5}
    assert errors[2] == [
        (
            "姓名 / name",
            "A value may not begin with “=”: a spreadsheet would run it as a formula.",
        )
    ]
    assert errors[3][0][0] == "监护人姓名 / guardian_name"


def test_a_formula_cell_in_a_workbook_is_refused(world, upload, nothing_imported):
    import io

    from import_files import table
    from openpyxl import Workbook

    workbook = Workbook()
    for values in table(STUDENTS, [student_row(world, 1)]):
        workbook.active.append(values)
    workbook.active["B2"] = '=CONCATENATE("张","三")'
    out = io.BytesIO()
    workbook.save(out)

    job = upload(world.registrar, STUDENTS, out.getvalue(), "students.xlsx")

    assert _refused_row(job, 2) == [
        ("姓名 / name", "This cell holds a formula; paste its value instead.")
    ]


def test_a_huge_cell_is_refused_without_echoing_it(world, upload, nothing_imported):
    job = upload(world.registrar, STUDENTS, csv_file([student_row(world, 1, name="张" * 100_000)]))

    errors = _refused_row(job, 2)
    assert errors == [
        ("姓名 / name", "This cell holds 100,000 characters; at most 200 are allowed.")
    ]
    assert len(str(job.results)) < 1000


def test_a_name_longer_than_fifty_characters_is_refused(world, upload, nothing_imported):
    job = upload(world.registrar, STUDENTS, csv_file([student_row(world, 1, name="张" * 51)]))

    assert _refused_row(job, 2)[0][0] == "姓名 / name"


def test_a_masked_id_card_number_says_the_export_cannot_be_imported(
    world, upload, nothing_imported
):
    masked = id_number(1)[:4] + "*" * 10 + id_number(1)[-4:]
    row = student_row(world, 1, id_card_number=masked, student_number=f"G{masked}")

    job = upload(world.registrar, STUDENTS, csv_file([row]))

    messages = [message for _, message in _refused_row(job, 2)]
    assert all("masked" in message for message in messages)
    assert len(messages) == 2


def test_an_id_card_number_excel_turned_into_a_number_is_explained(world, upload, nothing_imported):
    job = upload(
        world.registrar,
        STUDENTS,
        csv_file([student_row(world, 1, id_card_number="3.30110E+17", student_number="")]),
    )

    ((_, message),) = _refused_row(job, 2)
    assert "Excel turned this number into “3.30110E+17”" in message


# --- the file as a whole ---------------------------------------------------------------


def _refused_file(job):
    assert job.state == ImportJob.State.FAILED
    assert job.results == []
    with pytest.raises(ValidationError):
        import_job_commit_start(actor=job.uploaded_by, job=job)
    return job.error


def test_wrong_headers_name_what_is_missing_and_unknown(world, upload, nothing_imported):
    content = "姓名,电话号码,学号\n张三,138,1\n".encode()

    error = _refused_file(upload(world.registrar, STUDENTS, content))

    assert "Columns missing: 身份证号 / id_card_number;" in error
    assert "Columns not known: 电话号码; 学号." in error


def test_a_column_given_twice_is_refused(world, upload, nothing_imported):
    content = csv_file([student_row(world, 1)], style="zh").replace(
        "监护人姓名".encode(), b"name", 1
    )

    error = _refused_file(upload(world.registrar, STUDENTS, content))

    assert "Columns given twice: name." in error


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"  \r\n\r\n"])
def test_an_empty_file_is_refused(world, upload, content, nothing_imported):
    assert _refused_file(upload(world.registrar, STUDENTS, content)) == "The file is empty."


def test_headers_without_rows_are_refused(world, upload, nothing_imported):
    content = csv_file([student_row(world, 1)]).split(b"\r\n")[0] + b"\r\n,,,\r\n"

    error = _refused_file(upload(world.registrar, STUDENTS, content))

    assert error == "The file has a header row but no data rows."


def test_a_utf16_file_is_refused_saying_how_to_save_it(world, upload, nothing_imported):
    content = codecs.BOM_UTF16_LE + csv_file([student_row(world, 1)], encoding="utf-8").decode(
        "utf-8"
    ).encode("utf-16-le")

    error = _refused_file(upload(world.registrar, STUDENTS, content))

    assert error.startswith("This file is saved as UTF-16")
    assert "CSV UTF-8" in error


def test_utf16_without_a_bom_is_refused_not_read_as_garbage(world, upload, nothing_imported):
    # All ASCII, so every byte pair decodes as UTF-8: what gives it away is the NUL bytes.
    row = student_row(
        world, 1, name="Li Lei", guardian_name="Han Mei", gender="M", class_name="", cohort_year=""
    )
    content = csv_file([row], encoding="utf-16-le", style="en")
    assert "\x00" in content.decode("utf-8")

    error = _refused_file(upload(world.registrar, STUDENTS, content))

    assert error.startswith("The file's characters could not be read")


def test_bytes_neither_utf8_nor_gb18030_are_refused(world, upload, nothing_imported):
    # Latin-1 "é" followed by a comma: 0xE9 0x2C is no GB18030 sequence, and no UTF-8 one.
    row = student_row(
        world, 1, name="José", guardian_name="Zoë", gender="M", class_name="", cohort_year=""
    )
    latin1 = csv_file([row], encoding="latin-1", style="en")
    for encoding in ("utf-8", "gb18030"):
        with pytest.raises(UnicodeDecodeError):
            latin1.decode(encoding)

    error = _refused_file(upload(world.registrar, STUDENTS, latin1))

    assert error.startswith("The file's characters could not be read")


def test_an_old_xls_workbook_is_refused(world, upload, nothing_imported):
    content = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512

    error = _refused_file(upload(world.registrar, STUDENTS, content, "students.xls"))

    assert "(.xls)" in error


def test_a_broken_workbook_is_refused(world, upload, nothing_imported):
    error = _refused_file(upload(world.registrar, STUDENTS, b"PK\x03\x04garbage", "s.xlsx"))

    assert error == "This file is not a readable Excel workbook (.xlsx)."
