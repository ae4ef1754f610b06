from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudentsConfig(AppConfig):
    name = "students"
    verbose_name = _("Students and status records")

    def ready(self) -> None:
        # Celery autodiscovers ``tasks`` modules only; the review's tasks live beside them.
        from . import review_tasks  # noqa: F401
