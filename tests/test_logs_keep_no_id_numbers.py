"""No ID-card or student number reaches a log line, whatever brings it there: a row of an
uploaded file quoted by an import that fails, a username tried at the sign-in page, a
server error whose exception (and URL) holds one. Every record is captured as the
configured console handler writes it (its formatter and its filters), at every level, and
the e-mail of the error to ADMINS is checked the same way."""

import csv
import io
import logging

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path, reverse
from factories import IntegrationClassFactory

from config import celery_app
from imports.columns import COLUMNS
from imports.models import ImportJob
from imports.student_rows import StudentImport

ID = "11010519491231002X"
STUDENT_NUMBER = f"G{ID}"
MASKED = "110105********002X"
#: What must not be in any line: the number, and the number without its check character.
WHOLE = (ID, ID[:-1], ID.lower())


def boom(request, number):
    raise ValueError(f"no registration for student {number} (ID {number[1:]})")


urlpatterns = [
    path("boom/<str:number>/", boom),
    path("", include("config.urls")),
]


@pytest.fixture
def log_lines():
    """Every record, as the configured console handler formats and filters it; a function
    returning the text written so far."""
    root = logging.getLogger()
    console = next(handler for handler in root.handlers if handler.get_name() == "console")
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(console.formatter)
    for each in console.filters:
        capture.addFilter(each)
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    yield stream.getvalue
    root.removeHandler(capture)
    root.setLevel(level)


def _assert_no_number(text: str) -> None:
    for number in WHOLE:
        assert number not in text


def _student_file(world, **overrides) -> bytes:
    """A students file of one row with the number; its headers as the template's."""
    row = {
        "student_number": STUDENT_NUMBER,
        "name": "学生1",
        "id_card_number": ID,
        "gender": "女",
        "birth_date": "1949-12-31",
        "guardian_name": "家长1",
        "guardian_phone": "13800000001",
        "school_code": world.school.code,
        "class_name": world.klass.name,
        "cohort_year": str(world.klass.cohort_year),
        "start_date": "2026-09-01",
        **overrides,
    }
    columns = [column for column in COLUMNS[ImportJob.Kind.STUDENTS] if column.name in row]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.header for column in columns])
    writer.writerow([row[column.name] for column in columns])
    return out.getvalue().encode("utf-8-sig")


@pytest.fixture
def world(school_a, pairing_a, registrar_a):
    klass = IntegrationClassFactory(
        pairing=pairing_a, host_school=school_a, name="融通1班", cohort_year=2026
    )
    return type("World", (), {"school": school_a, "klass": klass, "registrar": registrar_a})


@pytest.mark.django_db
def test_an_import_that_fails_on_a_row_logs_it_masked(
    world, client, log_lines, monkeypatch, django_capture_on_commit_callbacks
):
    def fail(self, rows, *, lock):
        raise ValueError(f"cannot plan {rows[0]!r}")  # a bug's message, quoting the row

    monkeypatch.setattr(StudentImport, "plan", fail)
    # As a worker runs it: the task's error logged, not raised into the caller.
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)
    client.force_login(world.registrar)
    upload = SimpleUploadedFile("students.csv", _student_file(world))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:index"), {"kind": "students", "file": upload})

    assert ImportJob.objects.get().state == ImportJob.State.FAILED
    text = log_lines()
    assert "raised unexpected: ValueError" in text and MASKED in text  # the worker's line
    _assert_no_number(text)


@pytest.mark.django_db
def test_an_import_with_a_bad_row_logs_no_number(
    world, client, log_lines, django_capture_on_commit_callbacks
):
    client.force_login(world.registrar)
    # The number is a woman's born in 1949; the row says a man born in 2010.
    upload = SimpleUploadedFile(
        "students.csv", _student_file(world, gender="男", birth_date="2010-03-01")
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:index"), {"kind": "students", "file": upload})

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert [result["action"] for result in job.results] == ["error"]
    _assert_no_number(log_lines())


@pytest.mark.django_db
@pytest.mark.parametrize("username", [ID, STUDENT_NUMBER])
def test_a_failed_login_with_a_number_as_username_logs_it_masked(client, log_lines, username):
    for _ in range(2):
        response = client.post("/accounts/login/", {"username": username, "password": "wrong"})
        assert response.status_code == 200

    text = log_lines()
    assert "login failed" in text.lower()
    _assert_no_number(text)


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_server_error_quoting_a_number_is_logged_and_mailed_masked(client, log_lines, settings):
    settings.ADMINS = [("Operator", "ops@example.org")]
    client.raise_request_exception = False

    response = client.post(
        f"/boom/{STUDENT_NUMBER}/?q={ID}",
        {"id_number": ID, "note": f"see {STUDENT_NUMBER}", "password": "Secret-42"},
        HTTP_REFERER=f"http://testserver/students/?q={ID}",
    )

    assert response.status_code == 500
    text = log_lines()
    assert "Internal Server Error: /boom/G110105********002X/" in text
    assert "ValueError: no registration for student G110105********002X" in text
    _assert_no_number(text)
    [report] = mail.outbox
    _assert_no_number(report.subject)
    _assert_no_number(report.body)
    assert "Secret-42" not in report.body
    assert "see G110105********002X" in report.body  # the form's other fields, masked
