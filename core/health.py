"""Liveness and readiness of what the app depends on.

``/healthz`` (liveness) asks the database and the Celery broker; ``/readyz`` (readiness: may
this process take traffic, is the whole deployment in place) asks also for a Celery worker,
the collected static files and WeasyPrint's native libraries. Each answers a short word that
an operator reads as it is: ``ok``, ``eager`` (no broker configured: tasks run in the web
process), or what is wrong.
"""

import contextlib
import functools
import logging

from celery import current_app
from django.conf import settings
from django.db import connection

#: A file every page links to: if it resolves, ``collectstatic`` ran (static/css/app.css).
STATIC_PROBE = "css/app.css"


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means unreachable
        return "unreachable"
    return "ok"


def broker_state() -> str:
    if not settings.REDIS_URL:
        return "eager"
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
    except redis.RedisError:
        return "unreachable"
    return "ok"


def worker_state(*, broker: str | None = None) -> str:
    """Whether at least one Celery worker answers a ping within a second. Without a broker
    there is nothing to ask (``broker`` passes on what ``broker_state`` already found)."""
    broker = broker or broker_state()
    if broker != "ok":
        return broker
    try:
        # The first answer is enough: without a limit the ping waits out its whole timeout.
        replies = current_app.control.ping(timeout=1, limit=1)
    except Exception:  # noqa: BLE001 - a broker that fails mid-ping answers nothing
        return "unreachable"
    return "ok" if replies else "no worker"


def static_state() -> str:
    """Whether the static files can be served: collected into STATIC_ROOT (and, with the
    manifest storage of production, named in its manifest), or found by the finders in
    DEBUG, where runserver serves them from the apps' folders."""
    if settings.DEBUG:
        from django.contrib.staticfiles import finders

        return "ok" if finders.find(STATIC_PROBE) else "missing"
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    stored = STATIC_PROBE
    if isinstance(staticfiles_storage, ManifestFilesMixin):  # production's: the hashed name
        try:
            stored = staticfiles_storage.stored_name(STATIC_PROBE)
        except ValueError:  # the manifest does not name it (or there is no manifest)
            return "not collected"
    return "ok" if staticfiles_storage.exists(stored) else "not collected"


@contextlib.contextmanager
def weasyprint_quiet():
    """WeasyPrint logs each step of each document at INFO (its own stylesheets at import);
    a probe's steps would only crowd the log."""
    progress = logging.getLogger("weasyprint.progress")
    level = progress.level
    progress.setLevel(logging.WARNING)
    try:
        yield
    finally:
        progress.setLevel(level)


@functools.cache
def pdf_state() -> str:
    """Whether WeasyPrint loads its native libraries (Pango) and writes a PDF: a tiny one,
    once per process (the libraries do not come and go while it runs)."""
    try:
        with weasyprint_quiet():
            from weasyprint import HTML

            pdf = HTML(string="<p>学籍</p>").write_pdf()
    except Exception:  # noqa: BLE001 - OSError without Pango; anything else is as bad
        return "unavailable"
    return "ok" if pdf and pdf.startswith(b"%PDF") else "unavailable"


def readiness() -> dict[str, str]:
    """Every dependency's state; the deployment is ready when none says what is wrong."""
    broker = broker_state()
    return {
        "database": database_state(),
        "broker": broker,
        "worker": worker_state(broker=broker),
        "static": static_state(),
        "pdf": pdf_state(),
    }


def is_ready(states: dict[str, str]) -> bool:
    return all(state in ("ok", "eager") for state in states.values())
