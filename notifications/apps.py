from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Messages to people: the inbox, the unread badge and delivery by e-mail. It knows
    nothing of what a message is about; each links to its subject generically."""

    name = "notifications"
    verbose_name = _("Notifications")
