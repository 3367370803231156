"""Background jobs that survive a dead worker.

Every long job has a row with a status shown to users: a ``reports.ExportJob`` (report and
bonus-sheet exports) or a ``jobs.JobRun`` (a city's month close, a pay run). Its task

1. claims the row (``job_claim``: queued → running, ``attempts`` + 1, ``heartbeat_at`` now);
   a row that is running elsewhere or finished is left alone, so a redelivered or duplicate
   message does nothing;
2. writes ``heartbeat_at`` at each step or chunk (``Heartbeat``);
3. ends it done or failed.

The watchdog (``jobs_watch``: the ``watch_jobs`` beat task every ``JOB_WATCH_SECONDS`` and the
``watch_jobs`` command) finds running rows whose heartbeat is older than
``JOB_HEARTBEAT_STALE_SECONDS``: the worker stopped (killed, out of memory, a deploy). Such a
job is queued again while it has had fewer than ``JOB_MAX_ATTEMPTS`` starts (every job is
idempotent: an export rewrites its file, a close replaces the month's draft rows in one
transaction), else marked failed with the reason, which its page shows with a retry button.
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import ACTIVE, KIND_RUNNERS, JobKind, JobRun, JobStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Watched:
    """A model of job rows and the task that runs one row (called with its pk)."""

    model: str
    task: str


WATCHED = (
    Watched("reports.ExportJob", "reports.tasks.export_job_task"),
    Watched("jobs.JobRun", "jobs.tasks.run_job"),
)


def _queue(task: str, pk: int) -> None:
    import_string(task).delay_on_commit(pk)


def job_claim(model, pk: int) -> bool:
    """Take a queued job for this worker: running, one more attempt, heartbeat now. False
    when it is running elsewhere, finished or gone (the caller then does nothing)."""
    now = timezone.now()
    return bool(
        model.objects.filter(pk=pk, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING,
            attempts=F("attempts") + 1,
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
        )
    )


class Heartbeat:
    """Called at each step or chunk of a job: writes ``heartbeat_at`` (and any other fields,
    e.g. ``progress``). After the first step it sleeps ``JOB_TEST_PAUSE_AFTER_FIRST_STEP_SECONDS``
    (0 in production) so that a test can kill the worker in the middle of a job."""

    def __init__(self, model, pk: int):
        self.rows = model.objects.filter(pk=pk)
        self.steps = 0

    def __call__(self, **fields) -> None:
        self.rows.update(heartbeat_at=timezone.now(), **fields)
        self.steps += 1
        pause = settings.JOB_TEST_PAUSE_AFTER_FIRST_STEP_SECONDS
        if self.steps == 1 and pause:
            time.sleep(pause)


# --- JobRun: the month close and the pay run ----------------------------------------------


def _active(*, kind, month, company, unit):
    """The queued or running job of ``kind`` and ``month`` for a city (``unit`` None) or
    for one marketing center's part: what ``jobrun_one_active`` and ``jobrun_one_active_part``
    allow one of."""
    active = JobRun.objects.filter(kind=kind, month=month, status__in=ACTIVE)
    if unit is None:
        return active.filter(company=company, unit__isnull=True)
    return active.filter(unit=unit)


def job_request(
    *, kind: str, company, month, user=None, params=None, unit=None
) -> tuple[JobRun, bool]:
    """The queued or running job of ``kind`` for a city (or one of its marketing centers,
    ``unit``) and month, or a new queued one (created=True: the caller queues ``run_job``
    on commit)."""
    month = month.replace(day=1)
    active = _active(kind=kind, month=month, company=company, unit=unit)
    existing = active.first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            job = JobRun.objects.create(
                kind=kind,
                company=company,
                unit=unit,
                month=month,
                requested_by=user,
                params=params or {},
            )
    except IntegrityError:  # another request created it meanwhile
        return active.get(), False
    return job, True


def jobs_split(*, kind: str, month, companies=(), centers=(), params=None) -> dict:
    """A split job: one ``JobRun`` of ``kind`` per city company and one per marketing center
    given, for ``month``, the new ones queued together as a Celery group once the transaction
    commits (each part runs on whichever worker takes it, with its own claim, heartbeat and
    watchdog). A part already queued or running is kept (not queued twice). Returns
    {"jobs": [ids of every part, cities then centers, in the given order], "queued": [ids
    of the new ones]}."""
    from celery import group

    from .tasks import run_job

    jobs, queued = [], []
    parts = [(city, None) for city in companies]
    parts += [(center.company, center) for center in centers]
    for company, unit in parts:
        job, created = job_request(
            kind=kind, company=company, unit=unit, month=month, params=params
        )
        jobs.append(job.pk)
        if created:
            queued.append(job.pk)
    if queued:
        parts = group(run_job.si(pk) for pk in queued)
        transaction.on_commit(parts.delay)
    return {"jobs": jobs, "queued": queued}


def _messages(exc) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)]) or type(exc).__name__


def job_execute(job_id: int) -> dict | None:
    """Run a JobRun in this process (the ``run_job`` task body): its result, or None when it
    was not queued (running elsewhere or finished). A failure is recorded on the row."""
    from .runners import RUNNERS

    if not job_claim(JobRun, job_id):
        return None
    job = JobRun.objects.select_related("company", "unit", "requested_by").get(pk=job_id)
    beat = Heartbeat(JobRun, job.pk)
    try:
        result = RUNNERS[job.kind](job, beat)
    except Exception as exc:
        if not isinstance(exc, ValidationError | PermissionDenied):
            logger.exception("job %s (%s) failed", job.pk, job.kind)
        JobRun.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=_messages(exc), finished_at=timezone.now()
        )
        return None
    JobRun.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, error="", result=result, finished_at=timezone.now()
    )
    return result


def can_run_job(user, job: JobRun) -> bool:
    return bool(user.is_superuser or user.role in KIND_RUNNERS[JobKind(job.kind)])


# --- Watchdog and retry ---------------------------------------------------------------------


def _stale_time(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def jobs_watch(*, now=None) -> dict:
    """Re-queue or fail the running jobs whose worker stopped reporting. Returns
    {"requeued": [labels], "failed": [labels]}."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.JOB_HEARTBEAT_STALE_SECONDS)
    limit = settings.JOB_MAX_ATTEMPTS
    summary = {"requeued": [], "failed": []}
    for watched in WATCHED:
        model = apps.get_model(watched.model)
        with transaction.atomic():
            stale = (
                model.objects.select_for_update(skip_locked=True)
                .filter(status=JobStatus.RUNNING)
                .filter(
                    Q(heartbeat_at__lt=stale_before)
                    | Q(heartbeat_at__isnull=True, created_at__lt=stale_before)
                )
                .order_by("pk")
            )
            for job in stale:
                label = f"{model._meta.model_name} {job.pk}"
                since = _stale_time(job.heartbeat_at)
                if job.attempts < limit:
                    note = _(
                        "The worker stopped (no heartbeat since %(time)s); the job was queued "
                        "again (attempt %(next)s of %(max)s)."
                    ) % {"time": since, "next": job.attempts + 1, "max": limit}
                    model.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED, error=note)
                    _queue(watched.task, job.pk)
                    summary["requeued"].append(label)
                else:
                    reason = _(
                        "The worker stopped: no heartbeat since %(time)s, after %(attempts)s "
                        "attempts. Run it again when the workers are back."
                    ) % {"time": since, "attempts": job.attempts}
                    model.objects.filter(pk=job.pk).update(
                        status=JobStatus.FAILED, error=reason, finished_at=now
                    )
                    summary["failed"].append(label)
                logger.warning(
                    "watchdog: %s %s", label, "requeued" if job.attempts < limit else "failed"
                )
    return summary


