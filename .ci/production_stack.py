"""Run the production stack for real, and check what only the real stack shows.

Started by ``.ci/production-stack``, which makes the database and cleans up after; run from
the project folder with the project's Python. Only the shipped recipe is used: the commands
of ``deploy/Procfile`` as they are written (the virtualenv's bin first on PATH), so
``deploy/gunicorn.conf.py`` through the web line, and the settings of ``.env.example`` set as
a production sets them, DEBUG off. In order:

1. Prepare (README, Deploy, step 4): ``migrate`` as the owner's role (it grants the app's
   role), ``compiletranslations``, ``collectstatic`` into the run's STATIC_ROOT.
2. Start every process of the Procfile (web, worker, importer, beat), the app connecting as
   the app's role; wait for ``/readyz`` to be ready (database, broker, a worker's ping,
   static files, PDF library) and for a static file to be served.
3. Set up a pilot's data as an operator's script would (``production_stack_world.py``,
   through ``manage.py shell``).
4. A batch approval whose worker is killed. Applications are driven up to "recommended";
   over HTTP the bureau ticks them all on the approvals pages and approves. Mid-batch the
   pool process running it is killed with SIGKILL: with acks_late and reject_on_worker_lost
   the worker gives its message back and the broker delivers it again at once. Then the
   whole worker is killed: its message stays "taken" at the broker until the visibility
   timeout (25 minutes), the batch stays "running", and the worker is started again from
   the Procfile line. Only the sweep brings the batch back (``core/jobs.py``), once its
   heartbeat is JOB_HEARTBEAT_STALE_MINUTES old (1 here, 10 by default); beat sends the
   sweep every 5 minutes, so by default the run sends that same task itself once the
   heartbeat is stale (``celery call``), and ``--sweep beat`` waits for beat's own.
5. Meanwhile (the minute the heartbeat takes to go stale), the student's journey, over HTTP
   only, as a browser behind nginx: the registrar prints the student's activation slip (a
   PDF); the student activates the account with a code, verifies a mobile number with the
   code the app texts, gives an e-mail address and chooses both channels; the guardian
   activates their account with a code texted to their phone and chooses SMS; the student
   applies. The restarted worker must deliver the notification of the application: by
   e-mail to the student (a file in the run's e-mail folder) and by SMS to the student and
   the guardian (lines in the SMS file), each recorded as a sent delivery.
6. The batch must finish with each transfer approved and carried out exactly once: one
   active status for each student, at the receiving school, and one closed at the sending
   school; each credit recognised once; one history row each for "approved" and
   "completed"; two notifications to each student; the batch's own counters (its page's
   too) matching, with three deliveries of its task counted.

Any failure prints the tail of every process's log and exits 1.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime
import html
import http.cookiejar
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import psycopg2
import redis

ROOT = Path(__file__).resolve().parent.parent
MARKER = "STACK-RESULT"
STARTED = time.monotonic()
#: How often beat sends the sweep of stale batches (config/settings.py, not configurable).
BEAT_SWEEP_SECONDS = 300
#: JOB_HEARTBEAT_STALE_MINUTES of the run.
STALE_MINUTES = 1
STUDENT_MOBILE = "13700002222"
STUDENT_EMAIL = "lin.xiaoyu@example.org"
BATCH_TASK = "transfers.tasks.approval_batch_run"
SWEEP_TASK = "transfers.tasks.approval_batches_sweep"


class Failure(Exception):
    """A check failed: the message says which and what was seen."""


def say(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def wait_for(what: str, check: Callable[[], Any], *, timeout: float, every: float = 0.5) -> Any:
    """Call ``check`` until it answers something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


# --- the processes ------------------------------------------------------------------------


