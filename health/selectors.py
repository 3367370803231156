"""Status of the parts the application depends on, for /healthz."""

from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app

from .models import WorkerHeartbeat


def database_status() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return {"ok": False, "vendor": connection.vendor, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor}


def broker_status() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "eager"}
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return {"ok": False, "mode": "broker", "error": exc.__class__.__name__}
    return {"ok": True, "mode": "broker"}


def worker_status() -> dict:
    """When a worker last ran the heartbeat task (informational: not part of ok)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"mode": "eager"}
    try:
        latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    except Exception as exc:
        return {"stale": True, "error": exc.__class__.__name__}
    if latest is None:
        return {"stale": True, "last_seen": None}
    age = (timezone.now() - latest.seen_at).total_seconds()
    return {
        "stale": age > settings.HEALTH_WORKER_STALE_SECONDS,
        "last_seen": latest.seen_at.isoformat(),
        "age_seconds": round(age),
        "hostname": latest.hostname,
    }
