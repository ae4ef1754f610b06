"""Writing the filing workbook's cells: a row of values (dates as dates, times as they read
in China, nothing a spreadsheet would run as a formula), a field's label, a person."""

import datetime

from django.utils import timezone
from django.utils.text import capfirst
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.spreadsheets import xlsx_value
from schools.models import User

DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"
BOLD = Font(bold=True)


def local_time(moment: datetime.datetime | None) -> datetime.datetime | None:
    # XLSX has no time zones: write the time as it reads in China, where the schools are.
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def person(user: User | None) -> str:
    return f"{user.get_full_name() or user.login_shown} ({user.login_shown})" if user else ""


def field_label(model, name: str) -> str:
    return capfirst(model._meta.get_field(name).verbose_name)


def row(sheet, values, *, bold: bool = False) -> None:
    sheet.append([xlsx_value(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, datetime.datetime):
            cell.number_format = DATETIME
        elif isinstance(cell.value, datetime.date):
            cell.number_format = DATE
        if bold:
            cell.font = BOLD


def widths(sheet, columns: list[int]) -> None:
    for index, width in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
