"""Thin Celery tasks: each takes plain values and calls one service."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from accounts.models import OrgUnit
from jobs.models import JobKind
from jobs.services import jobs_split
from retailers.models import month_start

from .services.feedback import work_plans_generate
from .services.rates import shelf_rate_months, shelf_rates_refresh


def _day(value: str | None) -> date:
    return date.fromisoformat(value) if value else timezone.localdate()


@shared_task
def generate_visit_plans(month: str | None = None, company: int | None = None):
    """Beat: daily at 03:00 (on the 1st after the classification). Plans every manager's
    month; with a company id, that city only.

    A split job: one ``JobRun`` per marketing center (that holds territories) of every city
    company, queued together as a group of ``run_job`` tasks (the parts run in parallel on
    as many workers as there are); a center whose plans are already queued or running keeps
    that job.
    """
    day = month_start(_day(month))
    companies = OrgUnit.objects.companies()
    if company is not None:
        companies = companies.filter(pk=company)
    return {
        "month": day.isoformat(),
        **jobs_split(kind=JobKind.PLANS, month=day, centers=OrgUnit.objects.centers(companies)),
    }


@shared_task
def generate_work_plans(day: str | None = None):
    """Beat: daily. Opens the weekly and monthly work plans that are coming due."""
    return work_plans_generate(today=_day(day))


@shared_task
def refresh_shelf_rates(month: str | None = None):
    """Beat: nightly. Recomputes the month's 上柜率 rollup.

    Not split by city: one province-wide transaction (the rollup's province and level rows
    sum every city, and stale rows are deleted month-wide); see README "More workers".

    Without a month: this month, and in the first days of a month last month too, so
    orders imported late still count in last month's figures.
    """
    months = [_day(month)] if month else shelf_rate_months(timezone.localdate())
    return [shelf_rates_refresh(month=day) for day in months]
