"""Workbooks built to exhaust a worker are refused before they are parsed: a small upload
that unpacks to one row of five million cells, or to 190 MB of shared strings, is stopped by a
scan of its XML as it unpacks, a chunk at a time; the parser (which would hold the whole row,
or every shared string, in memory) is never given it. Uploaded, each fails its import job in
seconds, with the memory the import holds bounded."""

import io
import time
import tracemalloc
import zipfile

import pytest

from imports import reading
from imports.models import ImportJob
from imports.reading import FileRefused, read_table

SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def _workbook(members: dict[str, object]) -> bytes:
    """A zip with the given members; a member given as (head, piece, times, tail) is
    streamed in, so the test never holds what it unpacks to."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        for name, body in members.items():
            with archive.open(name, "w", force_zip64=True) as member:
                if isinstance(body, tuple):
                    head, piece, times, tail = body
                    member.write(head)
                    block = piece * 10_000
                    for _ in range(times // 10_000):
                        member.write(block)
                    member.write(tail)
                else:
                    member.write(body)
    return out.getvalue()


@pytest.fixture
def parser_never_called(monkeypatch):
    import openpyxl

    def refuse(*args, **kwargs):
        raise AssertionError("the parser was given a workbook the scan should have refused")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def five_million_cells_in_one_row() -> bytes:
    cell = b'<c t="inlineStr"><is><t>x</t></is></c>'
    sheet = (SHEET_HEAD + b'<row r="1">', cell, 5_000_000, b"</row>" + SHEET_TAIL)
    return _workbook({"xl/worksheets/sheet1.xml": sheet})


def shared_strings_of_190_mb() -> bytes:
    one_cell = SHEET_HEAD + b'<row r="1"><c t="s"><v>0</v></c></row>' + SHEET_TAIL
    strings = (b"<sst>", b"<si><t>" + b"x" * 90 + b"</t></si>", 1_800_000, b"</sst>")  # 190 MB
    return _workbook({"xl/worksheets/sheet1.xml": one_cell, "xl/sharedStrings.xml": strings})


def test_one_row_of_five_million_cells_is_refused_before_parsing(parser_never_called):
    content = five_million_cells_in_one_row()
    assert len(content) < reading.MAX_BYTES  # a small upload
    with pytest.raises(FileRefused, match="more than 100 cells"):
        read_table(filename="hostile.xlsx", content=content)


def test_190_mb_of_shared_strings_is_refused_before_parsing(parser_never_called):
    content = shared_strings_of_190_mb()
    assert len(content) < reading.MAX_BYTES
    with pytest.raises(FileRefused, match="more cells or text than an import takes"):
        read_table(filename="hostile.xlsx", content=content)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("build", "refusal"),
    [
        (five_million_cells_in_one_row, "more than 100 cells"),
        (shared_strings_of_190_mb, "more cells or text than an import takes"),
    ],
)
def test_a_hostile_upload_fails_its_job_in_seconds_with_bounded_memory(
    world, upload, parser_never_called, build, refusal
):
    content = build()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        job = upload(world.registrar, ImportJob.Kind.STUDENTS, content, "hostile.xlsx")
        elapsed = time.perf_counter() - started
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert job.state == ImportJob.State.FAILED
    assert refusal in job.error
    assert (job.attempts, job.results) == (1, [])
    # The worker took 148 s and 4.7 GB for such a file; the scan holds a chunk at a time.
    assert elapsed < 10, elapsed
    assert peak < 32 * 1024 * 1024, peak


def test_too_many_cells_in_all_is_refused_however_narrow_the_rows(parser_never_called, monkeypatch):
    monkeypatch.setattr(reading, "MAX_CELLS", 50)
    row = b"<row>" + b"<c><v>1</v></c>" * 10 + b"</row>"
    content = _workbook({"xl/worksheets/sheet1.xml": SHEET_HEAD + row * 6 + SHEET_TAIL})
    with pytest.raises(FileRefused, match="more cells or text"):
        read_table(filename="narrow.xlsx", content=content)


def test_a_row_split_across_scan_chunks_is_counted_whole(parser_never_called, monkeypatch):
    monkeypatch.setattr(reading, "SCAN_CHUNK", 64)  # every row spans several chunks
    row = b"<row>" + b'<c r="A1"><v>1</v></c>' * 101 + b"</row>"
    content = _workbook({"xl/worksheets/sheet1.xml": SHEET_HEAD + row + SHEET_TAIL})
    with pytest.raises(FileRefused, match="more than 100 cells"):
        read_table(filename="wide.xlsx", content=content)


def test_a_workbook_within_the_bounds_is_read():
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["学籍号", "姓名"])
    for n in range(200):
        sheet.append([f"G{n:018d}", "张三"])
    out = io.BytesIO()
    workbook.save(out)
    table = read_table(filename="ok.xlsx", content=out.getvalue())
    try:
        assert table.headers == ["学籍号", "姓名"]
        assert sum(1 for _row in table.rows) == 200
    finally:
        table.close()