def procfile() -> dict[str, str]:
    """The Procfile's processes, name -> command line, exactly as written."""
    commands = {}
    for line in (ROOT / "deploy" / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            commands[name.strip()] = command.strip()
    return commands


@dataclass
class Service:
    name: str
    command: str
    log: Path
    process: subprocess.Popen
    started: float = field(default_factory=time.monotonic)

    def alive(self) -> bool:
        return self.process.poll() is None


class Stack:
    """The run's settings, processes and files."""

    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.tmp = Path(options.tmp)
        self.logs = self.tmp / "logs"
        self.mail = self.tmp / "mail"
        self.sms = self.tmp / "sms.log"
        for folder in (self.logs, self.mail):
            folder.mkdir(parents=True, exist_ok=True)
        self.python = str(Path(options.venv) / "bin" / "python")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        #: The staff's password (one for all, new each run).
        self.password = secrets.token_urlsafe(12)
        self.redis_url = f"redis://127.0.0.1:6379/{options.redis_db}"
        database = f"127.0.0.1:5432/{options.database}"
        self.owner_dsn = f"postgres://{options.owner_role}@{database}"
        # A clean environment, so that nothing of the caller's shell (DEBUG=on, another
        # DATABASE_URL) leaks in: the settings of .env.example, set as a production sets them.
        # (A .env in the project folder is still read by the settings, as in production.)
        self.env = {
            "PATH": f"{Path(options.venv) / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            # Every process of the run carries it: the shell script's cleanup finds them all.
            "PRODUCTION_STACK_RUN": options.run_id,
            "DEBUG": "off",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": self.base,
            "DATABASE_URL": f"postgres://{options.app_role}@{database}",
            "DATABASE_APP_ROLE": options.app_role,
            "REDIS_URL": self.redis_url,
            # django-environ drops the first "/" of the path (filemail:///tmp/x is tmp/x,
            # relative to the project folder): an absolute folder takes four slashes.
            "EMAIL_URL": f"filemail:///{self.mail}",
            "DEFAULT_FROM_EMAIL": "noreply@transfers.example.org",
            "SMS_BACKEND": "file",
            "SMS_FILE_PATH": str(self.sms),
            "STATIC_ROOT": str(self.tmp / "static"),
            # gunicorn's bind (deploy/gunicorn.conf.py reads it): a free port of this run.
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            # The client below stands in for nginx (deploy/nginx/transfers.conf), which sets
            # X-Forwarded-For and X-Forwarded-Proto: https; SECURE_SSL_REDIRECT and the secure
            # cookies stay on, as production has them.
            "TRUSTED_PROXIES": "1",
            # A batch whose worker died is queued again after a minute without progress
            # instead of ten, so that the run waits a minute.
            "JOB_HEARTBEAT_STALE_MINUTES": str(STALE_MINUTES),
        }
        self.services: dict[str, Service] = {}
        self.stopped: list[Service] = []
        self.commands = procfile()

    # The processes of the Procfile.

    def start(self, name: str, *, log_name: str | None = None) -> Service:
        command = self.commands[name]
        log = self.logs / f"{log_name or name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(  # noqa: S603 - the Procfile's own command line
                shlex.split(command),
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                # Its own process group: killing the group kills what it forked too.
                start_new_session=True,
            )
        service = Service(name=name, command=command, log=log, process=process)
        self.services[name] = service
        return service

    def kill(self, name: str) -> Service:
        """SIGKILL a process and every process it forked (its group), as a crash does."""
        service = self.services.pop(name)
        os.killpg(service.process.pid, signal.SIGKILL)
        service.process.wait(timeout=10)
        self.stopped.append(service)
        return service

    def stop_all(self) -> None:
        """TERM each main process only, as systemd's KillMode=mixed does (gunicorn's graceful
        stop, Celery's warm shutdown: a TERM to the pool's processes would kill their tasks),
        then KILL what is left of each group: forked children may outlive their parent."""
        for service in self.services.values():
            with contextlib.suppress(ProcessLookupError):
                service.process.terminate()
        deadline = time.monotonic() + 20
        for service in self.services.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.process.pid, signal.SIGKILL)
            service.process.wait()
        self.stopped += self.services.values()
        self.services = {}

    def check_alive(self) -> None:
        for service in self.services.values():
            if not service.alive():
                raise Failure(f"{service.name} exited with {service.process.returncode}")

    def log_tails(self, lines: int = 40) -> str:
        parts = []
        for log in sorted(self.logs.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"----- {log.name} (last {len(tail)} lines) -----\n" + "\n".join(tail))
        return "\n".join(parts)

    # One-off commands, as an operator runs them.

    def manage(self, *arguments: str, owner: bool = False) -> subprocess.Popen:
        """Start ``manage.py``; ``done`` waits for it. The owner's role migrates."""
        env = dict(self.env, DATABASE_URL=self.owner_dsn) if owner else self.env
        return self.spawn([self.python, "manage.py", *arguments], env=env)

    def celery(self, *arguments: str) -> str:
        return self.done(self.spawn(["celery", "-A", "config", *arguments]))

    def spawn(self, command: list[str], *, env: dict | None = None) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 - our own arguments, no shell
            command,
            cwd=ROOT,
            env=env or self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def done(self, process: subprocess.Popen, *, timeout: float = 300) -> str:
        """Wait for a command; its output goes to commands.log, a failure raises."""
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        command = shlex.join(str(arg) for arg in list(process.args)[:4]) + " ..."  # type: ignore[arg-type]
        with (self.logs / "commands.log").open("a") as log:
            log.write(f"$ {command}\n{err}{out[-4000:]}\n")
        if process.returncode != 0:
            raise Failure(
                f"{command} exited with {process.returncode}:\n"
                + "\n".join((err + out).splitlines()[-25:])
            )
        return out

    def world(self, command: str, **arguments: Any) -> Any:
        """A function of production_stack_world.py, inside ``manage.py shell`` with the
        production settings, as an operator's setup script is run."""
        request = json.dumps({"command": command, **arguments})
        code = (
            "import sys; sys.path.insert(0, '.ci'); import production_stack_world as world; "
            f"world.cli({request!r})"
        )
        out = self.done(self.manage("shell", "--no-imports", "-c", code))
        answers = [line for line in out.splitlines() if line.startswith(MARKER + " ")]
        if not answers:
            raise Failure(f"{command}: no answer from the setup script:\n{out[-2000:]}")
        return json.loads(answers[-1][len(MARKER) + 1 :])

    def sql(self, query: str, *parameters: Any) -> list[tuple]:
        """Read the database directly, as psql would (the owner's role)."""
        connection = psycopg2.connect(self.owner_dsn)
        try:
            with connection.cursor() as cursor:
                cursor.execute(query, parameters)
                return cursor.fetchall()
        finally:
            connection.close()

    def browser(self, who: str) -> Browser:
        return Browser(self.base, who)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- a browser behind nginx ---------------------------------------------------------------


