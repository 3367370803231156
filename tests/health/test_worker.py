"""A real Celery worker process against Redis and PostgreSQL (CI's services pass)."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from health.models import WorkerHeartbeat
from health.tasks import heartbeat

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def start_worker(queue: str, hostname: str, **env) -> subprocess.Popen:
    """Start ``celery worker`` (solo pool) on a private queue, pointed at the test database,
    with ``env`` added to its environment (e.g. the job settings of tests/jobs)."""
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    database_url = f"postgres://{credentials}@{host}:{port}/{db['NAME']}"
    environment = {**os.environ, "DATABASE_URL": database_url, "CONN_MAX_AGE": "0", **env}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-Q",
            queue,
            "-n",
            hostname,
            "--loglevel=WARNING",
        ],
        cwd=Path(settings.BASE_DIR),
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def worker():
    """A worker on a private queue (stale messages of other tests never reach it)."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    hostname = f"{queue}@pytest"
    process = start_worker(queue, hostname)
    yield queue, hostname, process
    stop_worker(process)


def test_worker_runs_task_and_result_lands_in_database(worker, client):
    queue, hostname, process = worker
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    heartbeat.apply_async(queue=queue)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if WorkerHeartbeat.objects.filter(hostname=hostname).exists():
            break
        if process.poll() is not None:
            pytest.fail(f"worker exited: {process.stdout.read().decode(errors='replace')}")
        time.sleep(0.3)
    else:
        pytest.fail("the worker did not record a heartbeat within 60 s")
    body = client.get(reverse("healthz")).json()
    assert body["broker"] == {"ok": True, "mode": "broker"}
    assert body["database"]["vendor"] == "postgresql"
    assert body["worker"]["stale"] is False
    assert body["worker"]["hostname"] == hostname
