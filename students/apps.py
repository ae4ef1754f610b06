from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudentsConfig(AppConfig):
    name = "students"
    verbose_name = _("Students and status records")

    def ready(self) -> None:
        # Celery autodiscovers an app's ``tasks`` module only; the review's are a level down.
        from .review import tasks  # noqa: F401
