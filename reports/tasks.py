"""Thin Celery tasks: each takes plain values and calls one service."""

from datetime import date

from celery import shared_task
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import OrgUnit, User
from jobs.models import JobKind
from jobs.services import job_execute, job_request
from retailers.models import add_months

from .services.alerts import orders_rollup_refresh
from .services.dashboards import kpi_refresh, kpi_refresh_recent
from .services.exports import export_run
from .services.pay import city_of
from .services.tiers import tiers_review
from .tiers import last_complete_quarter, parse_quarter, quarter_label


@shared_task
def run_pay(month: str, user_id: int, company_id: int | None = None):
    """Prepare (or re-run) the pay run of ``month`` (ISO date in it) as user ``user_id``, of
    a city company (default: the user's own).

    Queue it after the request's transaction commits (``run_pay.delay_on_commit``).
    A background job: a ``JobRun`` (kind pay) with its heartbeat, run here and, if this
    worker stops, queued again by the watchdog. Returns the run's summary, or None when the
    same pay run is already queued or running, or failed (the job row has the reason).
    """
    user = User.objects.get(pk=user_id)
    company = OrgUnit.objects.get(pk=company_id) if company_id else city_of(user, None)
    job, created = job_request(
        kind=JobKind.PAY, company=company, month=date.fromisoformat(month), user=user
    )
    return job_execute(job.pk) if created else None


@shared_task
def export_job_task(job_id: int) -> str | None:
    """Write one ExportJob's file (a bonus sheet or a report table); the job row records
    progress, the file or the error.

    Queue it after the job row commits (``export_job_task.delay_on_commit``).
    """
    job = export_run(job_id)
    return job.status if job else None


# The bonus sheet's name for the same task (one export path for every job).
export_bonus_sheet_task = export_job_task


@shared_task
def review_tiers_task(quarter: str | None = None):
    """Beat: Mondays of a quarter's first month. Review a quarter ("2026-Q3"; default: the
    last complete one). Re-runnable: proposals are refreshed, decided ones left alone. A
    quarter not yet fully published in a city is skipped there. Every city company."""
    start = parse_quarter(quarter) if quarter else last_complete_quarter(timezone.localdate())
    if start is None:
        return {"quarter": quarter, "skipped": [f"Not a quarter: {quarter!r}"]}
    results = []
    for city in OrgUnit.objects.companies():  # each city company reviews its own managers
        try:
            results.append(tiers_review(quarter_start=start, company=city))
        except ValidationError as exc:
            results.append(
                {"quarter": quarter_label(start), "company": city.code, "skipped": exc.messages}
            )
    return results


@shared_task
def refresh_dashboards(month: str | None = None):
    """Beat: every 30 minutes. The dashboards' rollup of this month and the two before (or of
    ``month``, an ISO date in it), every city; a published month is left as it was."""
    if month:
        return kpi_refresh(month=date.fromisoformat(month))
    return kpi_refresh_recent()


@shared_task
def refresh_order_rollup(months: list[str] | None = None):
    """Beat: nightly. The retailer order rollup (断订, 订单异动) of ``months`` (ISO dates in
    them); default: this month and the previous one. The order import queues it for the
    months its lines fall in, after the import commits."""
    if months:
        days = [date.fromisoformat(m) for m in months]
    else:
        today = timezone.localdate()
        days = [add_months(today, -1), today]
    written = orders_rollup_refresh(months=days)
    return {month.isoformat(): rows for month, rows in written.items()}
