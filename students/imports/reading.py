"""Reading an uploaded file into rows, as registrars' files really come.

XLSX, and CSV in UTF-8 (with or without the BOM) or GB18030/GBK, which is what Excel on a
Chinese Windows saves. Each encoding is tried strictly; a file neither decodes, or that
decodes into control characters, is refused with a message saying how to save it, never read
as garbage. UTF-16 ("Unicode text" in Excel) is refused too: Excel writes it tab-separated,
and one way to save (CSV UTF-8 or XLSX) is easier to explain than three.
"""

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
#: An XLSX is a zip; what it unpacks to is capped so a small upload cannot fill the memory.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


class FileRefused(Exception):
    """The file as a whole cannot be read; nothing in it is imported."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Formula:
    """An XLSX cell holding a formula: never imported, whatever it would compute."""

    def __init__(self, text: str):
        self.text = text


@dataclass
class Table:
    headers: list[str]
    #: (line number in the file, the row's cell values)
    rows: list[tuple[int, list]] = field(default_factory=list)


def read_table(*, filename: str, content: bytes) -> Table:
    if not content.removeprefix(b"\xef\xbb\xbf").strip():
        raise FileRefused(_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise FileRefused(_("The file is larger than 10 MB; split it into smaller files."))
    if content.startswith(b"PK\x03\x04"):
        table = _read_xlsx(content)
    elif content.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused(
            _("This is an old Excel workbook (.xls). Save it as .xlsx or as CSV UTF-8.")
        )
    elif filename.lower().endswith((".xlsx", ".xlsm")):
        raise FileRefused(_("This file is not a readable Excel workbook (.xlsx)."))
    else:
        table = _read_csv(decode(content))
    if not any(header.strip() for header in table.headers):
        raise FileRefused(_("The first row must hold the column headers; it is empty."))
    if not table.rows:
        raise FileRefused(_("The file has a header row but no data rows."))
    return table


def decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(
            _(
                "This file is saved as UTF-16 (Excel's “Unicode text”). Save it as “CSV UTF-8” "
                "or as an Excel workbook (.xlsx) and upload it again."
            )
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if CONTROL_CHARACTERS.search(text):
            break
        return text
    raise FileRefused(
        _(
            "The file's characters could not be read: it is neither UTF-8 nor GBK/GB18030 text. "
            "Save it as “CSV UTF-8” or as an Excel workbook (.xlsx) and upload it again."
        )
    )


def _read_csv(text: str) -> Table:
    first_line = text.split("\n", 1)[0]
    # Excel in some locales separates with semicolons, and "text" exports with tabs.
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader, None)
        if headers is None:
            raise FileRefused(_("The file is empty."))
        table = Table(headers=[header.strip() for header in headers])
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                table.rows.append((line, cells))
                if len(table.rows) > MAX_ROWS:
                    raise _too_many_rows()
            line = reader.line_num + 1
    except csv.Error as exc:
        raise FileRefused(
            _("Line %(line)s cannot be read as CSV: a cell is too long or a quote is not closed.")
            % {"line": reader.line_num}
        ) from exc
    return table


def _too_many_rows() -> FileRefused:
    return FileRefused(
        _("The file has more than %(limit)s rows; split it into smaller files.")
        % {"limit": f"{MAX_ROWS:,}"}
    )


def _read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise FileRefused(_("The workbook unpacks to more than 200 MB; split it."))
        # read_only streams the rows; not data_only, so a formula shows as one and is refused.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except FileRefused:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a broken or foreign zip
        raise FileRefused(_("This file is not a readable Excel workbook (.xlsx).")) from exc
    try:
        sheet = workbook.worksheets[0]
        table = None
        for line, row in enumerate(sheet.iter_rows(), start=1):
            cells = [_xlsx_value(cell) for cell in row]
            if table is None:
                table = Table(headers=[_header_text(value) for value in cells])
            elif any(value not in (None, "") for value in cells):
                table.rows.append((line, cells))
                if len(table.rows) > MAX_ROWS:
                    raise _too_many_rows()
    finally:
        workbook.close()
    if table is None:
        raise FileRefused(_("The file is empty."))
    return table


def _xlsx_value(cell):
    value = cell.value
    if getattr(cell, "data_type", None) == "f" and isinstance(value, str):
        return Formula(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _header_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Formula):
        return value.text
    return str(value).strip()


def cell_text(value) -> str:
    """A cell as text. Excel hands numbers over as floats (``13800000000.0``) and dates as
    datetimes; a CSV has only text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return str(value).strip()
