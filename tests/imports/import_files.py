"""Building the files registrars upload: rows as dicts by column name, written as CSV in a
chosen encoding or as XLSX, with Chinese, English or combined headers."""

import csv
import datetime
import io

from openpyxl import Workbook

from imports.columns import COLUMNS
from imports.models import ImportJob
from students.validators import make_id_card_number

BIRTH = datetime.date(2010, 3, 1)
START = "2026-09-01"


def birth_date(n: int) -> datetime.date:
    return BIRTH + datetime.timedelta(days=n // 1000)


def id_number(n: int) -> str:
    """A valid ID-card number; even ``n`` is a woman's, odd a man's."""
    return make_id_card_number("330110", birth_date(n), n % 1000)


def student_row(world, n: int, **overrides) -> dict:
    number = id_number(n)
    row = {
        "student_number": f"G{number}",
        "name": f"学生{n}",
        "id_card_number": number,
        "gender": "男" if n % 2 else "女",
        "birth_date": birth_date(n).isoformat(),
        "guardian_name": f"家长{n}",
        "guardian_phone": f"138{n:08d}",
        "school_code": world.school.code,
        "track": "",
        "class_name": world.klass.name,
        "cohort_year": str(world.klass.cohort_year),
        "major_code": "",
        "start_date": START,
    }
    row.update(overrides)
    return row


def course_row(world, code: str, **overrides) -> dict:
    row = {
        "school_code": world.school.code,
        "course_code": code,
        "course_name": f"课程{code}",
        "category": "文化课",
        "credit_value": "2",
    }
    row.update(overrides)
    return row


def credit_row(world, n: int, code: str, **overrides) -> dict:
    row = {
        "student_number": f"G{id_number(n)}",
        "school_code": world.school.code,
        "course_code": code,
        "academic_year": "2026-2027",
        "semester": "1",
        "score": "85.5",
        "credits_earned": "2",
    }
    row.update(overrides)
    return row


def _headers(kind: str, rows: list[dict], style: str) -> tuple[list[str], list[str]]:
    columns = [c for c in COLUMNS[kind] if any(c.name in row for row in rows)]
    pick = {"both": lambda c: c.header, "zh": lambda c: c.chinese, "en": lambda c: c.name}[style]
    return [c.name for c in columns], [pick(c) for c in columns]


def table(kind: str, rows: list[dict], style: str = "both") -> list[list[str]]:
    names, headers = _headers(kind, rows, style)
    return [headers] + [[row.get(name, "") for name in names] for row in rows]


def csv_file(
    rows: list[dict],
    *,
    kind: str = ImportJob.Kind.STUDENTS,
    encoding: str = "utf-8-sig",
    style: str = "both",
) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(table(kind, rows, style))
    return out.getvalue().encode(encoding)


def xlsx_file(rows: list[dict], *, kind: str = ImportJob.Kind.STUDENTS, style="both") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for values in table(kind, rows, style):
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
