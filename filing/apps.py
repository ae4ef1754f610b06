from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilingConfig(AppConfig):
    """The provincial filing package: read-only, composed of the apps below."""

    name = "filing"
    verbose_name = _("Filing")
