"""The Celery task of the quarterly tier review (imported by ``reports.tasks``)."""

from celery import shared_task
from django.core.exceptions import ValidationError
from django.utils import timezone

from .tier_services import tiers_review
from .tiers import last_complete_quarter, parse_quarter, quarter_label


@shared_task
def review_tiers_task(quarter: str | None = None):
    """Review a quarter ("2026-Q3"; default: the last complete one). Re-runnable: proposals
    are refreshed, decided ones left alone. A quarter not yet fully published is skipped."""
    start = parse_quarter(quarter) if quarter else last_complete_quarter(timezone.localdate())
    if start is None:
        return {"quarter": quarter, "skipped": [f"Not a quarter: {quarter!r}"]}
    try:
        return tiers_review(quarter_start=start)
    except ValidationError as exc:
        return {"quarter": quarter_label(start), "skipped": exc.messages}
