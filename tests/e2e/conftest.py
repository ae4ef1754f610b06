"""Browser fixtures of the end-to-end tests: Debian's Chromium driven by Playwright's sync
API against pytest-django's live server, on the Hangzhou demo data.

Without Chromium, the ``playwright`` package or axe-core (``npm ci``) these tests skip with
the reason; with ``REQUIRE_BROWSER=1`` (CI) they fail instead, so a CI job that lost its
browser cannot pass by skipping them. Playwright's own browser downloads are never used.

    npm ci                                   # axe-core, for the accessibility checks
    .venv/bin/python manage.py compiletranslations
    REQUIRE_BROWSER=1 .venv/bin/python -m pytest tests/e2e -q

``CHROMIUM`` points at another Chromium binary; ``UPDATE_SCREENSHOTS=1`` also copies the
Chinese screenshots to docs/screenshots/ (``-k zh-hans`` runs just that journey).
"""

import datetime
import os
import re
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from browsing import ARTIFACTS, AXE_JS, BASE_DIR, CATALOGUE, DESKTOP
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from demo.management.commands.seed_demo import COHORT_YEAR as DEMO_COHORT
from demo.management.commands.seed_demo import DemoBuilder
from notifications.tasks import deliver_notifications
from schools.models import School, User
from students.models import StatusRecord, Student
from transfers.models import Application
from transfers.selectors import policy_for_student, transfer_options_for_student
from transfers.services import policy_window_bounds
from transfers.services.applications import application_check_eligibility

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: The demo's pilot area the journeys run in.
AREA = "yuhang"

_call_report = pytest.StashKey[pytest.TestReport]()


def _browser_required() -> bool:
    return os.environ.get("REQUIRE_BROWSER") == "1"


def missing_prerequisites() -> list[str]:
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (pip install playwright)")
    if not CHROMIUM.exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if not AXE_JS.exists():
        missing.append(f"{AXE_JS.relative_to(BASE_DIR)} (npm ci)")
    return missing


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "e2e: drives Chromium through the live server; skipped with a reason where Chromium, "
        "playwright or axe-core is missing, unless REQUIRE_BROWSER=1",
    )


def pytest_collection_modifyitems(config, items):
    missing = missing_prerequisites()
    if not missing or _browser_required():
        return  # with REQUIRE_BROWSER=1 the ``browser`` fixture fails instead
    skip = pytest.mark.skip(
        reason=f"browser tests need {'; '.join(missing)} (REQUIRE_BROWSER=1 fails instead)"
    )
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_call_report] = report
    return report


@pytest.fixture(scope="module")
def browser():
    missing = missing_prerequisites()
    if missing:
        pytest.fail(
            f"REQUIRE_BROWSER=1 but the browser tests need {'; '.join(missing)}", pytrace=False
        )
    from playwright.sync_api import sync_playwright

    # The sync API keeps an event loop in the main thread, where the test also uses the ORM.
    with pytest.MonkeyPatch.context() as env, sync_playwright() as playwright:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def language():
    """The UI language of the browser; tests parametrize it."""
    return "zh-hans"


#: Reports each Content-Security-Policy violation of every document the page loads to the
#: test (an init script runs before the page's own; the binding outlives navigations).
CSP_VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation({
    page: document.location.href,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber,
    sample: event.sample,
  });
});
"""


@pytest.fixture
def browser_log():
    """What the page said besides its HTML: the confirm dialogs it asked (all accepted), the
    uncaught script errors, and the Content-Security-Policy violations (as events and as
    Chromium's console messages)."""
    return SimpleNamespace(dialogs=[], errors=[], csp_violations=[])


def _record_csp_console_message(browser_log, message) -> None:
    if "Content Security Policy" in message.text:
        browser_log.csp_violations.append(f"console: {message.text}")


@pytest.fixture
def page(browser, live_server, language, browser_log, request):
    """A fresh browser (no cookies) at 1280×800 speaking ``language``; a failing test leaves
    a screenshot in artifacts/screenshots/failures/."""
    if language != "en" and not CATALOGUE.with_suffix(".mo").exists():
        pytest.fail(
            f"the {language} UI needs the compiled catalogue: run "
            "`.venv/bin/python manage.py compiletranslations` first (make test does)",
            pytrace=False,
        )
    context = browser.new_context(
        viewport=DESKTOP, locale="zh-CN" if language == "zh-hans" else "en-US"
    )
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    context.set_default_timeout(15_000)
    page = context.new_page()

    def accept(dialog):
        browser_log.dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.on("pageerror", lambda error: browser_log.errors.append(str(error)))
    page.on("console", lambda message: _record_csp_console_message(browser_log, message))
    context.expose_function(
        "reportCspViolation", lambda violation: browser_log.csp_violations.append(violation)
    )
    context.add_init_script(CSP_VIOLATION_LISTENER)
    yield page
    report = request.node.stash.get(_call_report, None)
    if report is not None and report.failed:
        path = ARTIFACTS / "failures" / (re.sub(r"[^\w.-]+", "_", request.node.nodeid) + ".png")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(path), full_page=True)
        except Exception as exc:  # noqa: BLE001 - a lost screenshot must not hide the failure
            print(f"no failure screenshot: {exc}")
    context.close()
    # Every e2e test, the journeys and the accessibility checks alike: no page they visited
    # needed an inline script, handler or style that the policy refused.
    if browser_log.csp_violations:
        pytest.fail(
            "Content-Security-Policy violations on the pages visited:\n"
            + "\n".join(map(str, browser_log.csp_violations)),
            pytrace=False,
        )


