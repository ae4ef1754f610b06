from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolsConfig(AppConfig):
    name = "schools"
    verbose_name = _("Schools and pilot areas")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .two_factor import on_login

        user_logged_in.connect(on_login, dispatch_uid="two_factor_pending")