class BehindTls(http.cookiejar.DefaultCookiePolicy):
    """The browser speaks TLS to nginx, so it sends the cookies marked Secure; this client
    stands in for both and talks plain HTTP on the loopback hop nginx uses."""

    def return_ok_secure(self, cookie, request) -> bool:
        return True


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@dataclass
class Page:
    url: str
    status: int
    headers: Any
    body: bytes

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.url).path

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def forms(self) -> list[Form]:
        parser = FormParser()
        parser.feed(self.text)
        return parser.forms

    def form(self, *, has: str | None = None, action: str | None = None) -> Form:
        """The page's form that has the field ``has`` (or the hidden ``action`` value
        ``action``, or any form)."""
        for form in self.forms():
            if has is not None and has not in form.fields and has not in form.choices:
                continue
            if action is not None and form.fields.get("action") != [action]:
                continue
            return form
        raise Failure(f"{self.path}: no form with {has or action!r}")

    def errors(self) -> str:
        """What the page says is wrong: the form's errors and the error messages."""
        found = re.findall(
            r'class="[^"]*(?:invalid-feedback|alert-danger|alert-error|errorlist)[^"]*"[^>]*>(.*?)</',
            self.text,
            re.S,
        )
        return "; ".join(html.unescape(re.sub(r"<[^>]+>", "", f)).strip() for f in found)


@dataclass
class Form:
    action: str
    method: str
    #: What the browser sends as the page has it: hidden fields, typed defaults, ticked boxes.
    fields: dict[str, list[str]] = field(default_factory=dict)
    #: The choices of each select, and the values of every check box.
    choices: dict[str, list[str]] = field(default_factory=dict)


