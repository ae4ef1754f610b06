"""Figures measured over HTTP against a live gunicorn: pages under load, the window-close rush.

gunicorn (2 sync workers, 127.0.0.1 on a free port, DEBUG off) serves the bench database in a
subprocess; the clients are threads with ``http.client`` in this process, one connection per
request (sync workers close each connection). Everything is bounded: fixed durations, a
socket timeout on every request, a join timeout on every thread, and the server is stopped
whatever happens.

Sessions are written straight into the database with Django's ``SessionStore`` (the login
form would cost a password hash per student) and passed as the session cookie; gunicorn gets
this process's ``SECRET_KEY``, so the session's auth hash checks out.

The server reads committed rows only, so these figures need a real database (``bench.run``),
not the smoke test's transaction.
"""

import datetime
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
CLIENTS = 20
#: Seconds each page is driven for, per scale.
DURATION = {"tiny": 5, "small": 10, "city": 30, "province": 30}
#: Students who submit in the window-close rush, per scale.
RUSH = {"tiny": 20, "small": 200, "city": 2000, "province": 2000}
#: Every student whose number is a multiple of this submits twice at once (a double click).
DOUBLE_EVERY = 10
RUSH_BUDGET = 60.0
CLIENT_KINDS = {"wrk": "wrk", "threads": "Python threads"}
TIMEOUT = 30.0
P95_TARGET_MS = 150
RATIO_TARGET = 0.5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


class Server:
    """gunicorn in a subprocess, as production would start it, on the bench database."""

    def __init__(self, app: str):
        from django.conf import settings

        self.port = _free_port()
        db = settings.DATABASES["default"]
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        if db.get("PASSWORD"):
            url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": url,
            "DEBUG": "off",
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "off",  # plain HTTP on 127.0.0.1, no proxy in front
            "EMAIL_URL": "dummymail://",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("REDIS_URL", None)
        # The server's log goes to a file, never a pipe: a full pipe would block the workers.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
            [
                sys.executable,
                "-m",
                "gunicorn",
                app,
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "--chdir",
                str(BASE_DIR),
            ],
            env=env,
            cwd=BASE_DIR,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.tail()}")
            try:
                status, _headers, _body = request(self.port, "GET", "/healthz", timeout=2)
            except OSError:
                status = None  # not listening yet: ask again until the deadline
            if status == 200:
                break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("gunicorn did not answer /healthz within 30 s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()

    def tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-2000:]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def collect_static() -> None:
    """DEBUG off serves static files through the manifest storage, which needs the manifest
    (``collectstatic``, as a deployment runs it; ``staticfiles/`` is ignored by git)."""
    from django.conf import settings

    if (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        return
    env = {**os.environ, "DEBUG": "off", "SECRET_KEY": "collectstatic", "ALLOWED_HOSTS": "x"}
    subprocess.run(  # noqa: S603
        [sys.executable, str(BASE_DIR / "manage.py"), "collectstatic", "--noinput", "-v", "0"],
        env=env,
        cwd=BASE_DIR,
        check=True,
        timeout=300,
    )


def request(port, method, path, *, cookie="", body=None, timeout=TIMEOUT):
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def session_cookie(user) -> str:
    """A signed-in session for ``user``, written to the database as the login view would."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


#: wrk prints this line at the end of a run: requests, microseconds, the error counts
#: (connect, read, write, HTTP status >= 400, timeout) and the p95 latency in microseconds.
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("bench %d %d %d %d %d %d %d %d\\n", summary.requests,
    summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(95)))
end
"""


def drive(port: int, path: str, cookie: str, *, duration: float) -> dict:
    """CLIENTS connections GET ``path`` back to back for ``duration`` seconds: with wrk (two
    threads, one per core), whose clients cost the shared cores little; without it, with
    threads of this process."""
    if shutil.which("wrk"):
        return _drive_wrk(port, path, cookie, duration=duration)
    return _drive_threads(port, path, cookie, duration=duration)


def _drive_wrk(port: int, path: str, cookie: str, *, duration: float) -> dict:
    executable = shutil.which("wrk")
    if executable is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_REPORT)
        script.flush()
        finished = subprocess.run(  # noqa: S603  (wrk, with our own arguments)
            [
                executable,
                "--threads",
                "2",
                "--connections",
                str(CLIENTS),
                "--duration",
                f"{duration:.0f}s",
                "--timeout",
                f"{TIMEOUT:.0f}s",
                "--header",
                f"Cookie: {cookie}",
                "--script",
                script.name,
                f"http://127.0.0.1:{port}{path}",
            ],
            capture_output=True,
            text=True,
            timeout=duration + TIMEOUT + 30,
            check=True,
        )
    line = next(x for x in finished.stdout.splitlines() if x.startswith("bench "))
    requests, micros, connect, read, write, status, timeout, p95 = map(int, line.split()[1:])
    errors = {
        name: count
        for name, count in (
            ("connect", connect),
            ("read", read),
            ("write", write),
            ("HTTP >= 400", status),
            ("timeout", timeout),
        )
        if count
    }
    ok = requests - status
    return {
        "ok": ok,
        "rps": ok / (micros / 1e6),
        "p95": p95 / 1000,
        "errors": errors,
        "clients": "wrk",
    }


