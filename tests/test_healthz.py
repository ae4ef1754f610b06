"""/healthz: what a load balancer and an operator read."""

import pytest
from django.db import OperationalError

from core import health


class _UnreachableConnection:
    def cursor(self):
        raise OperationalError("could not connect to server: Connection refused")


@pytest.fixture
def no_redis(settings):
    settings.REDIS_URL = ""


@pytest.mark.usefixtures("no_redis")
def test_healthz_reports_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "eager"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.usefixtures("no_redis")
def test_healthz_is_503_when_the_database_is_unreachable(client, monkeypatch):
    monkeypatch.setattr(health, "connection", _UnreachableConnection())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "down", "database": "unreachable", "broker": "eager"}


@pytest.mark.usefixtures("no_redis")
def test_healthz_is_503_when_the_view_is_told_the_database_is_down(client, monkeypatch):
    monkeypatch.setattr("core.views.database_state", lambda: "unreachable")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_an_unreachable_broker_degrades_but_does_not_fail_the_check(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "unreachable"}


def test_the_broker_is_eager_without_redis(no_redis):
    assert health.broker_state() == "eager"


def test_healthz_needs_no_login_and_only_answers_get(client, db, no_redis):
    assert client.get("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
