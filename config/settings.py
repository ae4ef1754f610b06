"""Settings for the status-transfer system, read from the environment.

Nothing configured gives a working local app: SQLite in the project folder, Celery tasks
run eagerly, e-mail printed to the console, DEBUG on. Production sets ``DEBUG=off`` and must
then provide ``SECRET_KEY`` and ``ALLOWED_HOSTS``; there is no default for either.
"""

import datetime
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="local-development-key-not-for-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    try:
        SECRET_KEY = env.str("SECRET_KEY")
        ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            "With DEBUG off, SECRET_KEY and ALLOWED_HOSTS must be set in the environment."
        ) from exc

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "schools",
    "notifications",
    "students",
    "credits",
    "imports",
    "transfers",
    "filing",
    "workspaces",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Around everything that may query, the session's load and save included.
    "core.middleware.StatementTimeoutMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.middleware.NotFoundMiddleware",
    "core.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages and the OTP user: a session that owes its second factor reaches
    # only the second step.
    "schools.two_factor.TwoFactorMiddleware",
    # After the messages: it signs an idle session out and leaves a message for the login page.
    "core.middleware.IdleSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# In production each worker keeps its connection (checked before reuse): opening one per
# request costs PostgreSQL a new backend process each time, about a quarter of the CPU in
# the window-close rush (bench/RESULTS.md). In development runserver's threads come and go.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0 if DEBUG else 60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The role the app connects as owns no tables (PostgreSQL). Migrations run as the owner (a
# DATABASE_URL with the owner's name); after each migrate the owner grants this role what the
# app needs and no more (core.db_roles): SELECT and INSERT on the append-only history, no
# DELETE of a registration, no TRUNCATE anywhere, no DDL. The app then runs with a
# DATABASE_URL naming this role. Empty: no grants (the SQLite default, a single-role setup).
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE", default="")
# On PostgreSQL no statement of a web request runs longer than this (0: no limit); a list that
# would is cancelled and answered with a "try again" page instead of holding a worker and a
# connection. Celery workers, migrations and management commands are not limited: the
# middleware that sets it runs only for requests (core.middleware.StatementTimeoutMiddleware).
DB_STATEMENT_TIMEOUT_MS = env.int("DB_STATEMENT_TIMEOUT_MS", default=30_000)

AUTH_USER_MODEL = "schools.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Repeated wrong passwords lock the username, and separately the address, for an hour. The
# address is the client's as the trusted proxies saw it (TRUSTED_PROXIES in front of the app:
# 0 reads REMOTE_ADDR only, so a forged X-Forwarded-For changes nothing).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"
AXES_CLIENT_STR_CALLABLE = "core.client_address.client_str"  # no full ID numbers in logs
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Simplified Chinese first: the people who use this are in Chinese schools and bureaus.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@status-transfer.local")
# The public address of the app, as activation slips (their QR code) and e-mailed links
# give it to people who are not on a page of it yet.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# How long an activation slip's or an invitation's code stays valid.
ACTIVATION_CODE_DAYS = env.int("ACTIVATION_CODE_DAYS", default=14)
# On: bureau, province and administrator accounts must sign in with a second factor (a TOTP
# app, schools.two_factor); anyone may turn one on. Read at each sign-in.
OTP_REQUIRED = env.bool("OTP_REQUIRED", default=False)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="学籍转换")
# Text messages: "console" prints them (the default), "file" writes one JSON line per
# message to SMS_FILE_PATH, "http" posts them to the operator's gateway (notifications.sms).
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(BASE_DIR / "sms.log"))
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=5.0)

