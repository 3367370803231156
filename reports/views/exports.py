"""Bonus-sheet downloads for HR and administrators (everyone else gets 404).

URLs (app name ``reports``):
- ``reports:bonus_sheet``: without ``?month`` the list of pay runs; with
  ``?month=YYYY-MM&format=xlsx|csv`` the file itself for a run of at most ``DIRECT_LIMIT``
  lines, else an export job is recorded, its Celery task queued once the job row is
  committed, and the browser goes to the job's page;
- ``reports:export_job``: the job's progress (the page reloads itself every 2 s) and the
  download link when done; ``reports:export_job_status`` the same as JSON;
- ``reports:export_download``: the job's file.
"""

import io
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from accounts.selectors import companies_visible_to, company_chosen
from retailers.models import parse_month

from ..models import ExportStatus, PayRun
from ..selectors.exports import can_export_bonus_sheet, export_jobs_visible_to
from ..services.exports import FORMATS, bonus_sheet_filename, bonus_sheet_write, export_request
from ..sheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from ..tasks import export_bonus_sheet_task

DIRECT_LIMIT = 500  # lines; a larger sheet is written by a Celery job
REFRESH_SECONDS = 2
CONTENT_TYPES = {"xlsx": XLSX_CONTENT_TYPE, "csv": CSV_CONTENT_TYPE}


def _require_exporter(user):
    if not can_export_bonus_sheet(user):
        raise Http404


def _parse_month(value: str) -> date:
    try:
        return parse_month(value)
    except ValueError as exc:
        raise Http404 from exc


@login_required
@require_GET
def bonus_sheet(request):
    _require_exporter(request.user)
    company = company_chosen(request.user, request.GET.get("company"))
    if company is None:
        raise Http404
    runs = PayRun.objects.filter(company=company).select_related(
        "company", "prepared_by", "approved_by"
    )
    month = request.GET.get("month")
    if not month:
        jobs = (
            export_jobs_visible_to(request.user)
            .filter(run__company=company)
            .select_related("requested_by")[:20]
        )
        return render(
            request,
            "reports/export_bonus_sheet.html",
            {
                "runs": runs,
                "jobs": jobs,
                "formats": FORMATS,
                "company": company,
                "companies": companies_visible_to(request.user),
            },
        )
    file_format = request.GET.get("format", "xlsx")
    if file_format not in FORMATS:
        raise Http404
    run = get_object_or_404(runs, month=_parse_month(month))
    if run.lines.count() > DIRECT_LIMIT:
        job = export_request(run=run, user=request.user, file_format=file_format)
        export_bonus_sheet_task.delay_on_commit(job.pk)
        return redirect("reports:export_job", pk=job.pk)
    buffer = io.BytesIO()
    bonus_sheet_write(run, buffer, file_format=file_format)
    response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = content_disposition_header(
        True, bonus_sheet_filename(run, file_format)
    )
    return response


def _job_status(job) -> dict:
    done = job.status == ExportStatus.DONE and bool(job.file)
    return {
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "progress": job.progress,
        "error": job.error,
        "download_url": reverse("reports:export_download", args=[job.pk]) if done else None,
    }


@login_required
@require_GET
def export_job(request, pk):
    job = get_object_or_404(export_jobs_visible_to(request.user), pk=pk)
    finished = job.status in (ExportStatus.DONE, ExportStatus.FAILED)
    return render(
        request,
        "reports/export_job.html",
        {
            "job": job,
            "state": _job_status(job),
            "refresh": None if finished else REFRESH_SECONDS,
        },
    )


@login_required
@require_GET
def export_job_status(request, pk):
    job = get_object_or_404(export_jobs_visible_to(request.user), pk=pk)
    return JsonResponse(_job_status(job))


@login_required
@require_GET
def export_download(request, pk):
    job = get_object_or_404(export_jobs_visible_to(request.user), pk=pk, status=ExportStatus.DONE)
    if not job.file:
        raise Http404
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=bonus_sheet_filename(job.run, job.file_format),
        content_type=CONTENT_TYPES.get(job.file_format),
    )


urlpatterns = [
    path("pay/bonus-sheet/", bonus_sheet, name="bonus_sheet"),
    path("pay/exports/<int:pk>/", export_job, name="export_job"),
    path("pay/exports/<int:pk>/status/", export_job_status, name="export_job_status"),
    path("pay/exports/<int:pk>/download/", export_download, name="export_download"),
]
