"""The transcript as a PDF: a real PDF, with a CJK font embedded and the student's name in it,
in Chinese whatever language the reader browses in.

The checks read the PDF itself: the font's name in the embedded font descriptor, and the
ToUnicode maps that tie each glyph drawn to its character. When poppler's ``pdftotext`` is
installed the text is also extracted and checked as a person would read it.
"""

import re
import shutil
import subprocess
import zlib

import pytest
from django.conf import settings
from django.urls import reverse
from native import needs_weasyprint

from students.privacy import masked_student_number

STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
pytestmark = needs_weasyprint

BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")


def _inflated(pdf: bytes) -> bytes:
    """Every stream of the PDF, decompressed where it is Flate-encoded: WeasyPrint packs the
    font descriptors into compressed object streams."""
    out = []
    for match in STREAM.finditer(pdf):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            out.append(match.group(1))
    return b"\n".join(out)


def _characters_drawn(pdf: bytes) -> set[str]:
    """The characters the ToUnicode maps say the PDF's glyphs stand for."""
    drawn = set()
    for cmap in re.findall(rb"beginbfchar(.*?)endbfchar", _inflated(pdf), re.S):
        for _glyph, code in BFCHAR.findall(cmap):
            drawn.add(bytes.fromhex(code.decode()).decode("utf-16-be"))
    return drawn


def _pdftotext(pdf: bytes, tmp_path) -> str | None:
    if shutil.which("pdftotext") is None:
        return None
    path = tmp_path / "transcript.pdf"
    path.write_bytes(pdf)
    return subprocess.run(  # noqa: S603 - a fixed local tool on a file we wrote
        ["pdftotext", str(path), "-"],  # noqa: S607
        capture_output=True,
        check=True,
        text=True,
    ).stdout


@pytest.fixture
def pdf_response(client_as, transferred, student_a):
    return client_as("bureau").get(reverse("credits:transcript_pdf", args=[student_a.pk]))


def test_it_is_a_pdf_download_that_no_cache_keeps(pdf_response, student_a):
    assert pdf_response.status_code == 200
    assert pdf_response["Content-Type"] == "application/pdf"
    assert pdf_response.content.startswith(b"%PDF-")
    # Named by the record's id: no number of the student's in a download's name.
    assert pdf_response["Content-Disposition"] == (
        f'attachment; filename="transcript-{student_a.pk}.pdf"'
    )
    assert "no-store" in pdf_response["Cache-Control"]


def test_it_embeds_a_cjk_font_and_draws_the_students_name(pdf_response, student_a, tmp_path):
    pdf = pdf_response.content

    # A subset of Noto Sans CJK is embedded: tens of kilobytes, not a bare page of boxes.
    assert len(pdf) > 20_000
    assert b"Noto-Sans-CJK" in _inflated(pdf)
    assert {"张", "三"} <= _characters_drawn(pdf)
    text = _pdftotext(pdf, tmp_path)
    if text is not None:
        assert student_a.name in text
        # The bureau sees the number masked (students.privacy), in the footer too.
        assert masked_student_number(student_a.student_number) in text
        assert student_a.student_number not in text
        assert "余杭高级中学" in text


def test_it_is_in_chinese_whatever_the_readers_language(
    client_as, transferred, student_a, tmp_path
):
    client = client_as("student_a")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("credits:transcript", args=[student_a.pk]))
    assert "Student number" in page.content.decode()  # the page follows the reader

    pdf = client.get(reverse("credits:transcript_pdf", args=[student_a.pk])).content

    # 籍 and 号 come only from the Chinese labels (学籍号, 在籍, 学籍变动记录); no name,
    # school or course of this student has them.
    assert {"籍", "号"} <= _characters_drawn(pdf)
    text = _pdftotext(pdf, tmp_path)
    if text is not None:
        assert "学籍号" in text
        assert "Student number" not in text
