"""Downloads: the bonus sheet (HR and administrators; everyone else gets 404) and every report
of DOMAIN.md §8 (whoever may see its page), through one path.

URLs (app name ``reports``):
- ``reports:bonus_sheet``: without ``?month`` the list of pay runs; with
  ``?month=YYYY-MM&format=xlsx|csv`` the file itself for a run of at most ``DIRECT_LIMIT``
  lines, else an export job is recorded, its Celery task queued once the job row is
  committed, and the browser goes to the job's page;
- ``reports:report_export`` (``/reports/<code>/export/?<the page's query string>``): the
  report's table (``reports.selectors.tables``) with the page's filters, as .xlsx at once
  for at most ``DIRECT_LIMIT`` rows, else as an export job like the bonus sheet's;
- ``reports:export_job``: the job's progress (the page reloads itself every 2 s) and the
  download link when done; ``reports:export_job_status`` the same as JSON;
- ``reports:export_retry`` (POST): a failed job queued again (the watchdog's "the worker
  stopped" or any error), for users who may still run it (else 403);
- ``reports:export_download``: the job's file. A user sees their own report jobs, and HR
  and admins the bonus-sheet jobs of their cities.
"""

import io
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.private_files import private_file_response
from accounts.selectors import companies_visible_to, company_chosen
from retailers.models import parse_month

from ..models import ExportStatus, PayRun
from ..selectors.exports import can_export_bonus_sheet, can_retry_export, export_jobs_visible_to
from ..selectors.tables import report_table
from ..services.exports import (
    FORMATS,
    bonus_sheet_filename,
    bonus_sheet_write,
    export_filename,
    export_request,
    export_retry,
    report_export_request,
    table_write,
)
from ..sheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from ..tables import ReportNotFound, params_from_json
from ..tasks import export_job_task

DIRECT_LIMIT = 500  # lines or rows; a larger sheet is written by a Celery job
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
        export_job_task.delay_on_commit(job.pk)
        return redirect("reports:export_job", pk=job.pk)
    buffer = io.BytesIO()
    bonus_sheet_write(run, buffer, file_format=file_format)
    return attachment(
        buffer.getvalue(), bonus_sheet_filename(run, file_format), CONTENT_TYPES[file_format]
    )


def attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    """A download; a Chinese file name goes in ``filename*`` (RFC 5987)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
@require_GET
def report_export(request, code):
    """A report's table with the page's filters: the .xlsx at once, or an export job."""
    try:
        report = report_table(code)
        if not report.allowed(request.user):
            raise ReportNotFound(code)
        table = report.build(request.user, request.GET)
    except ReportNotFound:
        raise Http404 from None
    if len(table) > DIRECT_LIMIT:
        job = report_export_request(report=report, user=request.user, params=request.GET)
        export_job_task.delay_on_commit(job.pk)
        return redirect("reports:export_job", pk=job.pk)
    buffer = io.BytesIO()
    table_write(table, buffer)
    return attachment(buffer.getvalue(), table.filename, XLSX_CONTENT_TYPE)


def _job_page(job) -> tuple[str, str]:
    """A report job's heading and the page to go back to (the bonus sheet's are fixed)."""
    if job.run_id:
        return "", reverse("reports:bonus_sheet")
    report = report_table(job.report)
    query = params_from_json(job.params).urlencode()
    url = reverse(report.page)
    return job.filename or report.title, f"{url}?{query}" if query else url


def _job_status(job) -> dict:
    done = job.status == ExportStatus.DONE and bool(job.file)
    return {
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "progress": job.progress,
        "attempts": job.attempts,
        "error": job.error,
        "download_url": reverse("reports:export_download", args=[job.pk]) if done else None,
    }


@login_required
@require_GET
def export_job(request, pk):
    job = get_object_or_404(export_jobs_visible_to(request.user), pk=pk)
    finished = job.status in (ExportStatus.DONE, ExportStatus.FAILED)
    title, back = _job_page(job)
    return render(
        request,
        "reports/export_job.html",
        {
            "job": job,
            "title": title,
            "back": back,
            "state": _job_status(job),
            "refresh": None if finished else REFRESH_SECONDS,
            "can_retry": job.status == ExportStatus.FAILED and can_retry_export(request.user, job),
        },
    )


@login_required
@require_GET
def export_job_status(request, pk):
    job = get_object_or_404(export_jobs_visible_to(request.user), pk=pk)
    return JsonResponse(_job_status(job))


@login_required
@require_POST
def export_job_retry(request, pk):
    job = get_object_or_404(export_jobs_visible_to(request.user), pk=pk)
    if export_retry(job=job, user=request.user):  # PermissionDenied → 403
        messages.success(request, _("The export was queued again."))
    return redirect("reports:export_job", pk=job.pk)


@login_required
@require_GET
def export_download(request, pk):
    job = get_object_or_404(export_jobs_visible_to(request.user), pk=pk, status=ExportStatus.DONE)
    return private_file_response(
        job.file, filename=export_filename(job), content_type=CONTENT_TYPES.get(job.file_format)
    )


urlpatterns = [
    path("pay/bonus-sheet/", bonus_sheet, name="bonus_sheet"),
    path("pay/exports/<int:pk>/", export_job, name="export_job"),
    path("pay/exports/<int:pk>/status/", export_job_status, name="export_job_status"),
    path("pay/exports/<int:pk>/retry/", export_job_retry, name="export_retry"),
    path("pay/exports/<int:pk>/download/", export_download, name="export_download"),
    path("reports/<slug:code>/export/", report_export, name="report_export"),
]
