"""The load driver of the pages-under-load figure counts what the server answered: requests,
the p95, and every error by kind. Driven against a small WSGI server in this process, so it
needs no database."""

import shutil
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from bench import load


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        """Thousands of requests a second: the test's output stays readable."""


class _ThreadedServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def _app(environ, start_response):
    """200 to the right cookie, 403 to any other: the driver must tell them apart."""
    signed_in = environ.get("HTTP_COOKIE") == "sessionid=right"
    start_response("200 OK" if signed_in else "403 Forbidden", [("Content-Type", "text/plain")])
    return [b"ok" if signed_in else b"no"]


@pytest.fixture
def port():
    server = make_server("127.0.0.1", 0, _app, server_class=_ThreadedServer, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()


DRIVERS = [
    pytest.param(load._drive_threads, id="threads"),
    pytest.param(
        load._drive_wrk,
        id="wrk",
        marks=pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed"),
    ),
]


@pytest.mark.parametrize("drive", DRIVERS)
def test_driver_counts_answers_and_latency(drive, port):
    result = drive(port, "/", "sessionid=right", duration=1)

    assert result["ok"] > 0
    assert result["rps"] > 0
    assert 0 < result["p95"] < 30_000
    assert result["errors"] == {}


@pytest.mark.parametrize("drive", DRIVERS)
def test_driver_reports_refusals_as_errors(drive, port):
    result = drive(port, "/", "sessionid=wrong", duration=1)

    assert result["ok"] == 0
    assert sum(result["errors"].values()) > 0