def _drive_threads(port: int, path: str, cookie: str, *, duration: float) -> dict:
    deadline = time.monotonic() + duration
    latencies: list[float] = []
    statuses: Counter[int | str] = Counter()
    lock = threading.Lock()

    def client():
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                status, _response, _body = request(port, "GET", path, cookie=cookie)
            except OSError as exc:
                status = type(exc).__name__
            elapsed = time.perf_counter() - start
            with lock:
                statuses[status] += 1
                if status == 200:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + TIMEOUT + 5)
    wall = time.perf_counter() - start
    return {
        "ok": len(latencies),
        "rps": len(latencies) / wall,
        "p95": _p95(latencies) * 1000,
        "errors": {k: v for k, v in statuses.items() if k != 200},
        "clients": "threads",
    }


def _check_page(server, path, cookie) -> None:
    """The page answers 200 to this session (a lost session would be a 302 to the login)."""
    for _ in range(4):  # and warm both workers
        status, _response, _body = request(server.port, "GET", path, cookie=cookie)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status}; server log: {server.tail()}")


# --- pages under load -----------------------------------------------------------------------


def measure_pages(world) -> list[dict]:
    from transfers.models import Application

    duration = DURATION[world.scale.name]
    pending = Application.objects.filter(
        policy__in=world.policies.values(), state=Application.State.RECOMMENDED
    ).count()
    # The last pairing's general school: the import writes into the first one.
    school = world.pairings[-1].general_school
    registrar = world.registrars[school.pk]
    listed = school.status_records.filter(state="active").count()
    bureau_cookie, registrar_cookie = session_cookie(world.bureau), session_cookie(registrar)
    collect_static()
    results = {}
    with Server("config.wsgi:application") as server:
        for name, path, cookie in (
            ("queue", "/transfers/approvals/", bureau_cookie),
            ("students", "/students/", registrar_cookie),
        ):
            _check_page(server, path, cookie)
            results[name] = drive(server.port, path, cookie, duration=duration)
    with Server("bench.reference_wsgi:application") as server:
        _check_page(server, "/bench/reference/", bureau_cookie)
        results["reference"] = drive(
            server.port, "/bench/reference/", bureau_cookie, duration=duration
        )
    reference = results["reference"]
    rows = []
    for name, figure in (
        ("queue", f"Pages under load: bureau's approval queue, {pending:,} pending applications"),
        ("students", f"Pages under load: a registrar's student list ({listed:,} students)"),
    ):
        result = results[name]
        ratio = result["rps"] / reference["rps"]
        errors = result["errors"] or reference["errors"]
        rows.append(
            {
                "figure": figure + f", {CLIENTS} clients ({CLIENT_KINDS[result['clients']]}), "
                f"{duration} s",
                "measured": f"{result['rps']:,.1f} req/s, p95 {result['p95']:,.0f} ms "
                f"({result['ok']:,} requests"
                + (f"; errors {result['errors']}" if result["errors"] else ", no errors")
                + ")",
                "reference": f"minimal signed-in view, one query: {reference['rps']:,.1f} req/s, "
                f"p95 {reference['p95']:,.0f} ms"
                + (f"; errors {reference['errors']}" if reference["errors"] else ""),
                "ratio": ratio,
                "target": f"≥ {RATIO_TARGET}× reference req/s, p95 < {P95_TARGET_MS} ms",
                "met": not errors and ratio >= RATIO_TARGET and result["p95"] < P95_TARGET_MS,
            }
        )
    return rows


# --- the window-close rush ------------------------------------------------------------------


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
MAJOR_SELECT = re.compile(r'<select name="to_major".*?<option value="(\d+)"', re.S)
APPLICATION_URL = re.compile(r"/transfers/applications/(\d+)/$")


def _submit(port, cookie, csrf_cookie, fields) -> tuple[str, int | None, float]:
    """One POST of the form: ("submitted", pk), ("refused", pk or None) or ("error: …", None)."""
    start = time.perf_counter()
    try:
        status, response, _body = request(
            port,
            "POST",
            "/transfers/apply/",
            cookie=f"{cookie}; {csrf_cookie}",
            body=urlencode(fields),
        )
    except OSError as exc:
        return f"error: {type(exc).__name__}", None, time.perf_counter() - start
    elapsed = time.perf_counter() - start
    if status == 302:
        match = APPLICATION_URL.search(response.getheader("Location", ""))
        if match:
            return "redirected", int(match.group(1)), elapsed
    if status == 200:
        return "refused", None, elapsed  # the form again, with the service's message
    return f"error: HTTP {status}", None, elapsed


