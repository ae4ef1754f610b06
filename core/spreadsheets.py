"""Spreadsheet safety: every cell the project writes to a CSV or XLSX file goes through here.

A spreadsheet runs a cell that begins like a formula (CSV injection, OWASP's list: =, +, -,
@, tab and carriage return); an apostrophe in front makes it text. XLSX cannot hold control
characters at all, so they are dropped there.
"""

import datetime
from decimal import Decimal

#: A cell beginning with one of these is a formula to a spreadsheet.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def starts_formula(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def neutralise(value):
    """Text a spreadsheet would run as a formula gets an apostrophe in front; anything else
    (other text, numbers, dates, None) is returned as it is."""
    if isinstance(value, str) and starts_formula(value):
        return "'" + value
    return value


def csv_text(value) -> str:
    """A CSV cell: empty for None, else the value as text, neutralised."""
    return "" if value is None else neutralise(str(value))


def xlsx_value(value):
    """An XLSX cell: numbers and dates as they are; anything else as text, neutralised and
    without the characters a workbook cannot hold."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None or isinstance(value, int | float | Decimal | datetime.date):
        return value
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
