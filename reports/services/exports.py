"""Export jobs, one path for every large export: requesting a job, running it (the Celery
task body).

A job writes either a pay run's bonus sheet (``export_request``, HR and admins) or a report
table of DOMAIN.md §8 (``report_export_request``, whoever may see the report's page): the
report is rebuilt in the job for the user who asked, from the page's query string, so the
file has exactly the rows that user sees. The requests only record the job: this module
does not import ``reports.tasks`` (the tasks import the services). The caller queues the
task once the job row is committed: ``export_job_task.delay_on_commit(job.pk)``.
"""

import io
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit
from jobs.services import Heartbeat, job_claim, job_requeue_failed

from ..models import ExportJob, ExportStatus, PayRun
from ..selectors.exports import can_export_bonus_sheet, can_retry_export
from ..selectors.tables import report_table
from ..sheets import (
    bonus_sheet_name,
    write_bonus_sheet_csv,
    write_bonus_sheet_xlsx,
    write_table_xlsx,
)
from ..tables import ReportTable, Table, params_from_json, params_to_json

logger = logging.getLogger(__name__)

FORMATS = ("xlsx", "csv")
DOCUMENT_LANGUAGE = "zh-hans"


def bonus_sheet_storage_name(run: PayRun, file_format: str) -> str:
    """The stored file's name (ASCII, with the city's code)."""
    return f"bonus-sheet-{run.company.code}-{run.month:%Y-%m}.{file_format}"


def bonus_sheet_filename(run: PayRun, file_format: str) -> str:
    """The name the sheet downloads under: 奖金表-2026年11月.xlsx, with the city's name when
    the deployment has several city companies."""
    several = OrgUnit.objects.companies().exclude(pk=run.company_id).exists()
    return bonus_sheet_name(run, file_format, several_cities=several)


def bonus_sheet_write(run: PayRun, target, *, file_format: str, progress=None) -> None:
    if file_format == "xlsx":
        write_bonus_sheet_xlsx(run, target, progress=progress)
    elif file_format == "csv":
        write_bonus_sheet_csv(run, target)
    else:
        raise ValidationError(_("Unknown export format."))


def export_filename(job: ExportJob) -> str:
    """The name a job's file downloads under."""
    if job.run_id:
        return job.filename or bonus_sheet_filename(job.run, job.file_format)
    return job.filename or f"{job.report}.{job.file_format}"


@transaction.atomic
def export_request(*, run: PayRun, user, file_format: str) -> ExportJob:
    """Record a queued export of ``run``'s sheet; the caller queues the task on commit."""
    if not can_export_bonus_sheet(user):
        raise PermissionDenied(_("Only HR and administrators export the bonus sheet."))
    if file_format not in FORMATS:
        raise ValidationError(_("Unknown export format."))
    return ExportJob.objects.create(run=run, file_format=file_format, requested_by=user)


@transaction.atomic
def report_export_request(*, report: ReportTable, user, params) -> ExportJob:
    """Record a queued export of a report with the page's filters (``params``: the query
    string); the caller queues the task on commit."""
    if not report.allowed(user):
        raise PermissionDenied(_("This report is not available to you."))
    return ExportJob.objects.create(
        report=report.code, params=params_to_json(params), file_format="xlsx", requested_by=user
    )


def _write(job: ExportJob, buffer, progress) -> tuple[str, str]:
    """Write the job's file into ``buffer``: (storage name, download name)."""
    if job.run_id:
        bonus_sheet_write(job.run, buffer, file_format=job.file_format, progress=progress)
        return (
            bonus_sheet_storage_name(job.run, job.file_format),
            bonus_sheet_filename(job.run, job.file_format),
        )
    report = report_table(job.report)
    with translation.override(DOCUMENT_LANGUAGE):
        table: Table = report.build(job.requested_by, params_from_json(job.params))
        table_write(table, buffer, progress=progress)
    return f"report-{job.report}-{job.pk}.xlsx", table.filename


def table_write(table: Table, target, *, progress=None) -> None:
    """Write a report table as .xlsx; its values in Chinese, the document's language, like
    its headers (rows that are read lazily are read while the sheet is written)."""
    with translation.override(DOCUMENT_LANGUAGE):
        write_table_xlsx(table, target, progress=progress)


def export_run(job_id: int) -> ExportJob | None:
    """Write the job's file: queued → running (claimed: one more attempt, a heartbeat) →
    done (progress 100, file saved) or failed (the error). Each progress step is a
    heartbeat (``jobs.services``: the watchdog re-queues a job whose worker stopped).

    Safe to run again (a redelivered or duplicated task): a job that is running elsewhere
    or finished is left as it is.
    """
    if not job_claim(ExportJob, job_id):
        return ExportJob.objects.filter(pk=job_id).first()
    job = ExportJob.objects.select_related(
        "run__company", "run__prepared_by", "run__approved_by", "requested_by__org_unit"
    ).get(pk=job_id)
    jobs = ExportJob.objects.filter(pk=job.pk)
    jobs.update(progress=0)
    beat = Heartbeat(ExportJob, job.pk)

    def progress(percent: int) -> None:
        beat(progress=max(0, min(int(percent), 99)))

    try:
        buffer = io.BytesIO()
        stored_name, job.filename = _write(job, buffer, progress)
        job.file.save(stored_name, ContentFile(buffer.getvalue()), save=False)
    except Exception as exc:
        logger.exception("export %s (%s) failed", job.pk, job.report or "bonus sheet")
        jobs.update(
            status=ExportStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
        return job
    job.status = ExportStatus.DONE
    job.progress = 100
    job.error = ""
    job.finished_at = timezone.now()
    job.save(update_fields=["file", "filename", "status", "progress", "error", "finished_at"])
    return job


def export_retry(*, job: ExportJob, user) -> bool:
    """Queue a failed export again (its page's button), for a user who may still run it:
    HR and admins for a bonus sheet, the requester (if the report is still theirs to see)
    for a report. False when it was no longer failed."""
    if not can_retry_export(user, job):
        raise PermissionDenied(_("You may not run this export."))
    return job_requeue_failed(
        ExportJob, job.pk, "reports.tasks.export_job_task", progress=0, file=""
    )
