"""A real Celery worker killed (SIGKILL) in the middle of an export and of a month close
(PostgreSQL + Redis pass): the watchdog queues both again, a new worker finishes them, and
the results equal an uninterrupted run — the same workbook read back, the same scores.

The first workers run with JOB_TEST_PAUSE_AFTER_FIRST_STEP_SECONDS, so each stops after its
job's first step: the export after its summary sheet (a heartbeat with progress), the close
inside its transaction once the scores are written but not committed."""

import io
import os
import signal
import time
import uuid

import pytest
from django.core.management import call_command
from django.db import connection

from assessment.models import ManagerScore
from assessment.services import month_close
from config.celery import app
from jobs.models import JobKind, JobRun, JobStatus
from jobs.services import job_request
from jobs.tasks import run_job
from reports.models import ExportJob, ExportStatus
from reports.sheets import write_bonus_sheet_xlsx
from reports.tasks import export_job_task
from tests.assessment import test_close_month
from tests.health.test_worker import start_worker, stop_worker
from tests.jobs.test_watchdog import scores, sheets_of
from tests.reports.test_export_sheet import make_run

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

OCT = test_close_month.OCT
october = test_close_month.october
PAUSE = "30"  # the first workers' pause after a first step; they are killed during it
TIMEOUT = 30  # seconds to wait for any one thing


def wait_for(what, check, process=None):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if check():
            return
        if process is not None and process.poll() is not None:
            pytest.fail(f"worker exited: {process.stdout.read().decode(errors='replace')}")
        time.sleep(0.2)
    pytest.fail(f"not within {TIMEOUT} s: {what}")


def open_transactions() -> int:
    """Other connections to this database idle inside a transaction (the paused close)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'idle in transaction' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def kill(process):
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL


@pytest.fixture
def queue(monkeypatch):
    """A private queue, also the default one of this process: the watchdog's re-queues go
    there, where only this test's workers listen."""
    name = f"test-jobs-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.conf, "task_default_queue", name)
    return name


def test_jobs_of_a_killed_worker_finish_on_another_with_the_same_results(
    org, october, queue, settings, tmp_path
):
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    settings.MEDIA_ROOT = tmp_path
    settings.JOB_HEARTBEAT_STALE_SECONDS = 1
    env = {"MEDIA_ROOT": str(tmp_path), "JOB_TEST_PAUSE_AFTER_FIRST_STEP_SECONDS": PAUSE}
    # Uninterrupted results, computed here.
    run = make_run(org)
    direct = io.BytesIO()
    write_bonus_sheet_xlsx(run, direct)
    month_close(month=OCT, company=org.company)
    expected_scores = scores(OCT)
    assert len(expected_scores) > 4
    ManagerScore.objects.all().delete()

    workers = []
    try:
        # 1. An export; its worker dies after the first sheet.
        first = start_worker(queue, f"{queue}-1@pytest", **env)
        workers.append(first)
        export = ExportJob.objects.create(run=run, file_format="xlsx", requested_by=org.hr)
        export_job_task.delay(export.pk)
        wait_for(
            "the export's first step",
            lambda: ExportJob.objects.filter(pk=export.pk, progress__gt=0).exists(),
            first,
        )
        kill(first)
        export.refresh_from_db()
        assert (export.status, export.attempts, bool(export.file)) == ("running", 1, False)

        # 2. A city's close; its worker dies with the scores written but not committed.
        second = start_worker(queue, f"{queue}-2@pytest", **env)
        workers.append(second)
        close, created = job_request(kind=JobKind.CLOSE, company=org.company, month=OCT)
        assert created
        run_job.delay(close.pk)
        wait_for(
            "the close's heartbeat",
            lambda: JobRun.objects.filter(pk=close.pk, heartbeat_at__isnull=False).exists(),
            second,
        )
        wait_for("the close paused in its transaction", lambda: open_transactions() > 0, second)
        kill(second)
        wait_for("the killed close rolled back", lambda: open_transactions() == 0)
        assert not ManagerScore.objects.exists()  # nothing half-written
        close.refresh_from_db()
        assert (close.status, close.attempts) == (JobStatus.RUNNING, 1)

        # 3. A new worker; the watchdog finds both heartbeats stale and queues them again.
        third = start_worker(queue, f"{queue}-3@pytest", MEDIA_ROOT=str(tmp_path))
        workers.append(third)
        time.sleep(settings.JOB_HEARTBEAT_STALE_SECONDS + 0.5)
        out = io.StringIO()
        call_command("watch_jobs", stdout=out)
        assert out.getvalue().splitlines() == [
            f"exportjob {export.pk}: queued again",
            f"jobrun {close.pk}: queued again",
        ]
        wait_for(
            "both jobs finished",
            lambda: (
                ExportJob.objects.filter(pk=export.pk, status=ExportStatus.DONE).exists()
                and JobRun.objects.filter(pk=close.pk, status=JobStatus.DONE).exists()
            ),
            third,
        )
    finally:
        for process in workers:
            if process.poll() is None:
                stop_worker(process)

    export.refresh_from_db()
    assert (export.attempts, export.progress, export.error) == (2, 100, "")
    with export.file.open("rb") as handle:
        assert sheets_of(handle.read()) == sheets_of(direct.getvalue())
    close.refresh_from_db()
    assert (close.attempts, close.error) == (2, "")
    assert close.result == {"month": "2026-10-01", "company": "C0", "managers": 4}
    assert scores(OCT) == expected_scores
    assert not os.environ.get("JOB_TEST_PAUSE_AFTER_FIRST_STEP_SECONDS")
