from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """Registrars' imports and everyone's exports of students, courses and credit records."""

    name = "imports"
    verbose_name = _("Imports and exports")