class FormParser(HTMLParser):
    """The forms of a page, read the way a browser fills them in before anyone types."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(action=a.get("action", ""), method=a.get("method", "get")))
        if not self.forms:
            return
        form = self.forms[-1]
        if tag == "option" and self.select:
            # A select sends its selected option, else its first.
            form.choices[self.select].append(a.get("value", ""))
            if "selected" in a or self.select not in form.fields:
                form.fields[self.select] = [a.get("value", "")]
            return
        name = a.get("name")
        if not name:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                form.choices.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    form.fields.setdefault(name, []).append(a.get("value", "on"))
            elif kind not in ("submit", "button", "file"):
                form.fields[name] = [a.get("value", "")]
        elif tag == "select":
            self.select = name
            form.choices[name] = []
        elif tag == "textarea":
            self.textarea = name
            form.fields[name] = [""]

    def handle_endtag(self, tag) -> None:
        if tag == "select":
            self.select = None
        if tag == "textarea":
            self.textarea = None

    def handle_data(self, data) -> None:
        if self.textarea and self.forms:
            self.forms[-1].fields[self.textarea] = [data]


class Browser:
    """One person's browser: its cookies, and the headers nginx adds to each request."""

    def __init__(self, base: str, who: str) -> None:
        self.base = base
        self.who = who
        self.jar = http.cookiejar.CookieJar(policy=BehindTls())
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirects()
        )
        self.opener.addheaders = [
            ("User-Agent", "production-stack-check"),
            ("Accept-Language", "zh-hans"),
            # What nginx sets (deploy/nginx/transfers.conf): the client, and the scheme it
            # used; gunicorn (forwarded_allow_ips) and Django (SECURE_PROXY_SSL_HEADER,
            # TRUSTED_PROXIES) believe them from 127.0.0.1.
            ("X-Forwarded-For", "127.0.0.1"),
            ("X-Forwarded-Proto", "https"),
        ]
        self.origin = "https://" + urllib.parse.urlsplit(base).netloc

    def open(
        self, method: str, path: str, data: bytes | None = None, headers: dict | None = None
    ) -> Page:
        url = urllib.parse.urljoin(self.base, path)
        request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310 - our own server's URL
        try:
            with self.opener.open(request, timeout=60) as response:
                return Page(url, response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            page = Page(url, error.code, error.headers, error.read())
            if 300 <= error.code < 400:
                return page
            raise Failure(
                f"{self.who}: {method} {urllib.parse.urlsplit(url).path} answered {error.code}"
                + (f": {page.errors() or page.text[:300]}" if error.code != 500 else "")
            ) from None

    def follow(self, page: Page) -> Page:
        for _ in range(10):
            if not 300 <= page.status < 400:
                return page
            page = self.open("GET", urllib.parse.urljoin(page.url, page.headers["Location"]))
        raise Failure(f"{self.who}: too many redirects from {page.url}")

    def get(self, path: str, headers: dict | None = None) -> Page:
        return self.follow(self.open("GET", path, headers=headers))

    def submit(
        self,
        page: Page,
        form: Form,
        values: dict[str, str | list[str] | None] | None = None,
        *,
        redirects: bool = True,
    ) -> Page:
        """Fill in ``values`` (None unticks a box), post the form as a browser would (with
        its Origin, which Django's CSRF check reads on HTTPS), follow the redirect. A form
        that is answered with itself again was refused: that fails, with its errors."""
        fields = dict(form.fields)
        for name, value in (values or {}).items():
            if value is None:
                fields.pop(name, None)
            else:
                fields[name] = [value] if isinstance(value, str) else list(value)
        data = urllib.parse.urlencode([(k, v) for k, vs in fields.items() for v in vs])
        target = urllib.parse.urljoin(page.url, form.action or page.url)
        answer = self.open(
            "POST",
            target,
            data.encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
                "Referer": self.origin + page.path,
            },
        )
        if redirects and not 300 <= answer.status < 400:
            raise Failure(
                f"{self.who}: the form of {page.path} was refused: {answer.errors() or '?'}"
            )
        return self.follow(answer)

    def login(self, username: str, password: str) -> Page:
        page = self.get("/accounts/login/")
        home = self.submit(
            page, page.form(has="username"), {"username": username, "password": password}
        )
        if home.path.startswith("/accounts/login"):
            raise Failure(f"{self.who}: sign-in as {username} refused: {home.errors()}")
        return home


# --- 1 and 2: prepare and start -----------------------------------------------------------


def prepare(stack: Stack) -> None:
    """Step 4 of the README's deploy, the three at once (they do not depend on each other)."""
    say("prepare: migrate as the owner's role, compiletranslations, collectstatic")
    redis.Redis.from_url(stack.redis_url).flushdb()
    started = [
        stack.manage("migrate", "--noinput", owner=True),
        stack.manage("compiletranslations"),
        stack.manage("collectstatic", "--noinput"),
    ]
    for process in started:
        stack.done(process)


def start(stack: Stack) -> None:
    for name, command in stack.commands.items():
        say(f"start {name}: {command}")
        stack.start(name)

    def ready() -> dict | None:
        stack.check_alive()
        try:
            page = Browser(stack.base, "readyz").open("GET", "/readyz")
        except (Failure, OSError):
            return None
        return json.loads(page.body) if page.status == 200 else None

    states = wait_for("/readyz to answer 200", ready, timeout=90, every=1)
    say(f"/readyz answers 200: {states}")
    # With DEBUG off the static files are served by WhiteNoise from STATIC_ROOT, under the
    # hashed names of the manifest (nginx serves the same folder in production).
    login = Browser(stack.base, "visitor").get("/accounts/login/")
    css = re.search(r'href="(/static/css/app\.[0-9a-f]+\.css)"', login.text)
    if not css:
        raise Failure("the sign-in page links no hashed static/css/app.css")
    sheet = Browser(stack.base, "visitor").get(css[1])
    if not sheet.content_type.startswith("text/css"):
        raise Failure(f"{css[1]} is served as {sheet.content_type}")
    say(f"static file served: {css[1]}")


