from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Helpers every app may use and that know nothing of schools or transfers: list pages,
    PostgreSQL arrays, spreadsheet safety, the health check, the project's own errors."""

    name = "core"
    verbose_name = _("Common")
