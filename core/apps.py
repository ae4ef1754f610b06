from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Helpers every app may use and that know nothing of schools or transfers: list pages,
    PostgreSQL arrays, spreadsheet safety, the health check, the project's own errors."""

    name = "core"
    verbose_name = _("Common")

    def ready(self) -> None:
        from django.core.checks import register

        from . import checks

        # What a production start needs (core.checks). Not tagged `staticfiles`: collectstatic
        # runs those first, and would warn of the very files it is about to collect. The PDF
        # library's is a deployment check, for its cost.
        register(checks.static_files_collected)
        register(checks.broker_configured)
        register(checks.pdf_library_loads, deploy=True)

        from django.db.models.signals import post_migrate

        from .db_roles import grant_app_role

        # Once per migrate: core's post_migrate comes after every migration of the plan.
        post_migrate.connect(grant_app_role, sender=self, dispatch_uid="core.grant_app_role")

        from django.contrib.auth.signals import user_logged_in

        from .middleware import session_activity_start

        # A session's idle time counts from the login (core.middleware.IdleSessionMiddleware).
        user_logged_in.connect(session_activity_start, dispatch_uid="core.session_activity")

        from celery.signals import setup_logging

        from .logging import celery_logging_keep

        # Connected before a worker or beat sets up logging (Django is set up first): they
        # keep LOGGING, whose filter masks ID numbers, instead of handlers of their own.
        setup_logging.connect(celery_logging_keep, dispatch_uid="core.celery_logging_keep")
