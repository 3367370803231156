import pytest
from django.urls import reverse

from config.celery import app
from health.models import WorkerHeartbeat
from health.tasks import heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client, settings):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] in {"sqlite", "postgresql"}
    expected_mode = "eager" if settings.CELERY_TASK_ALWAYS_EAGER else "broker"
    assert body["broker"] == {"ok": True, "mode": expected_mode}


def test_healthz_needs_no_login_and_is_not_cached(client):
    response = client.get(reverse("healthz"))
    assert "no-cache" in response["Cache-Control"]


def test_unreachable_broker_gives_503(client, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["broker"]["ok"] is False
    assert body["database"]["ok"] is True


def test_worker_heartbeat_age_is_reported(client, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr("health.views.broker_status", lambda: {"ok": True, "mode": "broker"})
    assert client.get(reverse("healthz")).json()["worker"] == {"stale": True, "last_seen": None}
    WorkerHeartbeat.objects.create(hostname="celery@box", seen_at="2020-01-01T00:00:00Z")
    worker = client.get(reverse("healthz")).json()["worker"]
    assert worker["stale"] is True and worker["hostname"] == "celery@box"


def test_heartbeat_task_records_a_row_eagerly(celery_eager):
    heartbeat.delay()
    assert WorkerHeartbeat.objects.count() == 1
