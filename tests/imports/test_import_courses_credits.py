"""Courses of the school, then credit records of its students in its courses."""

from decimal import Decimal

import pytest
from factories import CourseFactory, CreditRecordFactory, StatusRecordFactory, StudentFactory
from import_files import course_row, credit_row, csv_file, id_number, student_row, xlsx_file

from credits.models import Course, CreditRecord
from imports.models import ImportJob

COURSES = ImportJob.Kind.COURSES
CREDITS = ImportJob.Kind.CREDITS
pytestmark = pytest.mark.django_db


def _errors(job):
    return {
        r["line"]: [(e["column"], e["message"]) for e in r["errors"]]
        for r in job.results
        if r["action"] == "error"
    }


@pytest.fixture
def enrolled(world, upload, commit):
    """Students 1 and 2 registered at school A by an import."""
    rows = [student_row(world, 1), student_row(world, 2)]
    commit(world.registrar, upload(world.registrar, ImportJob.Kind.STUDENTS, csv_file(rows)))


def test_courses_import_with_chinese_categories_and_update_on_change(world, upload, commit):
    rows = [
        course_row(world, "YW01", course_name="语文", category="文化课"),
        course_row(
            world, "JD01", course_name="机械制图", category="专业技能课", credit_value="1.5"
        ),
        course_row(world, "XX01", course_name="书法", category="elective"),
    ]
    job = commit(
        world.registrar, upload(world.registrar, COURSES, xlsx_file(rows, kind=COURSES), "c.xlsx")
    )

    assert job.state == ImportJob.State.COMMITTED, job.results
    assert dict(Course.objects.values_list("code", "category")) == {
        "YW01": "general_culture",
        "JD01": "vocational_technical",
        "XX01": "elective",
    }
    assert Course.objects.get(code="JD01").credit_value == Decimal("1.5")

    rows[0]["credit_value"] = "3"
    again = upload(world.registrar, COURSES, csv_file(rows, kind=COURSES))
    assert [r["action"] for r in again.results] == ["update", "unchanged", "unchanged"]
    assert again.results[0]["changes"] == ["学分 / credit_value"]


def test_course_rows_with_bad_values_are_refused(world, upload):
    rows = [
        course_row(world, "A1", category="体育"),
        course_row(world, "A2", credit_value="0"),
        course_row(world, "A3", credit_value="两分"),
        course_row(world, "A1"),
        course_row(world, "A4", course_name="=1+1"),
    ]

    job = upload(world.registrar, COURSES, csv_file(rows, kind=COURSES))

    errors = _errors(job)
    assert errors[2] == [("课程类别 / category", "“体育” is not one of the choices.")]
    assert errors[3][0][0] == "学分 / credit_value"
    assert errors[4] == [("学分 / credit_value", "“两分” is not a number.")]
    assert errors[5] == [("课程代码 / course_code", "This course code is also on line 2.")]
    assert errors[6][0][0] == "课程名称 / course_name"
    assert not Course.objects.exists()


def test_credit_records_import_and_reimport_unchanged(world, upload, commit, enrolled):
    CourseFactory(school=world.school, code="YW01", credit_value=Decimal("2.0"))
    rows = [
        credit_row(world, 1, "YW01"),
        credit_row(world, 2, "YW01", score="59", credits_earned="0", semester="第二学期"),
    ]
    content = csv_file(rows, kind=CREDITS, encoding="gbk")

    job = commit(world.registrar, upload(world.registrar, CREDITS, content))

    assert job.state == ImportJob.State.COMMITTED, job.results
    assert sorted(CreditRecord.objects.values_list("score", "term__semester")) == [
        (Decimal("59.0"), 2),
        (Decimal("85.5"), 1),
    ]
    again = upload(world.registrar, CREDITS, content)
    assert [r["action"] for r in again.results] == ["unchanged", "unchanged"]


def test_credit_rows_are_checked_against_students_courses_and_terms(
    world, upload, enrolled, school_b
):
    course = CourseFactory(school=world.school, code="YW01", credit_value=Decimal("2.0"))
    CourseFactory(school=school_b, code="THEIRS")
    outsider = StudentFactory()
    StatusRecordFactory(student=outsider, school=school_b)
    rows = [
        credit_row(world, 1, "NOPE"),
        credit_row(world, 1, "THEIRS"),
        credit_row(world, 1, "YW01", student_number=outsider.student_number),
        credit_row(world, 1, "YW01", academic_year="2030-2031"),
        credit_row(world, 1, "YW01", credits_earned="3"),
        credit_row(world, 1, "YW01", score="101"),
        credit_row(world, 1, "YW01", school_code=school_b.code),
        credit_row(world, 2, "YW01"),
        credit_row(world, 2, "YW01", score="90"),
    ]

    job = upload(world.registrar, CREDITS, csv_file(rows, kind=CREDITS))

    errors = _errors(job)
    assert errors[2] == [
        (
            "课程代码 / course_code",
            "Your school has no course with the code NOPE: import the courses first.",
        )
    ]
    assert errors[3][0][0] == "课程代码 / course_code"  # another school's course is not ours
    assert errors[4] == [
        (
            "学籍号 / student_number",
            f"No student with the number {outsider.student_number} is registered at your school.",
        )
    ]
    assert errors[5] == [("学年 / academic_year", "There is no term 2030-2031, semester 1.")]
    assert errors[6] == [
        ("获得学分 / credits_earned", f"The course {course.name} is worth 2.0 credits only.")
    ]
    assert errors[7][0][0] == "成绩 / score"
    assert errors[8][0][0] == "学校代码 / school_code"
    assert 9 not in errors
    assert errors[10] == [
        ("课程代码 / course_code", "The same student, course and term are also on line 9.")
    ]
    assert not CreditRecord.objects.exists()


def test_a_recognised_credit_record_is_not_changed_by_an_import(world, upload, enrolled):
    from students.models import Student

    course = CourseFactory(school=world.school, code="YW01", credit_value=Decimal("2.0"))
    origin = CreditRecordFactory(term=world.term)
    CreditRecordFactory(
        student=Student.objects.get(id_card_number=id_number(1)),
        course=course,
        term=world.term,
        score=Decimal("80"),
        recognised_from=origin,
    )

    job = upload(world.registrar, CREDITS, csv_file([credit_row(world, 1, "YW01")], kind=CREDITS))

    assert _errors(job)[2][0][1].startswith("This record was recognised from another school")