# --- 4: the batch and its crashes -----------------------------------------------------------


@dataclass
class Progress:
    state: str
    attempts: int
    processed: int
    total: int
    heartbeat_at: datetime.datetime | None

    def __str__(self) -> str:
        return f"{self.state}, {self.processed}/{self.total} done, {self.attempts} deliveries"


def progress(stack: Stack, batch: int) -> Progress:
    ((state, attempts, approved, refused, total, heartbeat),) = stack.sql(
        "SELECT state, attempts, jsonb_array_length(approved_ids),"
        " jsonb_array_length(refusals), jsonb_array_length(application_ids), heartbeat_at"
        " FROM transfers_approvalbatch WHERE id = %s",
        batch,
    )
    return Progress(state, attempts, approved + refused, total, heartbeat)


@dataclass
class Crashed:
    """A batch left running by its dead worker."""

    batch: int
    bureau: Browser
    progress: Progress
    at: float
    redelivered_after: float


def batch_crash(stack: Stack, world: dict) -> Crashed:
    size = stack.options.batch_size
    say(f"prepare {size} applications of area B up to 'recommended' (setup script)")
    recommended = stack.world("batch_prepare", size=size)["recommended"]
    if len(recommended) != size:
        raise Failure(f"{len(recommended)} applications recommended, not {size}")

    # The bureau ticks every transfer on the approvals pages (50 a page) and approves them.
    bureau = stack.browser("bureau")
    bureau.login(world["people"]["bureau"], stack.password)
    first = bureau.get("/transfers/approvals/")
    form = first.form(has="applications")
    ticked = list(form.choices["applications"])
    for number in range(2, size // 50 + 3):
        more = bureau.get(f"/transfers/approvals/?page={number}").form(has="applications")
        new = [value for value in more.choices["applications"] if value not in ticked]
        if not new:
            break
        ticked += new
    if sorted(map(int, ticked)) != sorted(recommended):
        raise Failure(f"the approvals pages list {len(ticked)} transfers, not the {size}")
    answer = bureau.submit(first, form, {"applications": ticked})
    found = re.fullmatch(r"/transfers/approvals/batch/(\d+)/", answer.path)
    if not found:
        raise Failure(f"approving the ticked transfers ended on {answer.path}")
    batch = int(found[1])
    say(f"bureau ticked all {len(ticked)} transfers and approved them: batch {batch}")

    # The first crash: the pool process that runs the batch. The worker sees its child die
    # and, with acks_late and reject_on_worker_lost, gives the message back to the broker.
    running = wait_for(
        "the batch to start",
        lambda: (p := progress(stack, batch)).state == "running" and p.processed >= 1 and p,
        timeout=60,
        every=0.1,
    )
    say(f"batch running: {running}")
    pid = batch_process(stack, batch)
    worker = stack.services["worker"]
    if parent_of(pid) != worker.process.pid:
        raise Failure(f"process {pid}, which runs the batch, is not a child of the worker")
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    killed = progress(stack, batch)
    say(f"SIGKILL the worker's pool process {pid} that runs the batch: {killed}")
    if killed.processed >= killed.total:
        raise Failure("the batch was done before its process was killed: raise --batch-size")
    again = wait_for(
        "the batch's task to be delivered again",
        lambda: (
            (p := progress(stack, batch)).attempts == 2 and p.processed > killed.processed and p
        ),
        timeout=60,
        every=0.1,
    )
    redelivered_after = time.monotonic() - killed_at
    say(f"delivered again {redelivered_after:.1f}s later, and going on: {again}")

    # The second crash: the whole worker with its pool, as when the machine goes down. Its
    # message stays "taken" at the broker (unacked) until the visibility timeout.
    wait_for(
        "more progress",
        lambda: progress(stack, batch).processed >= again.processed + max(3, size // 10),
        timeout=60,
        every=0.1,
    )
    stack.kill("worker")
    crashed_at = time.monotonic()
    crashed = progress(stack, batch)
    say(f"SIGKILL the whole worker (its process group): {crashed}")
    if crashed.state != "running" or crashed.processed >= crashed.total:
        raise Failure(f"the crash did not leave the batch running mid-way: {crashed}")
    if not unacked_messages(stack, batch):
        raise Failure("the broker holds no unacknowledged message of the batch's task")
    say("the broker holds the batch's message as taken by the dead worker (unacked)")

    stack.start("worker", log_name="worker-restarted")

    def worker_ready() -> bool:
        stack.check_alive()
        return " ready." in stack.services["worker"].log.read_text()

    wait_for("the restarted worker to be ready", worker_ready, timeout=60)
    time.sleep(5)
    idle = progress(stack, batch)
    if (idle.state, idle.processed, idle.attempts) != ("running", crashed.processed, 2):
        raise Failure(f"the batch moved before any sweep: {idle}")
    say(f"worker started again from the Procfile; 5s later the batch is as it was: {idle}")
    return Crashed(batch, bureau, crashed, crashed_at, redelivered_after)


def batch_process(stack: Stack, batch: int) -> int:
    """The pid of the pool process running the batch's task, as ``celery inspect active``
    (the operator's tool) reports it."""
    out = stack.celery("inspect", "active", "--json", "--timeout", "2")
    replies = json.loads(out.strip().splitlines()[-1])
    for tasks in replies.values():
        for task in tasks:
            if task["name"] == BATCH_TASK and task["args"] == [batch]:
                return int(task["worker_pid"])
    raise Failure(f"no worker reports the batch's task as active: {replies}")


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def unacked_messages(stack: Stack, batch: int) -> list[dict]:
    """The batch's task messages that the broker (kombu's Redis transport: the "unacked"
    hash) holds as given to a consumer and not acknowledged."""
    held = []
    for raw in redis.Redis.from_url(stack.redis_url).hgetall("unacked").values():
        message = json.loads(raw)[0]
        task = message.get("headers", {}).get("task")
        if task == BATCH_TASK and json.loads(base64.b64decode(message["body"]))[0] == [batch]:
            held.append(message)
    return held


# --- 6: the sweep, and the batch done once ---------------------------------------------------


def batch_recover(stack: Stack, crashed: Crashed) -> dict:
    batch = crashed.batch
    assert crashed.progress.heartbeat_at is not None
    stale = crashed.progress.heartbeat_at + datetime.timedelta(minutes=STALE_MINUTES, seconds=2)
    if stack.options.sweep == "call":
        wait = (stale - datetime.datetime.now(datetime.UTC)).total_seconds()
        if wait > 0:
            say(f"wait {wait:.0f}s more for the batch's heartbeat to be {STALE_MINUTES} min old")
            time.sleep(wait)
        stack.celery("call", SWEEP_TASK)
        say(f"sent the sweep's task, as beat does every {BEAT_SWEEP_SECONDS}s: {SWEEP_TASK}")
        timeout = 60.0
    else:
        # Beat sends the sweep every 300 s from its start: the first one after the heartbeat
        # is stale brings the batch back.
        since = crashed.at + STALE_MINUTES * 60 - stack.services["beat"].started
        ticks = 1 + int(max(0.0, since) // BEAT_SWEEP_SECONDS)
        due = stack.services["beat"].started + ticks * BEAT_SWEEP_SECONDS
        timeout = due - time.monotonic() + 60
        say(f"wait for beat's own sweep, due in {due - time.monotonic():.0f}s")
    waited = time.monotonic()

    def ended() -> Progress | None:
        stack.check_alive()
        now = progress(stack, batch)
        return now if now.state in ("finished", "failed") else None

    done = wait_for("the batch to finish", ended, timeout=timeout, every=0.5)
    recovered_after = time.monotonic() - crashed.at
    say(
        f"batch {done.state} {time.monotonic() - waited:.1f}s later, {recovered_after:.0f}s "
        f"after the crash: {done}"
    )
    page = crashed.bureau.get(f"/transfers/approvals/batch/{batch}/")
    if page.status != 200:
        raise Failure(f"the batch's page answered {page.status}")
    shown = json.loads(
        crashed.bureau.get(
            f"/transfers/approvals/batch/{batch}/", headers={"Accept": "application/json"}
        ).body
    )
    expected = {"state": "finished", "approved": done.total, "refused": 0, "total": done.total}
    if {key: shown[key] for key in expected} != expected:
        raise Failure(f"the batch's page says {shown}")
    checked = stack.world("batch_verify", batch=batch)
    if checked["problems"]:
        raise Failure("after the crashes:\n  " + "\n  ".join(checked["problems"]))
    # The first delivery, the broker's again after the pool process died, the sweep's.
    if checked["attempts"] != 3:
        raise Failure(f"the batch counts {checked['attempts']} deliveries of its task, not 3")
    say("each transfer of the batch approved and carried out exactly once")
    return {"recovered_after": recovered_after, **checked}


# --- 5: the student's journey, over HTTP ------------------------------------------------------


def journey(stack: Stack, world: dict) -> int:
    """From the registrar's slip to the notification of the application; returns the
    application's number."""
    people, student = world["people"], world["student"]
    registrar = stack.browser("registrar")
    registrar.login(people["registrar_a_general"], stack.password)
    page = registrar.get(f"/students/{student['pk']}/")
    # "Open an account and print its slip", the guardian's box ticked as the page has it.
    slip = registrar.submit(page, page.form(has="guardians"), redirects=False)
    if not (slip.content_type.startswith("application/pdf") and slip.body.startswith(b"%PDF")):
        raise Failure(f"the slips are not a PDF: {slip.content_type} {slip.body[:40]!r}")
    say(f"registrar printed the student's and the guardian's slips ({len(slip.body)} B of PDF)")

    # The code is only in the PDF: a new one, as the registrar would print again.
    issued = stack.world(
        "activation_code", student=student["pk"], registrar=people["registrar_a_general"]
    )
    if not issued["guardian"]:
        raise Failure("the slips opened no guardian's account")
    pupil = stack.browser("student")
    password = secrets.token_urlsafe(12)
    page = pupil.get("/accounts/activate/")
    home = pupil.submit(
        page,
        page.form(has="code"),
        {"code": issued["code"], "password1": password, "password2": password},
    )
    if home.path != "/":
        raise Failure(f"the student's activation ended on {home.path}")
    say(f"student activated the account {issued['login']} with the code and is signed in")

    page = pupil.get("/accounts/profile/")
    page = pupil.submit(page, page.form(action="send-code"), {"mobile-mobile": STUDENT_MOBILE})
    code = sms_code(stack, STUDENT_MOBILE)
    page = pupil.submit(page, page.form(action="verify"), {"code-code": code})
    shown = re.search(r'data-testid="mobile-state">([^<]*)<', page.text)
    if not shown or STUDENT_MOBILE not in shown[1]:
        raise Failure(f"the profile does not show the mobile as verified: {shown}")
    page = pupil.submit(
        page,
        page.form(action="save"),
        {
            "profile-email": STUDENT_EMAIL,
            "profile-notify_by_email": "on",
            "profile-notify_by_sms": "on",
        },
    )
    say("student verified a mobile with the code texted to it, chose e-mail and SMS")

    guardian = stack.browser("guardian")
    phone = student["guardian_phone"]
    page = guardian.get("/accounts/activate/guardian/")
    page = guardian.submit(page, page.form(has="mobile"), {"mobile": phone})
    guardian_password = secrets.token_urlsafe(12)
    home = guardian.submit(
        page,
        page.form(has="code"),
        {
            "code": sms_code(stack, phone),
            "password1": guardian_password,
            "password2": guardian_password,
        },
    )
    if home.path != "/":
        raise Failure(f"the guardian's activation ended on {home.path}")
    page = guardian.get("/accounts/profile/")
    guardian.submit(
        page,
        page.form(action="save"),
        {"profile-notify_by_email": None, "profile-notify_by_sms": "on"},
    )
    say(f"guardian activated {issued['guardian']} with the code texted to it, chose SMS")

    page = pupil.get("/transfers/apply/")
    form = page.form(has="to_major")
    if not form.choices["to_major"]:
        raise Failure("the apply form offers no major")
    applied = pupil.submit(
        page,
        form,
        {
            "to_major": form.choices["to_major"][0],
            "reason": "我更喜欢动手实践，希望转入职业高中学习计算机应用。",
            "guardian_name": "林家长",
            "guardian_relation": "母亲",
            "guardian_phone": phone,
            "guardian_consent_date": datetime.date.today().isoformat(),
            "guardian_consents": "on",
            "understands_once_only": "on",
        },
    )
    found = re.fullmatch(r"/transfers/applications/(\d+)/", applied.path)
    if not found:
        raise Failure(f"applying ended on {applied.path}, not the application's page")
    application = int(found[1])
    say(f"student applied: application {application}")
    notified(stack, application)
    return application


def sms_code(stack: Stack, mobile: str) -> str:
    """The code the app has just texted to ``mobile`` (the SMS file's last one to it)."""

    def code() -> str | None:
        sent = [json.loads(line) for line in stack.sms.read_text().splitlines()]
        codes = [t["text"] for t in sent if t["to"] == mobile and t["id"].startswith("code-")]
        found = re.search(r"\b(\d{6})\b", codes[-1]) if codes else None
        return found[1] if found else None

    return wait_for(f"a code texted to {mobile}", code, timeout=10, every=0.2)


def notified(stack: Stack, application: int) -> None:
    """The worker delivers the notification of the application to the student (e-mail and
    SMS) and the guardian (SMS): recorded on each row, and in the e-mail folder and the SMS
    file."""

    def delivered() -> dict | None:
        stack.check_alive()
        state = stack.world("deliveries", application=application)
        rows = state["notifications"]
        done = rows and all(row["emailed"] and row["texted"] for row in rows)
        return state if done and {row["role"] for row in rows} == {"student", "guardian"} else None

    state = wait_for("the worker to deliver the notification", delivered, timeout=60, every=1)
    for row in state["notifications"]:
        wanted = ["email", "sms"] if row["role"] == "student" else ["sms"]
        if row["sent"] != wanted:
            raise Failure(f"the notification to {row['to']} went by {row['sent']}, not {wanted}")
    mails = [m for m in stack.mail.iterdir() if f"To: {STUDENT_EMAIL}" in m.read_text()]
    if not mails:
        raise Failure(f"no e-mail to {STUDENT_EMAIL} in the e-mail folder")
    texts = {json.loads(line)["id"] for line in stack.sms.read_text().splitlines()}
    for row in state["notifications"]:
        if f"n{row['id']}-sms" not in texts:
            raise Failure(f"no text message of notification {row['id']} in the SMS file")
    say(
        f"worker delivered the notification of application {application}: e-mail to the "
        f"student ({mails[0].name}), SMS to the student and the guardian"
    )


# --- the run ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("venv", "database", "owner-role", "app-role", "tmp", "run-id"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument(
        "--batch-size", type=int, default=150, help="applications in the batch (150)"
    )
    parser.add_argument(
        "--sweep",
        choices=["call", "beat"],
        default="call",
        help="send the sweep's task once the batch is stale (call, the default), or wait "
        "for beat's own, which comes every 5 minutes (beat: up to 5 minutes longer)",
    )
    parser.add_argument("--logs", help="copy the processes' logs into this folder at the end")
    stack = Stack(parser.parse_args())
    try:
        prepare(stack)
        start(stack)
        say("set up the pilot's data (setup script, production_stack_world.py)")
        world = stack.world("world", password=stack.password)
        crashed = batch_crash(stack, world)
        # The minute the batch's heartbeat takes to go stale: the student's journey.
        application = journey(stack, world)
        batch = batch_recover(stack, crashed)
        stack.check_alive()
    except (Failure, OSError, psycopg2.Error, redis.RedisError) as error:
        say(f"FAILED: {error}")
        stack.stop_all()
        print(stack.log_tails(), file=sys.stderr)
        return 1
    finally:
        stack.stop_all()
        if stack.options.logs:
            shutil.copytree(stack.logs, stack.options.logs, dirs_exist_ok=True)
    o, b = stack.options, batch
    lines = [
        f"== Production stack: every check passed in {time.monotonic() - STARTED:.0f}s",
        f"prepared: migrate as {o.owner_role} (granting {o.app_role}), compiletranslations,"
        " collectstatic",
        f"started from deploy/Procfile: {', '.join(stack.commands)}; DEBUG off, the app as"
        f" {o.app_role}; /readyz 200; static files served",
        "over HTTP as behind nginx: slip PDF, activation, mobile verified by a texted code,"
        " e-mail and SMS chosen, guardian activated by a texted code,"
        f" application {application}",
        "its notification delivered by the worker: e-mail to the student, SMS to the student"
        " and the guardian",
        f"batch {crashed.batch} of {b['total']}: its pool process SIGKILLed, delivered again"
        f" {crashed.redelivered_after:.1f}s later; the whole worker SIGKILLed and restarted;"
        f" the sweep brought it back, finished {b['recovered_after']:.0f}s after the crash",
        f"each transfer once: {b['approved']} approved, {b['refused']} refused,"
        f" {b['attempts']} deliveries of the task, {b['status_records']} status records (one"
        f" active each, at the receiving school), {b['credits_recognised']} credits recognised"
        f" from {b['credits_earned']}, {b['notifications_to_students']} notifications to the"
        " students",
    ]
    print("\n" + lines[0] + "".join(f"\n   {line}" for line in lines[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
