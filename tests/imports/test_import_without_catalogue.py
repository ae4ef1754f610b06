"""The import reads the Chinese and English labels of its choices from the code, so a
deployment that forgot ``compiletranslations`` (or a fresh clone's ``make bench``) still
accepts a registrar's file as it is: "普高", "男", "专业技能课", "第二学期"."""

import pytest
from django.utils import translation
from import_files import course_row, credit_row, csv_file, student_row, xlsx_file

from credits.models import Course, CreditRecord
from imports.models import ImportJob
from students.models import Student

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_catalogue(settings, tmp_path):
    """The project's catalogue is not there: its locale folder is an empty one (changing the
    setting makes Django forget every translation it had loaded)."""
    settings.LOCALE_PATHS = [tmp_path]
    with translation.override("zh-hans"):
        assert translation.gettext("General culture") == "General culture"
    yield


def test_a_file_in_chinese_imports_with_no_compiled_catalogue(no_catalogue, world, upload, commit):
    files = [
        (
            ImportJob.Kind.STUDENTS,
            csv_file(
                [
                    student_row(world, 1, gender="男"),
                    student_row(world, 2, gender="女", class_name="", cohort_year="", track="中职"),
                    student_row(world, 3, gender="男", class_name="", cohort_year="", track="普高"),
                ]
            ),
            "students.csv",
        ),
        (
            ImportJob.Kind.COURSES,
            xlsx_file(
                [
                    course_row(world, "YW01", category="文化课"),
                    course_row(world, "JX01", category="专业技能课"),
                    course_row(world, "SF01", category="选修课"),
                ],
                kind=ImportJob.Kind.COURSES,
            ),
            "courses.xlsx",
        ),
        (
            ImportJob.Kind.CREDITS,
            csv_file(
                [credit_row(world, 1, "YW01", semester="第二学期")],
                kind=ImportJob.Kind.CREDITS,
            ),
            "credits.csv",
        ),
    ]
    for kind, content, name in files:
        job = upload(world.registrar, kind, content, name)
        assert job.state == ImportJob.State.CHECKED, (kind, job.error, job.results)
        assert not [r for r in job.results if r["action"] == "error"], job.results
        job = commit(world.registrar, job)
        assert job.state == ImportJob.State.COMMITTED, (kind, job.error)

    genders = dict(Student.objects.values_list("name", "gender"))
    assert genders == {"学生1": "M", "学生2": "F", "学生3": "M"}
    assert sorted(Course.objects.values_list("code", "category")) == [
        ("JX01", Course.Category.VOCATIONAL_TECHNICAL),
        ("SF01", Course.Category.ELECTIVE),
        ("YW01", Course.Category.GENERAL_CULTURE),
    ]
    assert CreditRecord.objects.get().term.semester == 2


def test_english_labels_are_accepted_with_no_compiled_catalogue(no_catalogue, world, upload):
    rows = [course_row(world, "YW01", category="General culture")]
    job = upload(
        world.registrar,
        ImportJob.Kind.COURSES,
        csv_file(rows, kind=ImportJob.Kind.COURSES),
        "c.csv",
    )

    assert job.state == ImportJob.State.CHECKED, job.error
    assert [r["action"] for r in job.results] == ["create"]
