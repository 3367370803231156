from datetime import date

from celery import shared_task
from django.utils import timezone

from retailers.models import add_months

from .services import month_close


@shared_task
def close_month(month: str | None = None):
    """Beat: daily at 04:00 — recompute last month's draft (until it goes to review).

    With a month (ISO date in it), that month. A month already in review or published is
    left alone.
    """
    from django.core.exceptions import ValidationError

    day = date.fromisoformat(month) if month else add_months(timezone.localdate(), -1)
    try:
        return month_close(month=day)
    except ValidationError as exc:
        return {"month": day.isoformat(), "skipped": exc.messages}
