"""Celery application.

With ``REDIS_URL`` unset the settings make every task run eagerly in-process, so a
new user needs no broker; with it set, tasks go through Redis to a real worker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
