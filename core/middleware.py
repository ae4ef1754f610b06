import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import DatabaseError, OperationalError, connection
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import ngettext

from .exceptions import NotFound

logger = logging.getLogger(__name__)

#: The session key holding the time (seconds since the epoch) of the last request seen.
LAST_ACTIVITY_KEY = "_last_activity"
#: The last request's time is written at most this often (seconds), not on every request.
LAST_ACTIVITY_RESOLUTION = 60
#: PostgreSQL's SQLSTATE for a statement cancelled (by statement_timeout or a cancel request).
QUERY_CANCELED = "57014"


class NotFoundMiddleware:
    """A service's or selector's ``NotFound`` is the 404 page, like a missing URL."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotFound):
            raise Http404 from exception
        return None


class PrivatePagesMiddleware:
    """Pages seen signed in hold personal data (minors' names, scores, guardians' phones): no
    browser or shared cache keeps a copy, so the next person at a school computer cannot page
    back to them after signing out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True, max_age=0)
        return response


class IdleSessionMiddleware:
    """A signed-in session ends after ``SESSION_IDLE_MINUTES`` without a request: a school
    computer left signed in does not stay open to the next person for the rest of the
    working day. The person is signed out and sent to the login page with a message saying
    why, and back to the page they asked for once signed in again.

    The last request's time lives in the session. It is written at most once a minute, so
    that not every request rewrites the session row; a session may so end up to a minute
    early, never late."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        minutes = settings.SESSION_IDLE_MINUTES
        user = getattr(request, "user", None)
        if minutes > 0 and user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            if isinstance(last, int) and now - last >= minutes * 60:
                return self._sign_out(request, minutes)
            if not isinstance(last, int) or now - last >= LAST_ACTIVITY_RESOLUTION:
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _sign_out(request, minutes):
        logout(request)  # flushes the session, the last-activity time with it
        messages.info(
            request,
            ngettext(
                "You were signed out after %(minutes)d minute without activity. Sign in "
                "again to go on.",
                "You were signed out after %(minutes)d minutes without activity. Sign in "
                "again to go on.",
                minutes,
            )
            % {"minutes": minutes},
        )
        if request.method in ("GET", "HEAD"):
            return redirect_to_login(request.get_full_path())
        # A form sent to an expired session is not sent again after login: back to its start.
        return redirect(settings.LOGIN_URL)


def session_activity_start(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: the idle time of a new session counts from its login, written with
    the login's own save of the session rather than by the first request after it."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_ACTIVITY_KEY] = int(time.time())


class StatementTimeoutMiddleware:
    """On PostgreSQL no statement of a web request runs longer than
    ``DB_STATEMENT_TIMEOUT_MS`` (0: no limit). A list on stale statistics that would run for
    minutes is cancelled by the server, and the person gets a page asking them to try again
    (503) instead of a request that hangs, holding a web worker and a connection.

    Set for each request rather than in the connection's options, because the settings and
    the connection options are shared with Celery workers, migrations and management
    commands, which must not be limited (an import or a migration may rightly run one long
    statement); only requests pass through middleware. The limit is set just before the
    request's first statement (a request that queries nothing opens no connection for it)
    and reset at its end, on the raw connection as Django sets a connection's time zone, so
    it is not one of the page's queries. A streaming response's queries, run after the
    middleware has returned, are not limited: no download of the app queries as it streams."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DB_STATEMENT_TIMEOUT_MS
        if limit <= 0 or connection.vendor != "postgresql":
            return self.get_response(request)
        limiter = _StatementTimeout(limit)
        try:
            with connection.execute_wrapper(limiter):
                return self.get_response(request)
        finally:
            limiter.lift()

    def process_exception(self, request, exception):
        if not _is_statement_cancelled(exception):
            return None
        logger.warning(
            "A statement of %s %s ran past %s ms and was cancelled",
            request.method,
            request.path,
            settings.DB_STATEMENT_TIMEOUT_MS,
        )
        return render(request, "core/statement_timeout.html", status=503)


class _StatementTimeout:
    """An execute wrapper that sets ``statement_timeout`` on the connection before the first
    statement run on it during the request (again if the connection was replaced)."""

    def __init__(self, limit_ms: int):
        self.limit = str(limit_ms)
        self.limited = None  # the DB-API connection the limit was set on

    def __call__(self, execute, sql, params, many, context):
        db = context["connection"]
        if db.connection is not self.limited:
            # A cursor of its own: the statement's may be a named (server-side) one.
            with db.wrap_database_errors, db.connection.cursor() as cursor:
                cursor.execute("SELECT set_config('statement_timeout', %s, false)", [self.limit])
            self.limited = db.connection
        return execute(sql, params, many, context)

    def lift(self) -> None:
        if self.limited is None or connection.connection is not self.limited:
            return  # never set, or on a connection since closed: the next one starts unlimited
        try:
            with connection.wrap_database_errors, connection.connection.cursor() as cursor:
                cursor.execute("RESET statement_timeout")
        except DatabaseError:
            # The connection broke, or a transaction around the request (a test's) has failed.
            # A broken connection is closed, so that none still carrying the limit is reused;
            # the failed transaction's rollback undoes the setting made within it.
            if not connection.in_atomic_block:
                connection.close()


def _is_statement_cancelled(exception: BaseException) -> bool:
    if not isinstance(exception, OperationalError):
        return False
    cause = exception.__cause__
    # psycopg2 names the SQLSTATE pgcode, psycopg 3 sqlstate.
    code = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    return code == QUERY_CANCELED
