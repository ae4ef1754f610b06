"""System checks for a production start: what ``manage.py check`` (and ``migrate``, and
``check --deploy``) warns of before the app serves a request it cannot answer well.

The ids are stable, for ``SILENCED_SYSTEM_CHECKS`` and for operators' notes:

- ``core.W001``: DEBUG is off and the static files are not collected (no manifest in
  STATIC_ROOT): every page would lose its styles and scripts, and with the manifest storage
  a page that links a static file fails.
- ``core.W002``: DEBUG is off and REDIS_URL is unset: every task (imports, e-mail, batch
  approvals) runs inside the request that queued it, and beat's reminders and sweeps never.
- ``core.W003``: WeasyPrint cannot load Pango: transcripts and public notices as PDF fail.
  A deployment check only (``check --deploy``): importing WeasyPrint loads Pango through cffi,
  most of a second that every other command, runserver's reloads included, would pay for
  nothing; /readyz asks the same of each running process.

CoreConfig.ready registers them.
"""

from django.conf import settings
from django.core.checks import Warning

from .health import STATIC_PROBE, weasyprint_quiet


def static_files_collected(app_configs, **kwargs) -> list[Warning]:
    if settings.DEBUG:  # runserver serves the apps' folders; nothing to collect
        return []
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    if isinstance(staticfiles_storage, ManifestFilesMixin):  # production's: its manifest
        collected = staticfiles_storage.manifest_storage.exists(staticfiles_storage.manifest_name)
    else:  # a storage without a manifest: a file every page links to
        collected = staticfiles_storage.exists(STATIC_PROBE)
    if collected:
        return []
    return [
        Warning(
            f"The static files are not collected into STATIC_ROOT ({settings.STATIC_ROOT}).",
            hint="Run `manage.py collectstatic --noinput` (with the same STATIC_ROOT) "
            "before starting the app.",
            id="core.W001",
        )
    ]


def broker_configured(app_configs, **kwargs) -> list[Warning]:
    if settings.DEBUG or settings.REDIS_URL:
        return []
    return [
        Warning(
            "REDIS_URL is not set: Celery tasks run inside the web requests that queue them, "
            "and the scheduled ones (beat: reminders, review openings, sweeps) never run.",
            hint="Set REDIS_URL (e.g. redis://127.0.0.1:6379/0) and start the workers and "
            "exactly one beat (deploy/Procfile, deploy/systemd).",
            id="core.W002",
        )
    ]


def pdf_library_loads(app_configs, **kwargs) -> list[Warning]:
    try:
        with weasyprint_quiet():
            import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        return [
            Warning(
                f"WeasyPrint cannot load its libraries ({exc.__class__.__name__}: {exc}): "
                "transcripts and public notices as PDF will fail.",
                hint="apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 "
                "fonts-noto-cjk",
                id="core.W003",
            )
        ]
    return []
