"""Bonus-sheet export jobs: who may export, queueing a job, running it (the Celery task body)."""

import io
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role

from .exports import write_bonus_sheet_csv, write_bonus_sheet_xlsx
from .models import ExportJob, ExportStatus, PayRun

logger = logging.getLogger(__name__)

FORMATS = ("xlsx", "csv")


def can_export_bonus_sheet(user) -> bool:
    """HR and administrators see the company's bonus sheet; nobody else does."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role in (Role.HR, Role.ADMIN))
    )


def export_jobs_visible_to(user):
    jobs = ExportJob.objects.select_related("run")
    return jobs.all() if can_export_bonus_sheet(user) else jobs.none()


def bonus_sheet_filename(run: PayRun, file_format: str) -> str:
    return f"bonus-sheet-{run.month:%Y-%m}.{file_format}"


def bonus_sheet_write(run: PayRun, target, *, file_format: str, progress=None) -> None:
    if file_format == "xlsx":
        write_bonus_sheet_xlsx(run, target, progress=progress)
    elif file_format == "csv":
        write_bonus_sheet_csv(run, target)
    else:
        raise ValidationError(_("Unknown export format."))


@transaction.atomic
def export_request(*, run: PayRun, user, file_format: str) -> ExportJob:
    """Queue an export of ``run``'s sheet; the task starts once the job row is committed."""
    from .export_tasks import export_bonus_sheet_task

    if not can_export_bonus_sheet(user):
        raise PermissionDenied(_("Only HR and administrators export the bonus sheet."))
    if file_format not in FORMATS:
        raise ValidationError(_("Unknown export format."))
    job = ExportJob.objects.create(run=run, file_format=file_format, requested_by=user)
    transaction.on_commit(lambda: export_bonus_sheet_task.delay(job.pk))
    return job


def export_run(job_id: int) -> ExportJob | None:
    """Write the job's file: running → done (progress 100, file saved) or failed (the error).

    Safe to run again (a redelivered task): a finished job is left as it is.
    """
    job = ExportJob.objects.select_related("run__prepared_by", "run__approved_by").filter(pk=job_id)
    job = job.first()
    if job is None or job.status in (ExportStatus.DONE, ExportStatus.FAILED):
        return job
    jobs = ExportJob.objects.filter(pk=job.pk)
    jobs.update(status=ExportStatus.RUNNING, progress=0, error="")

    def progress(percent: int) -> None:
        jobs.update(progress=max(0, min(int(percent), 99)))

    try:
        buffer = io.BytesIO()
        bonus_sheet_write(job.run, buffer, file_format=job.file_format, progress=progress)
        job.file.save(
            bonus_sheet_filename(job.run, job.file_format),
            ContentFile(buffer.getvalue()),
            save=False,
        )
    except Exception as exc:
        logger.exception("bonus sheet export %s failed", job.pk)
        job.status = ExportStatus.FAILED
        job.error = f"{type(exc).__name__}: {exc}"
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        return job
    job.status = ExportStatus.DONE
    job.progress = 100
    job.error = ""
    job.finished_at = timezone.now()
    job.save(update_fields=["file", "status", "progress", "error", "finished_at"])
    return job
