"""The production recipe in deploy/ and .env.example agrees with the settings it serves: every
setting read from the environment is documented, every queue is consumed, one beat, the
access logs carry no query strings (searches and filters carry names and ID numbers)."""

import re
import runpy
import tomllib
from pathlib import Path

from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from imports.reading import MAX_BYTES

BASE = Path(settings.BASE_DIR)
DEPLOY = BASE / "deploy"
UNITS = ["transfers-web.service", "transfers-worker@.service", "transfers-beat.service"]


def _documented() -> set[str]:
    lines = (BASE / ".env.example").read_text().splitlines()
    return {m[1] for line in lines if (m := re.match(r"#?([A-Z][A-Z0-9_]*)=", line))}


def _queues(command: str) -> set[str]:
    match = re.search(r"(?:-Q|--queues=?)\s*(\S+)", command)
    return set(match[1].split(",")) if match else set()


def _routed_queues() -> set[str]:
    return {settings.CELERY_TASK_DEFAULT_QUEUE} | {
        route["queue"] for route in settings.CELERY_TASK_ROUTES.values()
    }


def test_every_setting_read_from_the_environment_is_in_env_example():
    source = (BASE / "config" / "settings.py").read_text()
    read = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))
    gunicorn = set(
        re.findall(r"environ\.get\(\"([A-Z_]+)\"", (DEPLOY / "gunicorn.conf.py").read_text())
    )

    assert {"DATABASE_URL", "SECRET_KEY", "STATIC_ROOT"} <= read
    assert read - _documented() == set()
    assert gunicorn - _documented() == set()


def test_the_lock_pins_every_dependency_of_pyproject_within_its_range():
    project = tomllib.loads((BASE / "pyproject.toml").read_text())["project"]
    wanted = [
        Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]
    ]
    lock = (BASE / "requirements.lock").read_text()
    pins = {
        canonicalize_name(m[1]): m[2]
        for m in re.finditer(r"^([A-Za-z0-9._-]+)==([^ \\;]+)", lock, re.MULTILINE)
    }

    missing = sorted(str(r) for r in wanted if canonicalize_name(r.name) not in pins)
    outside = sorted(
        f"{r} (locked {pins[canonicalize_name(r.name)]})"
        for r in wanted
        if canonicalize_name(r.name) in pins
        and not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)
    )
    assert (missing, outside) == ([], []), "run `make lock`"


def test_gunicorn_binds_loopback_and_logs_no_query_strings(monkeypatch):
    for name in ("GUNICORN_BIND", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    config = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))

    assert config["bind"] == ["127.0.0.1:8000"]
    assert config["workers"] >= 3
    assert config["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert config["wsgi_app"] == "config.wsgi:application"
    log_format = config["access_log_format"]
    assert "%(U)s" in log_format
    assert not {"%(r)s", "%(q)s", "%(f)s"} & set(re.findall(r"%\(\w+\)s", log_format))


def test_gunicorn_reads_its_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:9000,[::1]:9000")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.5")
    config = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))

    assert config["bind"] == ["127.0.0.1:9000", "[::1]:9000"]
    assert (config["workers"], config["forwarded_allow_ips"]) == (3, "10.0.0.5")


def test_the_procfile_consumes_every_queue_and_runs_one_beat():
    processes = dict(
        line.split(":", 1)
        for line in (DEPLOY / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    )

    assert processes["web"].strip() == "gunicorn --config deploy/gunicorn.conf.py"
    consumed = set().union(*(_queues(c) for c in processes.values() if " worker " in c))
    assert consumed == _routed_queues()
    assert [name for name, c in processes.items() if " beat" in c] == ["beat"]


def test_the_systemd_units_share_the_environment_a_user_and_restart_on_failure():
    for unit in UNITS:
        text = (DEPLOY / "systemd" / unit).read_text()
        assert "EnvironmentFile=/etc/transfers/env\n" in text, unit
        assert "User=transfers\n" in text, unit
        assert "Restart=on-failure\n" in text, unit
    worker = (DEPLOY / "systemd" / "transfers-worker@.service").read_text()
    assert "--queues=${WORKER_QUEUES}" in worker
    groups = [
        _queues("--queues=" + re.search(r"WORKER_QUEUES=(\S+)", path.read_text())[1])
        for path in sorted((DEPLOY / "systemd").glob("worker-*.env"))
    ]
    assert set().union(*groups) == _routed_queues()
    assert sum(len(group) for group in groups) == len(_routed_queues())  # each queue once


def test_nginx_forwards_the_scheme_takes_an_import_and_logs_no_query_strings():
    text = (DEPLOY / "nginx" / "transfers.conf").read_text()

    assert "server 127.0.0.1:8000;" in text
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
    size = int(re.search(r"client_max_body_size (\d+)m;", text)[1])
    assert size * 1024 * 1024 > MAX_BYTES
    log_format = re.search(r"log_format transfers (.*?);", text, re.S)[1]
    assert "$uri" in log_format
    assert not re.search(
        r"\$(request|request_uri|args|query_string|arg_\w+|http_referer)\b", log_format
    )
