"""Reading one row's cells, column by column.

Every problem is noted with its column and reading goes on, so a registrar sees all of a
row's problems at once. Messages show at most a short piece of what the cell held: a 100,000
character cell must not come back in every message.
"""

import datetime
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from functools import partial

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.utils.translation import gettext as _

from core.spreadsheets import FORMULA_TRIGGERS
from students.validators import normalise_id_card_number, validate_id_card_number

from .columns import fold
from .reading import CONTROL_CHARACTERS, Formula, cell_text

MAX_CELL = 200

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SCIENTIFIC = re.compile(r"\d(\.\d+)?e\+?\d+", re.IGNORECASE)


def shown(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


class Layout:
    """One file's columns, shared by its rows: where each column is, its header as the file
    writes it, and the dates already read (a file repeats a few dates on every row).
    ``characters_checked``: the whole file was checked for control characters (a CSV's
    text is, as it is decoded), so its cells need not be one by one."""

    def __init__(
        self,
        *,
        positions: dict[str, int],
        headers: dict[str, str],
        characters_checked: bool = False,
    ):
        self.positions = positions
        self.headers = headers
        self.characters_checked = characters_checked
        self.dates: dict[str, datetime.date] = {}
        self.texts: dict[str, str] = {}


class FieldValidation:
    """A model field's own validators, run on values read from a file. A value plainly
    within them (its length within ``max_length``, matching a pattern the field requires)
    passes at once; any other goes through the field's validators, which say what is wrong
    in the model's own words. A field with other kinds of validator always goes through."""

    def __init__(self, field):
        self.field = field
        self._quick = []
        for validator in field.validators:
            if isinstance(validator, MaxLengthValidator) and not callable(validator.limit_value):
                self._quick.append(partial(_within, validator.limit_value))
            elif isinstance(validator, RegexValidator) and not validator.inverse_match:
                self._quick.append(validator.regex.search)
            else:
                self._quick = None
                break

    def errors(self, value) -> list[str]:
        if self._quick is not None:
            for test in self._quick:
                if not test(value):
                    break
            else:
                return []
        try:
            self.field.run_validators(value)
        except ValidationError as exc:
            return exc.messages
        return []


def _within(limit: int, value: str) -> bool:
    return len(value) <= limit


class RowCheck:
    """One row being read: its line, its errors, and its cells until it is read."""

    __slots__ = ("line", "errors", "_cells", "_layout")

    def __init__(self, *, line: int, cells: list, layout: Layout):
        self.line = line
        #: The cells until the row is read, then none.
        self._cells: Sequence = cells
        self._layout = layout
        #: A list once the row has an error.
        self.errors: list[dict] | tuple[()] = ()

    def done(self) -> None:
        """The row is read: its cells are let go, its line and errors stay for the plan."""
        self._cells = ()

    def header(self, column: str) -> str:
        """The column's header as the file writes it."""
        return self._layout.headers.get(column, column)

    def error(self, column: str, message) -> None:
        if not self.errors:
            self.errors = []
        self.errors.append({"column": self.header(column), "message": str(message)})

    def model_errors(self, exc: ValidationError, columns: dict[str, str]) -> None:
        """A model's own validation, each message on the column its field came from."""
        for field, messages in exc.message_dict.items():
            for message in messages:
                self.error(columns.get(field, field), message)

    def has(self, column: str) -> bool:
        return column in self._layout.positions

    def raw(self, column: str):
        index = self._layout.positions.get(column)
        if index is None or index >= len(self._cells):
            return None
        return self._cells[index]

    def text(
        self,
        column: str,
        *,
        required: bool = True,
        formula_safe: bool = True,
        repeated: bool = False,
    ) -> str:
        """The cell as text; "" when empty or refused. ``formula_safe`` refuses text that a
        spreadsheet would run as a formula, like ``=HYPERLINK(...)``. A ``repeated`` column
        (a school's code, a class's name) holds the same few values on every row: each is
        kept once for the file, not once per row."""
        index = self._layout.positions.get(column)
        cells = self._cells
        value = cells[index] if index is not None and index < len(cells) else None
        if type(value) is str:  # every cell of a CSV
            text = value.strip()
        elif isinstance(value, Formula):
            self.error(column, _("This cell holds a formula; paste its value instead."))
            return ""
        else:
            text = cell_text(value)
        if len(text) > MAX_CELL:
            self.error(
                column,
                _("This cell holds %(count)s characters; at most %(limit)s are allowed.")
                % {"count": f"{len(text):,}", "limit": MAX_CELL},
            )
            return ""
        first = text[:1]
        if first == "'" and text[1:2] in FORMULA_TRIGGERS:
            text = text[1:]  # the apostrophe our exports put before such a cell
            first = text[:1]
        if not self._layout.characters_checked and CONTROL_CHARACTERS.search(text):
            self.error(column, _("This cell holds control characters."))
            return ""
        if formula_safe and first in FORMULA_TRIGGERS:
            self.error(
                column,
                _("A value may not begin with “%(char)s”: a spreadsheet would run it as a formula.")
                % {"char": text[0].strip() or _("a tab")},
            )
            return ""
        if required and not text:
            self.error(column, _("This column is required."))
        if repeated:
            return self._layout.texts.setdefault(text, text)
        return text

    def date(self, column: str, *, required: bool = True) -> datetime.date | None:
        value = self.raw(column)
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = self.text(column, required=required)
        if not text:
            return None
        known = self._layout.dates.get(text)
        if known is not None:
            return known
        match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
        try:
            if match is None:
                raise ValueError(text)
            date = datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            self.error(
                column,
                _("“%(value)s” is not a date; write it as YYYY-MM-DD, e.g. 2026-09-01.")
                % {"value": shown(text)},
            )
            return None
        self._layout.dates[text] = date
        return date

    def decimal(self, column: str, *, required: bool = True) -> Decimal | None:
        text = self.text(column, required=required, formula_safe=False)
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.error(column, _("“%(value)s” is not a number.") % {"value": shown(text)})
            return None
        # "2.00" is the same number as 2: trailing zeros are a cell's format, not precision.
        number = number.normalize()
        exponent = number.as_tuple().exponent  # an int: only NaNs and infinities have a letter
        return number.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else number

    def integer(self, column: str, *, required: bool = True) -> int | None:
        text = self.text(column, required=required)
        if not text:
            return None
        if not text.isascii() or not text.isdigit():
            self.error(column, _("“%(value)s” is not a whole number.") % {"value": shown(text)})
            return None
        return int(text)

    def choice(self, column: str, choices: dict, *, required: bool = True):
        text = self.text(column, required=required)
        if not text:
            return None
        # The table's keys are folded, so a cell written as a key needs no folding.
        value = choices.get(text)
        if value is None:
            value = choices.get(fold(text))
        if value is None:
            self.error(column, _("“%(value)s” is not one of the choices.") % {"value": shown(text)})
        return value

    def id_card_number(self, column: str) -> str | None:
        """GB 11643, after the normalisation people need: full-width digits, a lowercase x,
        spaces between the groups."""
        value = self.raw(column)
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.error(
                column,
                _(
                    "Excel stored this ID-card number as a number and may have rounded it: "
                    "format the column as text and type the number again."
                ),
            )
            return None
        text = self.text(column)
        if not text:
            return None
        return self._checked_id(column, text)

    def student_number(self, column: str, *, required: bool = True) -> str | None:
        """G and the ID-card number; returns the ID-card number it holds."""
        text = self.text(column, required=required)
        if not text:
            return None
        if text[:1] not in ("G", "g", "Ｇ"):
            self.error(
                column,
                _("A national student number is G followed by the 18-character ID-card number."),
            )
            return None
        return self._checked_id(column, text[1:])

    def _checked_id(self, column: str, text: str) -> str | None:
        if "*" in text:
            self.error(
                column,
                _(
                    "This number is masked (*), as in exports for those who see numbers "
                    "masked; import a file with the full numbers."
                ),
            )
            return None
        if _SCIENTIFIC.fullmatch(text):
            self.error(
                column,
                _(
                    "Excel turned this number into “%(value)s” and lost digits: format the "
                    "column as text and type the number again, or use the XLSX file."
                )
                % {"value": shown(text)},
            )
            return None
        number = normalise_id_card_number(text)
        try:
            validate_id_card_number(number)
        except ValidationError as exc:
            for message in exc.messages:
                self.error(column, message)
            return None
        return number