# Celery: Redis as broker when REDIS_URL is set, otherwise every task runs eagerly in-process.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
# Counters shared by every web process (the activation page's limit on wrong codes): Redis
# when there is one, else each process's memory.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Every task has time limits, and the longest (an import, hard limit 20 minutes) ends before a
# message the broker gave to a worker that died is handed out again (visibility_timeout).
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TASK_TIME_LIMIT = 5 * 60
TASK_TIME_LIMITS = {
    "students.tasks.import_job_run": (15 * 60, 20 * 60),
    "transfers.tasks.approval_batch_run": (8 * 60, 10 * 60),
}
CELERY_TASK_ANNOTATIONS = {
    name: {"soft_time_limit": soft, "time_limit": hard}
    for name, (soft, hard) in TASK_TIME_LIMITS.items()
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "visibility_timeout": 25 * 60,
}
# Imports, batch approvals and messages each on their own queue, so a long import never holds
# up the e-mail (the README's worker commands consume each).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "students.tasks.import_job_run": {"queue": "imports"},
    "transfers.tasks.approval_batch_run": {"queue": "batches"},
    "transfers.tasks.deliver_notifications": {"queue": "messages"},
    "transfers.tasks.deliver_pending_notifications": {"queue": "messages"},
}
# Long jobs (imports, batch approvals) write a heartbeat with their progress; the sweeps
# below queue again a job running with no heartbeat for this long (its worker died), and any
# job whose task was delivered this many times fails with a message instead of running again.
JOB_HEARTBEAT_STALE_MINUTES = env.int("JOB_HEARTBEAT_STALE_MINUTES", default=10)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)
# A job still queued this long after it was queued is queued again by the same sweeps: its
# message never reached the broker (down when the job was queued) or the broker lost it.
JOB_QUEUED_STALE_MINUTES = env.int("JOB_QUEUED_STALE_MINUTES", default=2)
# An uploaded file is kept until it is imported, and this long at most (its job's results
# stay): a daily sweep empties it (imports.services.import_files_purge).
IMPORT_FILE_RETENTION_DAYS = env.int("IMPORT_FILE_RETENTION_DAYS", default=30)
# Workers and beat keep the LOGGING below (core.logging.celery_logging_keep), its filter too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-imports": {"task": "imports.tasks.import_jobs_sweep", "schedule": 300.0},
    # Uploaded files hold students' numbers: emptied once imported or kept their time.
    "purge-import-files": {
        "task": "imports.tasks.import_files_purge_sweep",
        "schedule": crontab(hour=3, minute=30),
    },
    "requeue-stale-batches": {
        "task": "transfers.tasks.approval_batches_sweep",
        "schedule": 300.0,
    },
    # Delivers whatever a broker outage left undelivered.
    "deliver-pending-notifications": {
        "task": "transfers.tasks.deliver_pending_notifications",
        "schedule": 300.0,
    },
    "remind-window-closing": {
        "task": "transfers.tasks.remind_window_closing",
        "schedule": 3600.0,
    },
    # The semester status review (rule 8): opened early each day (idempotent, so a new term or
    # a school's first students are picked up by the next run), reminders in office hours;
    # each review is reminded at most once a day whatever the schedule.
    "open-status-reviews": {
        "task": "students.review_tasks.status_reviews_open",
        "schedule": crontab(hour=6, minute=0),
    },
    "remind-status-reviews": {
        "task": "students.review_tasks.status_reviews_remind",
        "schedule": crontab(hour=9, minute=0, day_of_week="mon-fri"),
    },
}

SESSION_COOKIE_HTTPONLY = True
# School computers are shared: a session ends when the browser closes, after a working day at
# the most, and after SESSION_IDLE_MINUTES without a request (core.middleware.
# IdleSessionMiddleware; 0 switches that off).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = env.int("SESSION_HOURS", default=8) * 60 * 60
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Scripts, styles and images from the app's own origin only: no inline script, event handler
# or style attribute runs (behaviour lives in static/js, styles in static/css). data: images
# are Bootstrap's own icons (select arrows, the navbar toggler) inside its CSS.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
    # Both bind every subdomain of the deployment's domain, preload for good: opt in.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Every line says when, how grave and which logger; one JSON object a line with LOG_JSON.
# The filter on every handler masks each ID-card and student number in a line, its
# traceback included (core.logging), and the e-mail of an error to ADMINS (none by default)
# is masked as a whole; Django's loggers write through the root's handler.
LOG_JSON = env.bool("LOG_JSON", default=False)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_identity_numbers": {"()": "core.logging.IdentityNumbersFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "text": {"format": LOG_FORMAT},
        "json": {
            "()": "core.logging.JsonFormatter",
            "fmt": LOG_FORMAT,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_JSON else "text",
            "filters": ["mask_identity_numbers"],
        },
        "mail_admins": {
            "class": "core.logging.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "mask_identity_numbers"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # In place of Django's defaults, whose handlers have no masking filter.
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "py.warnings": {"handlers": [], "propagate": True},
        # A line for every task run is too many: a task's failures (WARNING and up) show.
        "celery.app.trace": {"level": "WARNING"},
    },
}
# Django's report of a server error stars the POST fields naming a person or a secret and
# masks the numbers left in the request and the traceback's variables.
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.error_reports.ErrorReportFilter"
# Errors reported to Sentry when a DSN is set (off by default), masked (core.sentry).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from core.sentry import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="production"))
