"""/readyz: whether this deployment may take traffic. Beside /healthz (is the process alive),
it also asks for a Celery worker, the collected static files and the PDF library, and says
503 with the one missing."""

import sys

import pytest
import redis
from django.core.management import call_command
from django.db import OperationalError
from native import needs_weasyprint

from config import celery_app
from core import health

MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
READY = {
    "status": "ready",
    "database": "ok",
    "broker": "ok",
    "worker": "ok",
    "static": "ok",
    "pdf": "ok",
}


class _UnreachableConnection:
    def cursor(self):
        raise OperationalError("could not connect to server: Connection refused")


@pytest.fixture
def pings(monkeypatch):
    """The workers' answers to ``control.ping`` (one by default); records each call's
    arguments."""
    answers = [{"celery@web1": {"ok": "pong"}}]
    calls = []

    def ping(**kwargs):
        calls.append(kwargs)
        return list(answers)

    monkeypatch.setattr(celery_app.control, "ping", ping)
    return answers, calls


@pytest.fixture
def deployed(settings, monkeypatch, pings):
    """Everything in place: a broker that answers (its own check is /healthz's), the static
    files found (DEBUG), the PDF library loaded."""
    settings.DEBUG = True
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    monkeypatch.setattr("redis.Redis.ping", lambda self: True)
    monkeypatch.setattr(health, "pdf_state", lambda: "ok")


@pytest.fixture
def fresh_pdf_probe():
    health.pdf_state.cache_clear()
    yield
    health.pdf_state.cache_clear()


@pytest.mark.usefixtures("deployed")
def test_it_is_ready_when_everything_answers(client, db, pings):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == READY
    assert pings[1] == [{"timeout": 1, "limit": 1}]  # a second at most, the first answer
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.usefixtures("deployed")
def test_no_worker_answering_is_not_ready(client, db, pings):
    pings[0].clear()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {**READY, "status": "not ready", "worker": "no worker"}


@pytest.mark.usefixtures("deployed")
def test_an_unreachable_broker_is_not_ready_and_no_worker_is_pinged(client, db, monkeypatch, pings):
    def refused(self):
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("redis.Redis.ping", refused)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert (body["broker"], body["worker"]) == ("unreachable", "unreachable")
    assert pings[1] == []


@pytest.mark.usefixtures("deployed")
def test_a_ping_the_broker_fails_is_an_unreachable_worker(client, db, monkeypatch):
    def ping(**kwargs):
        raise ConnectionResetError("broker went away")

    monkeypatch.setattr(celery_app.control, "ping", ping)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["worker"] == "unreachable"


@pytest.mark.usefixtures("deployed")
def test_without_redis_tasks_run_eagerly_and_that_is_ready(
    client, db, settings, monkeypatch, pings
):
    settings.REDIS_URL = ""

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {**READY, "broker": "eager", "worker": "eager"}
    assert pings[1] == []


@pytest.mark.usefixtures("deployed")
def test_an_unreachable_database_is_not_ready(client, monkeypatch):
    monkeypatch.setattr(health, "connection", _UnreachableConnection())

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


@pytest.mark.usefixtures("deployed")
def test_static_files_not_collected_are_not_ready(client, db, settings, tmp_path):
    settings.DEBUG = False
    settings.STORAGES = MANIFEST_STORAGES
    settings.STATIC_ROOT = tmp_path / "static"

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["static"] == "not collected"


@pytest.mark.usefixtures("deployed")
def test_collected_static_files_are_ready(client, db, settings, tmp_path):
    settings.DEBUG = False
    settings.STORAGES = MANIFEST_STORAGES
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", interactive=False, verbosity=0)

    response = client.get("/readyz")

    assert response.json()["static"] == "ok"
    assert response.status_code == 200


@pytest.mark.usefixtures("deployed")
def test_a_manifest_naming_a_file_that_is_gone_is_not_ready(client, db, settings, tmp_path):
    settings.DEBUG = False
    settings.STORAGES = MANIFEST_STORAGES
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", interactive=False, verbosity=0)
    for hashed in (tmp_path / "static" / "css").glob("app.*.css"):
        hashed.unlink()

    assert client.get("/readyz").json()["static"] == "not collected"


@pytest.mark.usefixtures("deployed")
def test_in_debug_the_finders_must_find_the_static_files(client, db, settings, tmp_path):
    settings.STATICFILES_DIRS = [tmp_path]  # not the project's static/

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["static"] == "missing"


@needs_weasyprint
@pytest.mark.usefixtures("fresh_pdf_probe")
def test_the_pdf_probe_writes_a_pdf_once_per_process(monkeypatch):
    assert health.pdf_state() == "ok"

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # gone now: the answer was kept
    assert health.pdf_state() == "ok"


@pytest.mark.usefixtures("fresh_pdf_probe")
def test_without_weasyprint_the_pdf_is_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint: ImportError

    assert health.pdf_state() == "unavailable"


@pytest.mark.usefixtures("deployed")
def test_a_pdf_library_that_does_not_load_is_not_ready(client, db, monkeypatch):
    monkeypatch.setattr(health, "pdf_state", lambda: "unavailable")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["pdf"] == "unavailable"


@pytest.mark.usefixtures("deployed")
def test_readyz_needs_no_login_and_only_answers_get(client, db):
    assert client.get("/readyz").status_code == 200
    assert client.post("/readyz").status_code == 405
    assert client.head("/readyz").status_code == 405
