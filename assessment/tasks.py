from datetime import date

from celery import shared_task
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import OrgUnit
from retailers.models import add_months

from .services import month_close


@shared_task
def close_month(month: str | None = None, company: int | None = None):
    """Beat: daily at 04:00 — recompute last month's draft of every city company (until it
    goes to review). With a month (ISO date in it), that month; with a company id, that
    city only. A month already in review or published is left alone."""
    day = date.fromisoformat(month) if month else add_months(timezone.localdate(), -1)
    companies = OrgUnit.objects.companies()
    if company is not None:
        companies = companies.filter(pk=company)
    results = []
    for city in companies:
        try:
            results.append(month_close(month=day, company=city))
        except ValidationError as exc:
            results.append(
                {"month": day.isoformat(), "company": city.code, "skipped": exc.messages}
            )
    return results
