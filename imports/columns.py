"""The columns of the three files a registrar imports and exports, and how headers are read.

A header may be written in Chinese (``学籍号``), in English (``student_number``) or both
(``学籍号 / student_number``, as our templates and exports write it). The headers are the file
format, not page text: they stay the same whatever language the page is in, so they are not
translated; their descriptions (the template's notes) are.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from credits.models import Course
from schools.models import Term
from students.models import Student, Track

from .models import ImportJob


@dataclass(frozen=True)
class Column:
    name: str
    chinese: str
    description: Promise | str
    #: Must be in the header row and filled in on every row.
    required: bool = True
    #: Written by exports for people to read; ignored on import.
    informational: bool = False
    #: Excel must keep it as text (long digit strings lose digits as numbers).
    text: bool = False
    #: The header's English half when it is not ``name``: words that may describe several
    #: columns (two written tests), so they name the column only after its Chinese half.
    english: str = ""

    @property
    def header(self) -> str:
        return f"{self.chinese} / {self.english or self.name}"


STUDENT_COLUMNS = (
    Column(
        "student_number",
        "学籍号",
        _("G followed by the ID-card number; left empty, it is made from the ID-card number."),
        required=False,
        text=True,
    ),
    Column("name", "姓名", _("The student's name, at most 50 characters.")),
    Column(
        "id_card_number",
        "身份证号",
        _("18 characters, the last may be X. In Excel, format this column as text."),
        text=True,
    ),
    Column(
        "gender",
        "性别",
        _("男/女 or M/F; left empty, it is read from the ID-card number."),
        required=False,
    ),
    Column(
        "birth_date",
        "出生日期",
        _("YYYY-MM-DD; left empty, it is read from the ID-card number."),
        required=False,
    ),
    Column("guardian_name", "监护人姓名", _("The guardian's name, at most 50 characters.")),
    Column("guardian_phone", "监护人电话", _("An 11-digit mobile number."), text=True),
    Column("school_code", "学校代码", _("Your school's 10-digit national school code."), text=True),
    Column(
        "school_name",
        "学校名称",
        _("For reading only; not imported."),
        required=False,
        informational=True,
    ),
    Column(
        "track",
        "学籍类别",
        _("General (普高) or vocational (中职); left empty, it follows the school."),
        required=False,
    ),
    Column(
        "class_name",
        "融通班",
        _("The integration class's name as on the class list; empty if none."),
        required=False,
    ),
    Column(
        "cohort_year",
        "入学年份",
        _("The integration class's cohort year, e.g. 2026; needed when two classes share a name."),
        required=False,
    ),
    Column(
        "major_code",
        "专业代码",
        _("6-digit catalogue code; left empty, it is the class's major."),
        required=False,
        text=True,
    ),
    Column("start_date", "注册日期", _("The day the registration starts, YYYY-MM-DD.")),
    Column(
        "entrance_exam_year",
        "中考年份",
        _("The year of the senior-high entrance exam (中考), e.g. 2026; with its score."),
        required=False,
    ),
    Column(
        "entrance_exam_score",
        "中考成绩",
        _("The entrance exam's total score, e.g. 612.5; with its year."),
        required=False,
    ),
    Column(
        "proficiency_passed",
        "学考合格科目",
        _("Subjects of the proficiency test (学考) passed, separated by 、 e.g. 化学、地理."),
        required=False,
    ),
    Column(
        "proficiency_failed",
        "学考不合格科目",
        _("Subjects of the proficiency test taken and not passed, separated by 、."),
        required=False,
    ),
    Column(
        "proficiency_date",
        "学考日期",
        _("The day those proficiency tests were taken, YYYY-MM-DD; needed with the subjects."),
        required=False,
    ),
)

COURSE_COLUMNS = (
    Column("school_code", "学校代码", _("Your school's 10-digit national school code."), text=True),
    Column(
        "course_code", "课程代码", _("The course's code at your school, at most 20 characters.")
    ),
    Column("course_name", "课程名称", _("The course's name, at most 100 characters.")),
    Column(
        "category",
        "课程类别",
        _("文化课, 专业技能课 or 选修课 (general culture, vocational, elective)."),
    ),
    Column("credit_value", "学分", _("The credits the course is worth, e.g. 2 or 1.5.")),
)

CREDIT_COLUMNS = (
    Column("student_number", "学籍号", _("The student's national student number."), text=True),
    Column(
        "name", "姓名", _("For reading only; not imported."), required=False, informational=True
    ),
    Column(
        "school_code", "学校代码", _("The course's school: your 10-digit school code."), text=True
    ),
    Column("course_code", "课程代码", _("The course's code; import the courses first.")),
    Column(
        "course_name",
        "课程名称",
        _("For reading only; not imported."),
        required=False,
        informational=True,
    ),
    Column("academic_year", "学年", _("The academic year, e.g. 2026-2027 or 2026.")),
    Column("semester", "学期", _("1 or 2 (第一学期 or 第二学期).")),
    Column("score", "成绩", _("From 0 to 100, at most one decimal place.")),
    Column("credits_earned", "获得学分", _("The credits earned, at most the course's credits.")),
)

COLUMNS = {
    ImportJob.Kind.STUDENTS: STUDENT_COLUMNS,
    ImportJob.Kind.COURSES: COURSE_COLUMNS,
    ImportJob.Kind.CREDITS: CREDIT_COLUMNS,
}


def fold(text: str) -> str:
    """What two spellings of one header or choice have in common: no spaces, underscores or
    hyphens, full-width slashes as ASCII, lowercase."""
    return re.sub(r"[\s_\-]+", "", str(text).replace("／", "/")).lower()


def match_headers(headers: list[str], columns) -> tuple[dict[str, int], list[str], list[str]]:
    """Map each column's name to its position in ``headers``.

    Returns the mapping, the headers nobody knows and the headers given twice. Empty header
    cells are skipped: Excel keeps formatted but empty columns.
    """
    lookup = {}
    for column in columns:
        lookup[fold(column.name)] = column
        lookup[fold(column.chinese)] = column
    positions: dict[str, int] = {}
    unknown, repeated = [], []
    for index, header in enumerate(headers):
        folded = fold(header)
        if not folded:
            continue
        column = lookup.get(folded)
        if column is None and "/" in folded:
            column = _column_of_halves(folded, lookup)
        if column is None:
            unknown.append(header)
        elif column.name in positions:
            repeated.append(header)
        else:
            positions[column.name] = index
    return positions, unknown, repeated


def _column_of_halves(folded: str, lookup: dict):
    """“学籍号 / student_number”: every half names the same column; or one half names it and
    the rest is that column's ``english``, as the column's header writes it."""
    parts = [part for part in folded.split("/") if part]
    named = {lookup[part] for part in parts if part in lookup}
    if len(named) != 1:
        return None
    column = named.pop()
    rest = "/".join(part for part in parts if part not in lookup)
    if rest and not (column.english and rest == fold(column.english)):
        return None
    return column


def _choices(choices, names: Mapping[str, Any]) -> dict[str, Any]:
    """Every way a choice may be written: its stored value, its English label (the code's own
    text) and the Chinese names given here, whatever the compiled catalogue holds; and its
    label in each language as the catalogue translates it, where it is compiled.

    The Chinese names are in the code because a deployment that forgot to compile the
    catalogue would otherwise refuse every registrar's file ("“普高” is not one of the
    choices"): the labels registrars type are part of the import's format."""
    table = {}
    for value, label in choices:
        table[fold(value)] = value
        for language, _name in (("en", "English"), *settings.LANGUAGES):
            with translation.override(language):
                table[fold(str(label))] = value
    table.update({fold(key): value for key, value in names.items()})
    return table


