"""Bonus-sheet export jobs: requesting a job, running it (the Celery task body).

``export_request`` only records the job: this module does not import ``reports.tasks`` (the
tasks import the services). The caller queues the task once the job row is committed:
``export_bonus_sheet_task.delay_on_commit(job.pk)``.
"""

import io
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import ExportJob, ExportStatus, PayRun
from ..selectors.exports import can_export_bonus_sheet
from ..sheets import write_bonus_sheet_csv, write_bonus_sheet_xlsx

logger = logging.getLogger(__name__)

FORMATS = ("xlsx", "csv")


def bonus_sheet_filename(run: PayRun, file_format: str) -> str:
    return f"bonus-sheet-{run.company.code}-{run.month:%Y-%m}.{file_format}"


def bonus_sheet_write(run: PayRun, target, *, file_format: str, progress=None) -> None:
    if file_format == "xlsx":
        write_bonus_sheet_xlsx(run, target, progress=progress)
    elif file_format == "csv":
        write_bonus_sheet_csv(run, target)
    else:
        raise ValidationError(_("Unknown export format."))


@transaction.atomic
def export_request(*, run: PayRun, user, file_format: str) -> ExportJob:
    """Record a queued export of ``run``'s sheet; the caller queues the task on commit."""
    if not can_export_bonus_sheet(user):
        raise PermissionDenied(_("Only HR and administrators export the bonus sheet."))
    if file_format not in FORMATS:
        raise ValidationError(_("Unknown export format."))
    return ExportJob.objects.create(run=run, file_format=file_format, requested_by=user)


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
