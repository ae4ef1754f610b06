"""Exports of what a user may see, as CSV (UTF-8 with a BOM, so Excel opens it) and XLSX,
in the columns the import reads, so an export re-imports cleanly.

Two protections: a cell a spreadsheet would run as a formula (beginning with =, +, -, @, a
tab or a carriage return) gets an apostrophe in front; and ID-card and student numbers are
as the exporting user may see them (``students.privacy``: whole for a registrar's own
students, masked for everyone else), which makes a masked row impossible to re-import as it
is, and the import says so.
"""

import csv
import datetime
import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import cast

from django.utils.translation import gettext as _

from core.spreadsheets import csv_text, xlsx_value
from credits.selectors import courses_visible_to, credit_records_visible_to
from schools.models import User
from schools.selectors import schools_visible_to
from students.models import StatusRecord
from students.privacy import NumberPolicy, number_policy
from students.selectors import status_records_visible_to

from .columns import COLUMNS, Column
from .models import ImportJob

#: COLUMNS, looked up by a kind given as a str (as the URL gives it): a Kind equals its str.
_COLUMNS = cast(Mapping[str, tuple[Column, ...]], COLUMNS)

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def may_export(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active) and (
        user.sees_everything
        or user.role in (User.Role.REGISTRAR, User.Role.DISTRICT, User.Role.BUREAU)
    )


def export_rows(*, user, kind: str) -> list[list]:
    """The rows of one export, in the import's columns; only what the user may see."""
    numbers = number_policy(user)
    schools = schools_visible_to(user)
    if kind == ImportJob.Kind.STUDENTS:
        records = (
            status_records_visible_to(user)
            .filter(state=StatusRecord.State.ACTIVE, school__in=schools)
            .order_by("school__code", "student__student_number")
            .prefetch_related("student__proficiency_results")
        )
        numbers.prime(record.student_id for record in records)
        return [_student_row(record, numbers) for record in records]
    if kind == ImportJob.Kind.COURSES:
        return [
            [
                course.school.code,
                course.code,
                course.name,
                course.get_category_display(),
                course.credit_value,
            ]
            for course in courses_visible_to(user).order_by("school__code", "code")
        ]
    if kind == ImportJob.Kind.CREDITS:
        # Only records of the schools in scope: another school's courses would not re-import.
        credit_records = (
            credit_records_visible_to(user)
            .filter(course__school__in=schools)
            .order_by(
                "course__school__code",
                "student__student_number",
                "term__academic_year__start_year",
                "term__semester",
                "course__code",
            )
        )
        numbers.prime(record.student_id for record in credit_records)
        return [_credit_row(record, numbers) for record in credit_records]
    raise ValueError(f"no export of {kind!r}")


def _student_row(record: StatusRecord, numbers: NumberPolicy) -> list:
    student = record.student
    klass = record.integration_class
    return [
        numbers.student_number(student),
        student.name,
        numbers.id_card_number(student),
        student.get_gender_display(),
        student.birth_date,
        student.guardian_name,
        student.guardian_phone,
        record.school.code,
        record.school.name,
        record.get_track_display(),
        klass.name if klass else "",
        klass.cohort_year if klass else "",
        record.major.code if record.major else "",
        record.start_date,
        student.entrance_exam_year or "",
        student.entrance_exam_score if student.entrance_exam_score is not None else "",
        *_latest_results(student),
    ]


def _latest_results(student) -> list:
    """The proficiency tests of the student's latest test day, as the file's three columns
    hold them: importing the export again records nothing new."""
    results = list(student.proficiency_results.all())
    if not results:
        return ["", "", ""]
    day = max(result.taken_on for result in results)
    on_day = sorted((r for r in results if r.taken_on == day), key=lambda r: r.subject)
    return [
        "、".join(r.subject for r in on_day if r.passed),
        "、".join(r.subject for r in on_day if not r.passed),
        day,
    ]


def _credit_row(record, numbers: NumberPolicy) -> list:
    start_year = record.term.academic_year.start_year
    return [
        numbers.student_number(record.student),
        record.student.name,
        record.course.school.code,
        record.course.code,
        record.course.name,
        f"{start_year}-{start_year + 1}",
        record.term.semester,
        record.score,
        record.credits_earned,
    ]


def render_csv(*, kind: str, rows: Iterable[list]) -> bytes:
    return write_csv(columns=_COLUMNS[kind], rows=rows)


def write_csv(*, columns: Iterable[Column], rows: Iterable[list]) -> bytes:
    """A CSV of ``columns``' headers and ``rows``, every cell through the formula guard."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.header for column in columns])
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_text(value) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return csv_text(value)


def render_xlsx(*, kind: str, rows: Iterable[list], notes: bool = False) -> bytes:
    return write_xlsx(
        columns=_COLUMNS[kind], rows=rows, title=str(ImportJob.Kind(kind).label), notes=notes
    )


def write_xlsx(
    *, columns: Sequence[Column], rows: Iterable[list], title: str, notes: bool = False
) -> bytes:
    """A workbook of ``columns``' headers and ``rows``, every cell through the formula guard;
    with ``notes``, a second sheet says what to write in each column."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for index, column in enumerate(columns, start=1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = 22 if column.text else 14
        if column.text:
            dimension.number_format = "@"  # so rows typed in later stay text too
    sheet.append([column.header for column in columns])
    for row in rows:
        cells = []
        for column, value in zip(columns, row, strict=True):
            cell = WriteOnlyCell(sheet, value=_xlsx_value(value))
            if column.text:
                cell.number_format = "@"  # ID-card numbers must stay text, all 18 digits
            elif isinstance(value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    if notes:
        _notes_sheet(workbook, columns)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_value(value):
    # openpyxl would store text beginning with = as a formula; neutralised it is text.
    return float(value) if isinstance(value, Decimal) else xlsx_value(value)


def _notes_sheet(workbook, columns) -> None:
    notes = workbook.create_sheet(_("Notes")[:31])
    notes.append([_("Column"), _("Required"), _("What to write")])
    for column in columns:
        notes.append(
            [column.header, _("yes") if column.required else _("no"), str(column.description)]
        )


def template_file(*, kind: str, fmt: str) -> bytes:
    """An empty file with the import's headers; the XLSX one explains each column."""
    if fmt == "csv":
        return render_csv(kind=kind, rows=[])
    return render_xlsx(kind=kind, rows=[], notes=True)
