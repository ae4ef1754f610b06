"""Reading an uploaded file into rows, as registrars' files really come.

XLSX, and CSV in UTF-8 (with or without the BOM) or GB18030/GBK, which is what Excel on a
Chinese Windows saves. Each encoding is tried strictly; a file neither decodes, or that
decodes into control characters, is refused with a message saying how to save it, never read
as garbage. UTF-16 ("Unicode text" in Excel) is refused too: Excel writes it tab-separated,
and one way to save (CSV UTF-8 or XLSX) is easier to explain than three.

Rows are read as they are used, one at a time: a file of 100,000 rows is never held as
decoded text or as a list of rows, only as the bytes uploaded.
"""

import codecs
import csv
import datetime
import io
import itertools
import re
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

MAX_BYTES = 32 * 1024 * 1024
MAX_ROWS = 100_000
#: An XLSX is a zip; what it unpacks to is capped so a small upload cannot fill the memory.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
#: A workbook is bounded in every dimension before it is parsed, since the parser holds a whole
#: row, and the whole table of shared strings, in memory: cells per row (the templates have
#: fewer than 30 columns), cells in all, and the shared strings' size.
MAX_COLUMNS = 100
MAX_CELLS = 4_000_000
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
#: Bytes of the unpacked sheet scanned at a time.
SCAN_CHUNK = 1024 * 1024
_CELL = re.compile(rb"<(?:\w+:)?c[\s/>]")
_ROW = re.compile(rb"<(?:\w+:)?row[\s/>]")
_SHARED_STRING = re.compile(rb"<(?:\w+:)?si[\s/>]")
#: Bytes decoded at a time when a CSV's encoding is checked.
DECODE_CHUNK = 1024 * 1024

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_BLANK = re.compile(rb"(?:\xef\xbb\xbf)?\s*")


def megabytes(size: int) -> str:
    return f"{size // (1024 * 1024)} MB"


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
    #: (line number in the file, the row's cell values), read from the file as iterated.
    rows: Iterator[tuple[int, list]]
    #: At least as many as the data rows, known before they are read (the lines after the
    #: header; blank rows are skipped as they are read), for the progress bar.
    size_hint: int = 0
    #: Every character of the file was checked for control characters (a CSV's, decoded).
    characters_checked: bool = False
    #: What reads the file, closed with the table (a workbook is closed with it).
    _source: Generator = field(init=False, repr=False)

    def __post_init__(self):
        self._source = self.rows

    def close(self) -> None:
        self._source.close()


