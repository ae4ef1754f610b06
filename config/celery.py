"""The Celery application, wired the standard Django way.

Settings prefixed ``CELERY_`` configure it; with no ``REDIS_URL`` the settings make every
task run eagerly in-process, so a newcomer's demo needs no broker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("status_transfer")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
