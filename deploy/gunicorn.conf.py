"""gunicorn for the web process: ``gunicorn --config deploy/gunicorn.conf.py`` from the
project folder (deploy/Procfile, deploy/systemd/transfers-web.service).

Every value can be set from the environment (/etc/transfers/env); the defaults suit one
machine behind nginx on the same host (deploy/nginx/transfers.conf).
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"

# Loopback only: nginx in front terminates TLS and forwards here.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# Sync workers, as the bench measured them (bench/RESULTS.md): 2 x cores + 1 by default.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))

# A request's statements stop at DB_STATEMENT_TIMEOUT_MS (30 s); the worker is killed only
# well after that. Large imports run in Celery, not in a request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# A worker is replaced after this many requests (jittered, so not all at once): whatever a
# library leaks is given back.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10

# The heartbeat file on tmpfs: a slow or full disk must not get healthy workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - tmpfs

# X-Forwarded-Proto (and -For) are believed only from these addresses: nginx on this host.
# Django reads the client address through TRUSTED_PROXIES (config/settings.py) as well.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Both logs to stderr, for journald. The access log names the path, never the query string
# (%(U)s, not %(r)s) nor the referrer: searches and filters carry names and ID numbers.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'

proc_name = "transfers-web"
