from celery import shared_task

from .services import job_execute, jobs_watch


@shared_task
def run_job(job_id: int) -> dict | None:
    """Run one background job row (a city's month close, a pay run); queued on commit of the
    row, and again by the watchdog when its worker stopped."""
    return job_execute(job_id)


@shared_task
def watch_jobs() -> dict:
    """Beat: every ``JOB_WATCH_SECONDS``. Re-queue or fail the jobs whose worker stopped."""
    return jobs_watch()
