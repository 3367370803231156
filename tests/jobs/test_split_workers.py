"""The split classification and visit plans on TWO real Celery worker processes (PostgreSQL
+ Redis pass): the cities' parts run at the same time, one on each worker, and the rows
equal, row for row (and by digest), those of a single in-process run.

Each worker pauses ``PAUSE`` seconds after its part's heartbeat (the hardening test's
``JOB_TEST_PAUSE_AFTER_FIRST_STEP_SECONDS``), so the two parts' running times overlap only
when two workers took them."""

import uuid

import pytest

from config.celery import app
from health.models import WorkerHeartbeat
from health.tasks import heartbeat
from jobs.models import JobKind, JobRun, JobStatus
from retailers.tasks import classify_retailers
from tests.health.test_worker import start_worker, stop_worker
from tests.jobs.test_split_jobs import (
    NOV,
    build_two_cities,
    classification_rows,
    digest,
    plan_rows,
    single_run,
)
from tests.jobs.test_worker_killed import wait_for
from visits.tasks import generate_visit_plans

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PAUSE = "1.5"


@pytest.fixture
def queue(monkeypatch):
    """A private queue, the default one of this process: the parts go where only this
    test's workers listen."""
    name = f"test-split-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.conf, "task_default_queue", name)
    return name


def finished(kind) -> bool:
    jobs = JobRun.objects.filter(kind=kind)
    return jobs.count() == 2 and not jobs.exclude(status=JobStatus.DONE).exists()


def check_in_parallel(kind):
    """Both parts done, each claimed once, one on each worker: their runs overlap."""
    jobs = list(JobRun.objects.filter(kind=kind))
    assert [(job.status, job.attempts) for job in jobs] == [(JobStatus.DONE, 1)] * 2
    assert max(job.started_at for job in jobs) < min(job.finished_at for job in jobs)


def test_two_workers_give_the_rows_of_one_process(queue, settings):
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    build_two_cities()
    classified, planned = single_run()

    workers = []
    try:
        for n in (1, 2):
            # The shared queue, and one of its own to check that it is up.
            own = f"{queue}-{n}"
            workers.append(
                start_worker(
                    f"{queue},{own}",
                    f"{own}@pytest",
                    JOB_TEST_PAUSE_AFTER_FIRST_STEP_SECONDS=PAUSE,
                )
            )
            heartbeat.apply_async(queue=own)
        for n, process in enumerate(workers, 1):
            wait_for(
                f"worker {n} up",
                lambda n=n: WorkerHeartbeat.objects.filter(hostname=f"{queue}-{n}@pytest").exists(),
                process,
            )

        split = classify_retailers(NOV.isoformat())  # queued as a group on commit
        assert len(split["queued"]) == 2
        for process in workers:
            wait_for("the classification parts", lambda: finished(JobKind.CLASSIFY), process)
        generate_visit_plans(NOV.isoformat())
        for process in workers:
            wait_for("the plan parts", lambda: finished(JobKind.PLANS), process)
    finally:
        for process in workers:
            if process.poll() is None:
                stop_worker(process)

    check_in_parallel(JobKind.CLASSIFY)
    check_in_parallel(JobKind.PLANS)
    assert classification_rows() == classified
    assert plan_rows() == planned
    assert digest(plan_rows()) == digest(planned) and len(planned) > 36
