"""What a person does in the browser, as plain functions on a Playwright page: log in and
out, follow a link (opening the collapsed navbar on a phone), take a screenshot, run axe.

They rely only on stable hooks: URLs, form field names and ids, and ``data-testid``s; never
on button wording or layout classes, which the page owners change freely.
"""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import polib
from django.conf import settings

if TYPE_CHECKING:  # the tests skip, rather than fail to import, where Playwright is missing
    from playwright.sync_api import Page

BASE_DIR = Path(settings.BASE_DIR)
AXE_JS = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
CATALOGUE = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
ARTIFACTS = BASE_DIR / "artifacts" / "screenshots"
DOCS_SCREENSHOTS = BASE_DIR / "docs" / "screenshots"

PASSWORD = "demo12345"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("serious", "critical")


# --- the words on the page ---------------------------------------------------------------


def ui_text(language: str, msgid: str) -> str:
    """What the page shows for ``msgid`` in ``language``, read from the shipped catalogue
    (the .po the translators edit): its msgstr in Chinese, or the msgid itself when that is
    still untranslated, which is what Django shows then too."""
    if language == "en":
        return msgid
    for entry in polib.pofile(str(CATALOGUE)):
        if entry.msgid == msgid and not entry.msgctxt and not entry.obsolete:
            return entry.msgstr if entry.translated() else msgid
    return msgid


def catalogue_hint() -> str:
    """Why a Chinese string may not match: the compiled catalogue is missing or older than
    the .po (``make test`` compiles it; so does ``manage.py compiletranslations``)."""
    mo = CATALOGUE.with_suffix(".mo")
    if not mo.exists():
        return f" ({mo.relative_to(BASE_DIR)} is missing: run manage.py compiletranslations)"
    if mo.stat().st_mtime < CATALOGUE.stat().st_mtime:
        return f" ({mo.relative_to(BASE_DIR)} is older than the .po: run compiletranslations)"
    return ""


# --- moving around -------------------------------------------------------------------------


def open_navbar_if_collapsed(page: Page) -> None:
    toggler = page.locator(".navbar-toggler").first
    if (
        toggler.count()
        and toggler.is_visible()
        and toggler.get_attribute("aria-expanded") != "true"
    ):
        toggler.click()
        page.locator(".navbar-collapse.show").first.wait_for(state="visible")


def click_link(page: Page, href: str) -> None:
    """Click the first visible link to ``href``: on the page itself, or in the navbar (opened
    first if a narrow viewport collapsed it, and its "More" menu if the link is in there)."""
    links = page.locator(f'a[href="{href}"]:visible')
    if links.count() == 0:
        open_navbar_if_collapsed(page)
        links = page.locator(f'a[href="{href}"]:visible')
    if links.count() == 0:
        # Less frequent destinations sit in the navbar's "More" menu.
        menu = page.locator(f'.dropdown:has(a[href="{href}"]) > .dropdown-toggle')
        if menu.count():
            menu.first.click()
            links = page.locator(f'a[href="{href}"]:visible')
    with page.expect_navigation():
        links.first.click()


def submit(page: Page, form_action: str) -> None:
    """Click the submit button of the form posting to ``form_action``, and wait for the page
    the server answers with (a confirm dialog on the way is accepted by the page's handler)."""
    button = page.locator(f'form[action="{form_action}"] [type=submit]').first
    with page.expect_navigation():
        button.click()


def log_in(page: Page, base_url: str, username: str) -> None:
    """Log in through the login form; the first visit of a fresh browser goes there by URL,
    later ones land there after logging out."""
    if "/accounts/login/" not in page.url:
        page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("form:has(#id_password) [type=submit]").click()
    assert "/accounts/login/" not in page.url, f"login as {username} failed: still on {page.url}"


def log_out(page: Page) -> None:
    """The logout is a POST form in the navbar: behind the toggler on a phone, and maybe in
    the user's dropdown menu."""
    button = page.locator('form[action="/accounts/logout/"] [type=submit]').first
    if not button.is_visible():
        open_navbar_if_collapsed(page)
    if not button.is_visible():
        menu = page.locator(".dropdown", has=page.locator('form[action="/accounts/logout/"]'))
        menu.locator("[data-bs-toggle=dropdown]").first.click()
    with page.expect_navigation():
        button.click()
    page.wait_for_url("**/accounts/login/**")


# --- screenshots and accessibility ------------------------------------------------------------


def screenshot(page: Page, language: str, name: str) -> Path:
    """A full-page PNG under artifacts/screenshots/<language>/ (CI keeps that folder); with
    UPDATE_SCREENSHOTS=1 the Chinese ones are copied to docs/screenshots/ for the README."""
    path = ARTIFACTS / language / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" and language == "zh-hans":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
    return path


AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary})),
  }));
}"""


def axe_violations(page: Page) -> list[dict]:
    """All WCAG 2.0/2.1 A and AA violations axe finds on the page as it is now. axe is
    evaluated through the browser's devtools protocol, not added as an inline script tag,
    which the page's Content-Security-Policy (rightly) refuses."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    return page.evaluate(AXE_RUN, AXE_TAGS)


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    {' '.join(map(str, node['target']))}    {node['html'][:160]}")
    return "\n".join(lines)


# --- what a journey checks ----------------------------------------------------------------


def passing_score(component) -> str:
    """Three quarters of the way from the pass mark to the maximum."""
    value = component.pass_mark + (component.max_score - component.pass_mark) * Decimal("0.75")
    return f"{value:.1f}"


def expect_words(page, testid, language, msgid):
    """The element ``data-testid=testid`` reads ``msgid`` in the page's language."""
    from playwright.sync_api import expect

    expected = ui_text(language, msgid)
    element = page.get_by_test_id(testid)
    expect(element, f"{testid} should read {expected!r}{catalogue_hint()}").to_have_text(expected)


def expect_state(page, language, label):
    expect_words(page, "application-state", language, label)
