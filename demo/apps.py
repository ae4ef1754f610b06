from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo world (seed 002's Hangzhou pilot) and its story; nothing imports it."""

    name = "demo"
    verbose_name = _("Demo data")