def read_table(*, filename: str, content: bytes) -> Table:
    """The headers at once, the rows as they are iterated; ``close()`` the table after."""
    if _BLANK.fullmatch(content):
        raise FileRefused(_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise FileRefused(
            _("The file is larger than %(limit)s; split it into smaller files.")
            % {"limit": megabytes(MAX_BYTES)}
        )
    if content.startswith(b"PK\x03\x04"):
        table = _read_xlsx(content)
    elif content.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused(
            _("This is an old Excel workbook (.xls). Save it as .xlsx or as CSV UTF-8.")
        )
    elif filename.lower().endswith((".xlsx", ".xlsm")):
        raise FileRefused(_("This file is not a readable Excel workbook (.xlsx)."))
    else:
        table = _read_csv(content)
    try:
        if not any(header.strip() for header in table.headers):
            raise FileRefused(_("The first row must hold the column headers; it is empty."))
        first = next(table.rows, None)
        if first is None:
            raise FileRefused(_("The file has a header row but no data rows."))
    except BaseException:
        table.close()
        raise
    table.rows = itertools.chain([first], table.rows)
    return table


def encoding_of(content: bytes) -> str:
    """The encoding a CSV is read in, checked over the whole file, a chunk at a time."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(
            _(
                "This file is saved as UTF-16 (Excel's “Unicode text”). Save it as “CSV UTF-8” "
                "or as an Excel workbook (.xlsx) and upload it again."
            )
        )
    view = memoryview(content)
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        control = False
        try:
            for start in range(0, len(content), DECODE_CHUNK):
                text = decoder.decode(view[start : start + DECODE_CHUNK])
                control = control or CONTROL_CHARACTERS.search(text) is not None
            control = control or CONTROL_CHARACTERS.search(decoder.decode(b"", True)) is not None
        except UnicodeDecodeError:
            continue
        if control:
            break
        return encoding
    raise FileRefused(
        _(
            "The file's characters could not be read: it is neither UTF-8 nor GBK/GB18030 text. "
            "Save it as “CSV UTF-8” or as an Excel workbook (.xlsx) and upload it again."
        )
    )


def _read_csv(content: bytes) -> Table:
    encoding = encoding_of(content)
    head = content[:DECODE_CHUNK].decode(encoding, errors="ignore")
    first_line = head.split("\n", 1)[0]
    # Excel in some locales separates with semicolons, and "text" exports with tabs.
    delimiter = max([",", ";", "\t"], key=first_line.count)

    def reader():
        return csv.reader(
            io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline=""),
            delimiter=delimiter,
        )

    # Each row takes a line at least; "\r\n" is one line break, as the reader splits them.
    breaks = content.count(b"\n") + content.count(b"\r") - content.count(b"\r\n")
    lines = breaks + (not content.endswith((b"\n", b"\r")))
    size_hint = max(lines - 1, 0)
    if size_hint > MAX_ROWS:
        # More lines than rows allowed: count the rows (blank lines do not count) before
        # reading any, so such a file is refused at once, not after 100,000 rows.
        size_hint = sum(1 for _row in _csv_rows(reader())) - 1
    rows = _csv_rows(reader())
    headers = next(rows)
    return Table(
        headers=[header.strip() for header in headers],
        rows=rows,
        size_hint=size_hint,
        characters_checked=True,
    )


def _csv_rows(reader) -> Generator:
    """The header row's cells, then (line, cells) of each row that is not blank."""
    try:
        headers = next(reader, None)
        if headers is None:
            raise FileRefused(_("The file is empty."))
        yield headers
        count = 0
        line = reader.line_num + 1
        for cells in reader:
            if "".join(cells).strip():
                count += 1
                if count > MAX_ROWS:
                    raise _too_many_rows()
                yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        raise FileRefused(
            _("Line %(line)s cannot be read as CSV: a cell is too long or a quote is not closed.")
            % {"line": reader.line_num}
        ) from exc


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
                raise FileRefused(
                    _("The workbook unpacks to more than %(limit)s; split it.")
                    % {"limit": megabytes(MAX_UNPACKED_BYTES)}
                )
            _refuse_oversized(archive)
        # read_only streams the rows; not data_only, so a formula shows as one and is refused.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except FileRefused:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a broken or foreign zip
        raise FileRefused(_("This file is not a readable Excel workbook (.xlsx).")) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows()
        first = next(rows, None)
        if first is None:
            raise FileRefused(_("The file is empty."))
        headers = [_header_text(_xlsx_value(cell)) for cell in first]
    except BaseException:
        workbook.close()
        raise
    # The sheet's recorded dimension, when it has one; rows past it are still read.
    size_hint = max((sheet.max_row or 1) - 1, 0)
    return Table(headers=headers, rows=_xlsx_rows(workbook, rows), size_hint=size_hint)


def _refuse_oversized(archive: zipfile.ZipFile) -> None:
    """Scan the sheets' and shared strings' XML as it unpacks, a chunk at a time, and refuse
    the workbook at the first row wider than any template, or past the cells or shared
    strings a file of the most rows could hold: before the parser is given it."""
    names = archive.namelist()
    for name in names:
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            _scan_sheet(archive, name)
    shared = [n for n in names if n.lower() == "xl/sharedstrings.xml"]
    for name in shared:
        if archive.getinfo(name).file_size > MAX_SHARED_STRINGS_BYTES:
            raise _too_large()
        if sum(_count_in(archive, name, _SHARED_STRING)) > MAX_CELLS:
            raise _too_large()


def _chunks(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    """The member's bytes in chunks that each end before a tag's ``<``: no tag is split."""
    carry = b""
    with archive.open(name) as member:
        while True:
            data = member.read(SCAN_CHUNK)
            if not data:
                break
            data = carry + data
            cut = data.rfind(b"<")
            if cut <= 0:
                carry = data
                continue
            carry = data[cut:]
            yield data[:cut]
    if carry:
        yield carry


def _count_in(archive: zipfile.ZipFile, name: str, pattern: re.Pattern) -> Iterator[int]:
    for chunk in _chunks(archive, name):
        yield len(pattern.findall(chunk))


def _scan_sheet(archive: zipfile.ZipFile, name: str) -> None:
    in_row = total = 0
    for chunk in _chunks(archive, name):
        position = 0
        for row in _ROW.finditer(chunk):
            cells = len(_CELL.findall(chunk, position, row.start()))
            _check_row(in_row + cells, total + cells)
            total += cells
            in_row, position = 0, row.end()
        cells = len(_CELL.findall(chunk, position))
        in_row += cells
        total += cells
        _check_row(in_row, total)


def _check_row(in_row: int, total: int) -> None:
    if in_row > MAX_COLUMNS:
        raise FileRefused(
            _(
                "A row of the workbook has more than %(limit)s cells; the templates have far "
                "fewer columns. Copy the data into the template and upload that."
            )
            % {"limit": MAX_COLUMNS}
        )
    if total > MAX_CELLS:
        raise _too_large()


def _too_large() -> FileRefused:
    return FileRefused(_("The workbook holds more cells or text than an import takes; split it."))


def _xlsx_rows(workbook, rows) -> Generator:
    try:
        count = 0
        for line, row in enumerate(rows, start=2):
            cells = [_xlsx_value(cell) for cell in row]
            if any(value not in (None, "") for value in cells):
                count += 1
                if count > MAX_ROWS:
                    raise _too_many_rows()
                yield line, cells
    finally:
        workbook.close()


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
