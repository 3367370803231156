"""The split classification and visit plans on TWO real Celery worker processes (PostgreSQL
+ Redis pass): the parts (the cities' rankings, then the marketing centers' scoring, then
the centers' plans) run at the same time on both workers, and the rows equal, row for row
(and by digest), those of a single in-process run.

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


def finished(kind, parts) -> bool:
    jobs = JobRun.objects.filter(kind=kind)
    return jobs.count() == parts and not jobs.exclude(status=JobStatus.DONE).exists()


def check_in_parallel(jobs):
    """The parts done, each claimed once, and two of them on the two workers at the same
    time: their runs overlap."""
    jobs = list(jobs)
    assert [(job.status, job.attempts) for job in jobs] == [(JobStatus.DONE, 1)] * len(jobs)
    assert any(
        max(a.started_at, b.started_at) < min(a.finished_at, b.finished_at)
        for n, a in enumerate(jobs)
        for b in jobs[n + 1 :]
    )


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
                    # the parts a worker queues (the centers' scoring) go to the shared queue
                    CELERY_QUEUE=queue,
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
        # 2 cities' rankings, then 3 centers' scoring parts
        for process in workers:
            wait_for("the classification parts", lambda: finished(JobKind.CLASSIFY, 5), process)
        plans = generate_visit_plans(NOV.isoformat())
        assert len(plans["queued"]) == 3
        for process in workers:
            wait_for("the plan parts", lambda: finished(JobKind.PLANS, 3), process)
    finally:
        for process in workers:
            if process.poll() is None:
                stop_worker(process)

    classification = JobRun.objects.filter(kind=JobKind.CLASSIFY)
    check_in_parallel(classification.filter(unit__isnull=True))  # the two cities' rankings
    check_in_parallel(classification.filter(unit__isnull=False))  # the centers' scoring
    check_in_parallel(JobRun.objects.filter(kind=JobKind.PLANS))
    assert classification_rows() == classified
    assert plan_rows() == planned
    assert digest(plan_rows()) == digest(planned) and len(planned) > 36
