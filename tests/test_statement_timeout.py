"""On PostgreSQL a web request's statement runs at most DB_STATEMENT_TIMEOUT_MS: past it the
server cancels it and the person gets the "took too long" page (503) at once, not a hung
request. Connections outside requests (Celery workers, management commands, migrations)
are not limited, nor is the request's own connection once the request is over."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

from schools.models import User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

LIMIT_MS = 300
SLEEP_S = 3  # ten times the limit: a request that took it would not have been cancelled


def _slow_page(request):
    # In a transaction of its own, as the app's writing views are: here it is a savepoint in
    # the test's transaction, which the cancelled statement would otherwise leave failed.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [SLEEP_S])
    return HttpResponse("finished")


def _limit_page(request):
    return HttpResponse(_statement_timeout())


def _iterating_page(request):
    # .iterator() reads through a named (server-side) cursor, which runs one statement only.
    return HttpResponse(str(sum(1 for _ in User.objects.iterator(chunk_size=2))))


urlpatterns = [
    path("test/slow/", _slow_page),
    path("test/limit/", _limit_page),
    path("test/iterate/", _iterating_page),
    path("", include("config.urls")),  # the error page's navigation links to these
]


def _statement_timeout(using=connection) -> str:
    with using.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


@pytest.fixture
def limited(settings):
    settings.DB_STATEMENT_TIMEOUT_MS = LIMIT_MS


def test_the_default_limit_is_thirty_seconds():
    assert settings.DB_STATEMENT_TIMEOUT_MS == 30_000


@pytest.mark.urls(__name__)
def test_a_request_past_the_limit_is_cancelled_into_the_try_again_page(client, bureau, limited):
    client.force_login(bureau)
    started = time.monotonic()
    response = client.get("/test/slow/")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert 'data-testid="statement-timeout"' in response.content.decode()
    assert elapsed < SLEEP_S / 2, f"the request took {elapsed:.1f} s: not cancelled"


@pytest.mark.urls(__name__)
def test_a_request_runs_with_the_limit_and_leaves_its_connection_without_it(client, limited):
    assert client.get("/test/limit/").content.decode() == f"{LIMIT_MS}ms"
    # The same connection, used by the test's own code as a command or a task would use it.
    assert _statement_timeout() == "0"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [LIMIT_MS * 2 / 1000])


@pytest.mark.urls(__name__)
def test_a_worker_connection_is_not_limited_while_requests_run(client, limited):
    """A thread of its own, with its own connection, as a Celery worker or a command has."""
    seen = {}

    def worker():
        try:
            seen["limit"] = _statement_timeout(connections["default"])
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_sleep(%s)", [LIMIT_MS * 2 / 1000])
            seen["finished"] = True
        finally:
            connections.close_all()

    assert client.get("/test/limit/").content.decode() == f"{LIMIT_MS}ms"
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(timeout=30)
    assert seen == {"limit": "0", "finished": True}


@pytest.mark.urls(__name__)
def test_setting_the_limit_is_not_one_of_the_pages_queries(client, limited):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/test/limit/").content.decode() == f"{LIMIT_MS}ms"
    assert [query["sql"] for query in queries] == ["SHOW statement_timeout"]


@pytest.mark.urls(__name__)
def test_a_server_side_cursor_as_the_first_statement_still_works(client, limited, bureau):
    assert client.get("/test/iterate/").content.decode() == str(User.objects.count())


def test_the_limit_is_not_in_the_connection_options():
    """Set in the connection's options it would bind workers and migrations too."""
    options = repr(connection.settings_dict.get("OPTIONS", {}))
    assert "statement_timeout" not in options


@pytest.mark.urls(__name__)
def test_zero_switches_the_limit_off(client, settings):
    settings.DB_STATEMENT_TIMEOUT_MS = 0
    assert client.get("/test/limit/").content.decode() == "0"