@pytest.fixture
def _append_only_history_emptied_before_flush(transactional_db):
    """After a transactional test the database is flushed. On SQLite that is ``DELETE FROM``
    every table, which the append-only history's triggers refuse (PostgreSQL's ``TRUNCATE``
    fires no row triggers). So before the flush: lift those triggers, empty their tables,
    and put the triggers back as they were."""
    yield
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        refusing = [row for row in cursor.fetchall() if " DELETE " in f" {row[2].upper()} "]
        quote = connection.ops.quote_name  # the names come from sqlite_master itself
        for name, _table, _sql in refusing:
            cursor.execute(f"DROP TRIGGER {quote(name)}")
        # Rows of other tables still point at these (an application at its status record):
        # the flush that follows empties those, so the keys are not checked meanwhile.
        cursor.execute("PRAGMA foreign_keys = OFF")
        for table in sorted({table for _name, table, _sql in refusing}):
            cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608
        cursor.execute("PRAGMA foreign_keys = ON")
        for _name, _table, sql in refusing:
            cursor.execute(sql)


def _candidates():
    """Yuhang general-school students of an integration class who have not applied, in the
    demo's order, with the policy that applies to them."""
    students = (
        Student.objects.filter(
            applications__isnull=True,
            status_records__state=StatusRecord.State.ACTIVE,
            status_records__school__kind=School.Kind.GENERAL,
            status_records__integration_class__pairing__pilot_area__slug=AREA,
        )
        .select_related("user")
        .order_by("student_number")
    )
    for student in students:
        policy = policy_for_student(student.user)
        if policy is not None:
            yield student, policy


def _travel_into_the_season_if_out_of_it(request) -> None:
    # The demo's term calendar, which the policy window is cut from (seed_demo makes the same
    # rows again, unchanged).
    DemoBuilder().build_calendar()
    earliest, latest = policy_window_bounds(DEMO_COHORT)
    if earliest < timezone.localdate() < latest:
        return
    import time_machine

    destination = datetime.datetime.combine(
        earliest + datetime.timedelta(days=7), datetime.time(10)
    )
    traveller = time_machine.travel(timezone.make_aware(destination), tick=True)
    traveller.start()
    request.addfinalizer(traveller.stop)


@pytest.fixture
def demo(_append_only_history_emptied_before_flush, request, monkeypatch):
    """The Hangzhou demo (``seed_demo --force``) and the people of one transfer: a Yuhang
    student who has not applied yet and may, the registrars of both schools, the district
    and the bureau, by username.

    The demo opens each area's window around today, which only works in the application
    season (the demo cohort's winter); out of season ``seed_demo`` cannot make its
    applications. Then the whole process, live server included, travels to a week into the
    season first, the clock still running: the browser only sees what the server says."""
    _travel_into_the_season_if_out_of_it(request)
    # The demo's history sends some 2,000 notifications; e-mailing them (a transaction each)
    # would be half of the seeding time and none of what these tests look at. The rows are
    # written as usual; only their e-mail delivery is left undone, for the demo alone.
    with monkeypatch.context() as patch:
        patch.setattr(deliver_notifications, "delay", lambda ids: None)
        call_command("seed_demo", force=True, stdout=StringIO())
    now = timezone.now()
    for student, policy in _candidates():
        assert policy.window_is_open(now), f"{policy} is not open at {now}"
        try:
            status, direction = application_check_eligibility(student=student, policy=policy)
        except ValidationError:  # too few first-semester credits: the next one
            continue
        break
    else:
        pytest.fail(f"no {AREA} student in the demo is left who may apply")
    to_school, majors = transfer_options_for_student(student.user, policy)

    def applicants(major):
        return Application.objects.filter(policy=policy, to_school=to_school, to_major=major)

    # The major nobody in the demo applied for: its seats are all free and the rank is 1.
    major = min(majors.order_by("code"), key=lambda m: applicants(m).count())

    def username(**scope):
        return User.objects.filter(**scope).values_list("username", flat=True).get()

    return SimpleNamespace(
        student=student,
        policy=policy,
        major=major,
        from_school=status.school,
        to_school=to_school,
        components=list(policy.components.filter(direction=direction).order_by("pk")),
        student_user=student.user.username,
        registrar_from=username(role=User.Role.REGISTRAR, school=status.school),
        registrar_to=username(role=User.Role.REGISTRAR, school=to_school),
        district=username(role=User.Role.DISTRICT, pilot_area=policy.pilot_area),
        bureau=username(role=User.Role.BUREAU, municipality=policy.pilot_area.municipality),
    )