def job_requeue_failed(model, pk: int, task: str, **reset) -> bool:
    """Queue a failed job again with a fresh count of attempts (the retry button). False
    when it is not failed (someone retried it already)."""
    done = model.objects.filter(pk=pk, status=JobStatus.FAILED).update(
        status=JobStatus.QUEUED, attempts=0, error="", finished_at=None, **reset
    )
    if done:
        _queue(task, pk)
    return bool(done)


@transaction.atomic
def job_retry(*, job: JobRun, user) -> JobRun:
    """Run a failed background job again (the job page's button). Audited: the row's save
    writes the audit entry with the user as actor."""
    if not can_run_job(user, job):
        raise PermissionDenied(_("You may not run this job."))
    job = JobRun.objects.select_for_update().get(pk=job.pk)
    if job.status != JobStatus.FAILED:
        raise ValidationError(_("Only a failed job can be run again."))
    if _active(kind=job.kind, month=job.month, company=job.company_id, unit=job.unit_id).exists():
        raise ValidationError(_("The same job is already queued or running."))
    job.status = JobStatus.QUEUED
    job.attempts = 0
    job.error = ""
    job.finished_at = None
    job.requested_by = user
    job.save(update_fields=["status", "attempts", "error", "finished_at", "requested_by"])
    _queue("jobs.tasks.run_job", job.pk)
    return job
