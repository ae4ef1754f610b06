"""The exports: CSV in UTF-8 with a BOM (so Excel reads the Chinese), the progress per school
and every finding, and no cell a spreadsheet would run as a formula."""

import csv
import io

import pytest
from django.urls import reverse
from engines import each_engine
from factories import StatusRecordFactory, StudentFactory
from review_world import confirm, plant_lowercase_twin, student_with_x

from students.privacy import masked_student_number
from students.review.services import review_finish


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM
    return list(csv.reader(io.StringIO(raw.decode("utf-8")[1:])))


def test_the_progress_export_has_a_row_per_school(
    client_as, bureau, term, review_a, review_b, students_a, students_b, registrar_a, registrar_b
):
    confirm(review_a, students_a[:1], registrar_a)
    confirm(review_b, students_b, registrar_b)
    review_finish(actor=registrar_b, review=review_b)

    rows = _rows(
        client_as(bureau).get(reverse("students_review:export_progress"), {"term": term.pk})
    )

    assert rows[0] == [
        "Term",
        "Pilot area",
        "School code",
        "School",
        "Registered",
        "Confirmed",
        "Percent confirmed",
        "Review",
        "Finished at",
    ]
    a, b = review_a.school, review_b.school
    assert [row[:8] for row in rows[1:]] == [
        [str(term), "余杭区", a.code, "余杭高级中学", "3", "1", "33", "Open"],
        [str(term), "临平区", b.code, "临平第一中学", "2", "2", "100", "Finished"],
    ]
    assert rows[1][8] == "" and rows[2][8].startswith("20")


def test_the_findings_export_lists_every_kind_of_finding(
    client_as, district_a, term, review_a, students_a, registrar_a, student_b
):
    confirm(review_a, students_a[1:], registrar_a)
    confirm(review_a, [student_b], registrar_a)  # planted: B's student, confirmed at A

    rows = _rows(
        client_as(district_a).get(reverse("students_review:export_findings"), {"term": term.pk})
    )

    school = review_a.school
    assert rows[0] == ["Finding", "School code", "School", "Student number", "Name", "Detail"]
    body = [row[:5] for row in rows[1:]]
    assert body == [
        [
            "Confirmed without status at the school",
            school.code,
            school.name,
            masked_student_number(student_b.student_number),  # district staff see them masked
            "李四",
        ],
        [
            "Not confirmed (possible empty registration)",
            school.code,
            school.name,
            masked_student_number(students_a[0].student_number),
            "张三",
        ],
    ]
    assert registrar_a.get_full_name() in rows[1][5]


def test_the_registrar_exports_their_own_students_numbers_whole_and_no_others(
    client_as, term, review_a, students_a, registrar_a, student_b
):
    confirm(review_a, students_a[1:], registrar_a)
    confirm(review_a, [student_b], registrar_a)  # B's student, registered at B

    rows = _rows(
        client_as(registrar_a).get(reverse("students_review:export_findings"), {"term": term.pk})
    )

    numbers = {row[4]: row[3] for row in rows[1:]}
    assert numbers["张三"] == students_a[0].student_number
    assert numbers["李四"] == masked_student_number(student_b.student_number)


@pytest.mark.owner  # drops a constraint to write the duplicate of data from before it
@each_engine
def test_a_duplicate_names_the_other_school_but_not_its_student(
    engine, client_as, district_a, term, review_a, school_a, school_b
):
    person = student_with_x(name="王五")
    StatusRecordFactory(student=person, school=school_a)
    twin = plant_lowercase_twin(person)
    StatusRecordFactory(student=twin, school=school_b)

    rows = _rows(
        client_as(district_a).get(reverse("students_review:export_findings"), {"term": term.pk})
    )

    duplicates = [row for row in rows if row[0] == "Duplicate registration"]
    assert [row[1:5] for row in duplicates] == [
        [school_a.code, school_a.name, masked_student_number(person.student_number), "王五"],
        [school_b.code, school_b.name, "", ""],
    ]
    assert duplicates[0][5] == "Active registrations of one ID-card number: 2"


@pytest.mark.parametrize("formula", ["=1+2", "+SUM(A1)", "-2+3", "@cmd", '=HYPERLINK("x")'])
def test_a_cell_that_looks_like_a_formula_is_written_as_text(
    client_as, bureau, term, review_a, school_a, formula
):
    StatusRecordFactory(school=school_a, student=StudentFactory(name=formula))
    school_a.name = formula
    school_a.save()

    findings = _rows(
        client_as(bureau).get(reverse("students_review:export_findings"), {"term": term.pk})
    )
    progress = _rows(
        client_as(bureau).get(reverse("students_review:export_progress"), {"term": term.pk})
    )

    assert findings[1][2] == findings[1][4] == "'" + formula
    assert progress[1][3] == "'" + formula
    cells = [cell for row in findings + progress for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def test_a_plain_name_is_left_alone(client_as, bureau, term, review_a, students_a):
    rows = _rows(
        client_as(bureau).get(reverse("students_review:export_findings"), {"term": term.pk})
    )

    assert {row[4] for row in rows[1:]} >= {"张三"}
    assert not any(cell.startswith("'") for row in rows for cell in row)


def test_the_registrars_export_is_of_their_school_only(
    client_as, term, review_a, review_b, students_a, students_b
):
    rows = _rows(
        client_as("registrar_a").get(reverse("students_review:export_findings"), {"term": term.pk})
    )

    assert {row[1] for row in rows[1:]} == {review_a.school.code}
    assert len(rows) == 1 + len(students_a)
