"""Every page carries a Content-Security-Policy that runs no inline script or style, and no
template relies on one (the browser tests check the pages themselves report no violation)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
#: Rendered to PDF by WeasyPrint on the server, never served to a browser as a page.
PDF_TEMPLATES = ("pdf/", "_pdf.html")

INLINE = {
    "an inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "an event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "a style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "a style element": re.compile(r"<style\b", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def _directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("signed_in", [False, True], ids=["login-page", "home-signed-in"])
def test_pages_carry_a_policy_without_unsafe_inline(client, bureau, signed_in):
    if signed_in:
        client.force_login(bureau)
    response = client.get(reverse("home" if signed_in else "login"))
    assert response.status_code == 200
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header
    assert _directives(header) == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }


def test_error_pages_carry_the_policy_too(client, bureau):
    client.force_login(bureau)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_csrf_failure_page_is_the_house_one_without_inline_styles(bureau):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(bureau)
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-testid="csrf-failure"' in body
    assert "<style" not in body


def _page_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if not any(marker in name for marker in PDF_TEMPLATES):
            yield name, path


@pytest.mark.parametrize("kind", INLINE)
def test_no_page_template_has_inline_code_or_style(kind):
    found = [
        f"{name}:{number}: {line.strip()[:120]}"
        for name, path in _page_templates()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if INLINE[kind].search(line)
    ]
    assert not found, f"{kind} in a page template, which the CSP refuses:\n" + "\n".join(found)


def test_the_inline_check_sees_what_it_looks_for():
    samples = {
        "an inline script": "<script>alert(1)</script>",
        "an event handler attribute": '<select onchange="this.form.submit()">',
        "a style attribute": '<td style="min-width: 9rem">',
        "a style element": "<style>td { color: red }</style>",
        "a javascript: URL": '<a href="javascript:void(0)">',
    }
    for kind, sample in samples.items():
        assert INLINE[kind].search(sample), kind
    assert not INLINE["an inline script"].search('<script src="/static/js/app.js" defer>')
    assert not INLINE["an event handler attribute"].search('<button data-confirm="Sure?">')