def _rush_one(port, cookie, *, double: bool) -> dict:
    start = time.perf_counter()
    try:
        status, response, body = request(port, "GET", "/transfers/apply/", cookie=cookie)
    except OSError as exc:
        return {"outcomes": [(f"error: GET {type(exc).__name__}", None)], "posts": []}
    get_time = time.perf_counter() - start
    csrf = CSRF_INPUT.search(body)
    major = MAJOR_SELECT.search(body)
    cookies = [c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or []]
    csrf_cookie = next((c for c in cookies if c.startswith("csrftoken=")), "")
    if status != 200 or not csrf or not major or not csrf_cookie:
        return {"outcomes": [(f"error: GET {status}, no form", None)], "posts": [], "get": get_time}
    fields = {
        "csrfmiddlewaretoken": csrf.group(1),
        "to_major": major.group(1),
        "reason": "希望根据自己的兴趣选择更适合的发展方向。",
        "guardian_name": "王芳",
        "guardian_relation": "母亲",
        "guardian_phone": "13800001111",
        "guardian_consent_date": datetime.date.today().isoformat(),
        "guardian_consents": "on",
        "understands_once_only": "on",
    }
    results = []
    if double:
        second = threading.Thread(
            target=lambda: results.append(_submit(port, cookie, csrf_cookie, fields)), daemon=True
        )
        second.start()
        results.append(_submit(port, cookie, csrf_cookie, fields))
        second.join(timeout=TIMEOUT + 5)
    else:
        results.append(_submit(port, cookie, csrf_cookie, fields))
    return {
        "outcomes": [(kind, pk) for kind, pk, _ in results],
        "posts": [elapsed for _, _, elapsed in results],
        "get": get_time,
    }


def measure_rush(world) -> list[dict]:
    from django.db import transaction

    from bench.generate import rush_cohort
    from transfers.models import Application

    with transaction.atomic():
        students = rush_cohort(world, RUSH[world.scale.name])
    cookies = {s.pk: session_cookie(s.user) for s in students}
    collect_static()
    deadline = time.monotonic() + RUSH_BUDGET
    outcomes = {}

    def one(student):
        if time.monotonic() > deadline:
            return student.pk, None  # not started within the minute
        return student.pk, _rush_one(
            server.port, cookies[student.pk], double=student.pk % DOUBLE_EVERY == 0
        )

    with Server("config.wsgi:application") as server:
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            for pk, result in pool.map(one, students, timeout=RUSH_BUDGET + 2 * TIMEOUT + 10):
                outcomes[pk] = result
        wall = time.perf_counter() - start

    not_started = [pk for pk, r in outcomes.items() if r is None]
    kinds = Counter(kind for r in outcomes.values() if r for kind, _ in r["outcomes"])
    errors = {k: v for k, v in kinds.items() if k.startswith("error")}
    posts = [t for r in outcomes.values() if r for t in r["posts"]]
    doubles = sum(1 for s in students if s.pk % DOUBLE_EVERY == 0)
    # What the server said it saved, against what is in the table afterwards.
    confirmed = {
        pk: {p for kind, p in r["outcomes"] if kind == "redirected"}
        for pk, r in outcomes.items()
        if r
    }
    rows = Counter(
        Application.objects.filter(student_id__in=[s.pk for s in students]).values_list(
            "student_id", flat=True
        )
    )
    row_pks = dict(
        Application.objects.filter(student_id__in=[s.pk for s in students]).values_list(
            "student_id", "pk"
        )
    )
    duplicates = sum(1 for n in rows.values() if n > 1)
    lost = sum(1 for pk, pks in confirmed.items() if pks and row_pks.get(pk) not in pks)
    split = sum(1 for pks in confirmed.values() if len(pks) > 1)
    succeeded = sum(1 for pks in confirmed.values() if pks)
    unconfirmed = sum(1 for pk in rows if not confirmed.get(pk))
    p95 = _p95(posts) * 1000
    ok = (
        not errors
        and not not_started
        and not duplicates
        and not lost
        and not split
        and not unconfirmed
        and succeeded == len(students)
        and wall <= RUSH_BUDGET
    )
    return [
        {
            "figure": f"Window-close rush: {len(students):,} students submit through POST "
            f"/transfers/apply/ ({doubles} of them twice at once), {CLIENTS} clients",
            "measured": f"{succeeded:,} applications in {wall:.1f} s, "
            f"{len(students) / wall:,.1f} students/s; POST p95 {p95:,.0f} ms; "
            f"{sum(rows.values()):,} rows for {succeeded:,} confirmed, {duplicates} duplicate, "
            f"{lost} lost, {unconfirmed} unconfirmed; refusals {kinds.get('refused', 0)}, "
            f"second clicks sent to the saved application "
            f"{kinds.get('redirected', 0) - succeeded}; "
            + (f"errors {errors}" if errors else "no errors")
            + (f"; {len(not_started)} not started within the minute" if not_started else ""),
            "reference": f"the {RUSH_BUDGET:.0f} s of the rush",
            "ratio": wall / RUSH_BUDGET,
            "target": "all within 60 s; no error but refusals, no duplicate, none lost "
            "(p95 reported)",
            "met": ok,
        }
    ]
