from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspacesConfig(AppConfig):
    """Each role's home and the bureau's city picture: read-only, composed of the apps below."""

    name = "workspaces"
    verbose_name = _("Workspaces")
