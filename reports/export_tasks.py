"""The Celery task of the bonus-sheet export (imported by ``reports/tasks.py``)."""

from celery import shared_task

from .export_services import export_run


@shared_task
def export_bonus_sheet_task(job_id: int) -> str | None:
    """Write one ExportJob's file; the job row records progress, the file or the error."""
    job = export_run(job_id)
    return job.status if job else None
