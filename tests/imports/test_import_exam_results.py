"""The data rule packs' criteria read comes in through the student import (issue 14, item 6):
the entrance exam's year and score and proficiency test results, in Chinese or English
headers, with the same dry run and all-or-nothing commit; a file without these columns
leaves them as they are."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from import_files import csv_file, student_row, xlsx_file

from students.models import ProficiencyResult, Student, StudentChange

pytestmark = pytest.mark.django_db


def _exam(world, n, **extra):
    given = {
        "entrance_exam_year": "2026",
        "entrance_exam_score": "612.5",
        "proficiency_passed": "化学、地理",
        "proficiency_failed": "生物",
        "proficiency_date": "2026-06-20",
    }
    return student_row(world, n, **(given | extra))


@pytest.mark.parametrize("style", ["zh", "en", "both"])
def test_the_exam_and_proficiency_columns_are_imported(world, upload, commit, style):
    job = commit(
        world.registrar,
        upload(world.registrar, "students", csv_file([_exam(world, 1)], style=style)),
    )

    assert [r["action"] for r in job.results] == ["create"], job.results
    student = Student.objects.get()
    assert (student.entrance_exam_year, student.entrance_exam_score) == (2026, Decimal("612.5"))
    assert set(ProficiencyResult.objects.values_list("subject", "passed", "taken_on")) == {
        ("化学", True, datetime.date(2026, 6, 20)),
        ("地理", True, datetime.date(2026, 6, 20)),
        ("生物", False, datetime.date(2026, 6, 20)),
    }


def test_a_changed_score_and_a_new_result_show_in_the_dry_run_and_the_history(
    world, upload, commit
):
    commit(world.registrar, upload(world.registrar, "students", csv_file([_exam(world, 1)])))
    again = _exam(
        world,
        1,
        entrance_exam_score="615",
        proficiency_passed="生物",
        proficiency_failed="",
    )
    again["proficiency_date"] = "2026-12-20"

    job = upload(world.registrar, "students", xlsx_file([again]), filename="students.xlsx")

    (result,) = job.results
    assert result["action"] == "update"
    assert "中考成绩 / entrance_exam_score" in result["changes"]
    assert "学考合格科目 / proficiency_passed" in result["changes"]
    assert ProficiencyResult.objects.count() == 3  # a dry run writes nothing
    commit(world.registrar, job)
    assert Student.objects.get().entrance_exam_score == Decimal("615")
    assert ProficiencyResult.objects.filter(subject="生物", passed=True).count() == 1
    change = StudentChange.objects.get(field="entrance_exam_score")
    assert (change.old_value, change.new_value) == ("612.5", "615")


def test_a_file_without_the_columns_leaves_the_data_as_it_is(world, upload, commit):
    commit(world.registrar, upload(world.registrar, "students", csv_file([_exam(world, 1)])))

    job = commit(
        world.registrar, upload(world.registrar, "students", csv_file([student_row(world, 1)]))
    )

    assert [r["action"] for r in job.results] == ["unchanged"]
    student = Student.objects.get()
    assert student.entrance_exam_score == Decimal("612.5")
    assert ProficiencyResult.objects.count() == 3


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"entrance_exam_score": ""}, "entrance_exam_score", "year and its score together"),
        ({"entrance_exam_year": "26"}, "entrance_exam_year", "exam's year"),
        ({"entrance_exam_score": "六百"}, "entrance_exam_score", "is not a number"),
        ({"entrance_exam_score": "612.55"}, "entrance_exam_score", "one decimal place"),
        ({"proficiency_date": ""}, "proficiency_date", "the day these proficiency tests"),
        ({"proficiency_failed": "化学"}, "proficiency_failed", "both passed and not passed"),
    ],
)
def test_bad_exam_cells_are_refused_with_nothing_written(world, upload, overrides, column, message):
    job = upload(world.registrar, "students", csv_file([_exam(world, 1, **overrides)]))

    (result,) = job.results
    assert result["action"] == "error"
    refused = [(e["column"], e["message"]) for e in result["errors"]]
    assert any(c.endswith(column) and message in m for c, m in refused), refused
    assert not Student.objects.exists() and not ProficiencyResult.objects.exists()


def test_the_student_page_shows_the_exam_and_the_results(world, upload, commit, client):
    from django.conf import settings

    commit(world.registrar, upload(world.registrar, "students", csv_file([_exam(world, 1)])))
    student = Student.objects.get()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(world.registrar)

    page = client.get(reverse("students:detail", args=[student.pk])).content.decode()

    assert "612.5 in 2026" in page
    assert "化学: passed" in page and "生物: not passed" in page


def test_the_export_writes_the_columns_back_as_the_import_reads_them(world, upload, commit):
    from imports.exports import export_rows

    commit(world.registrar, upload(world.registrar, "students", csv_file([_exam(world, 1)])))

    (row,) = export_rows(user=world.registrar, kind="students")

    assert row[-5:] == [2026, Decimal("612.5"), "化学、地理", "生物", datetime.date(2026, 6, 20)]
