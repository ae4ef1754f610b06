from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Helpers every app may use and that know nothing of schools or transfers: list pages,
    PostgreSQL arrays, spreadsheet safety, the health check, the project's own errors."""

    name = "core"
    verbose_name = _("Common")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .db_roles import grant_app_role

        # Once per migrate: core's post_migrate comes after every migration of the plan.
        post_migrate.connect(grant_app_role, sender=self, dispatch_uid="core.grant_app_role")

        from django.contrib.auth.signals import user_logged_in

        from .middleware import session_activity_start

        # A session's idle time counts from the login (core.middleware.IdleSessionMiddleware).
        user_logged_in.connect(session_activity_start, dispatch_uid="core.session_activity")