def gender_choices() -> dict[str, str]:
    return _choices(Student.Gender.choices, {"男": "M", "女": "F", "男性": "M", "女性": "F"})


def track_choices() -> dict[str, str]:
    return _choices(
        Track.choices,
        {
            "普高": Track.GENERAL,
            "普通": Track.GENERAL,
            "普通高中": Track.GENERAL,
            "中职": Track.VOCATIONAL,
            "职业": Track.VOCATIONAL,
            "职高": Track.VOCATIONAL,
            "中等职业": Track.VOCATIONAL,
        },
    )


def category_choices() -> dict[str, str]:
    return _choices(
        Course.Category.choices,
        {
            "文化课": Course.Category.GENERAL_CULTURE,
            "文化基础课": Course.Category.GENERAL_CULTURE,
            "专业技能课": Course.Category.VOCATIONAL_TECHNICAL,
            "专业课": Course.Category.VOCATIONAL_TECHNICAL,
            "选修课": Course.Category.ELECTIVE,
            "选修": Course.Category.ELECTIVE,
        },
    )


def semester_choices() -> dict[str, int]:
    table = _choices(
        Term.Semester.choices,
        {"第一学期": 1, "第二学期": 2, "上": 1, "下": 2, "第1学期": 1, "第2学期": 2},
    )
    return {key: int(value) for key, value in table.items()}
