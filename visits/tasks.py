"""Thin Celery tasks: each takes plain values and calls one service."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from .services.feedback import work_plans_generate
from .services.plans import plans_generate
from .services.rates import shelf_rate_months, shelf_rates_refresh


def _day(value: str | None) -> date:
    return date.fromisoformat(value) if value else timezone.localdate()


@shared_task
def generate_visit_plans(month: str | None = None):
    """Beat: the 1st at 03:00, after the classification. Plans every manager's month."""
    return plans_generate(month=_day(month))


@shared_task
def generate_work_plans(day: str | None = None):
    """Beat: daily. Opens the weekly and monthly work plans that are coming due."""
    return work_plans_generate(today=_day(day))


@shared_task
def refresh_shelf_rates(month: str | None = None):
    """Beat: nightly. Recomputes the month's 上柜率 rollup.

    Without a month: this month, and in the first days of a month last month too, so
    orders imported late still count in last month's figures.
    """
    months = [_day(month)] if month else shelf_rate_months(timezone.localdate())
    return [shelf_rates_refresh(month=day) for day in months]
