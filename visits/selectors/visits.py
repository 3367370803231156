"""Reads of visits: the supervisor's review queue, and what the phone form shows."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from statistics import median

from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone

from ..filters import VisitFilter
from ..models import ShelfObservation, Visit, VisitStatus


def review_queue_filter(params: QueryDict) -> QueryDict:
    """The list's filter as the flagged-visit queue reads it: flagged only, and unreviewed
    unless the user chose otherwise (an empty ``reviewed`` means all)."""
    params = params.copy()
    params.pop("page", None)
    if params.get("flagged") == "true" and "reviewed" not in params:
        params["reviewed"] = "false"
    return params


def next_to_review(*, user, params: QueryDict, after: Visit, request=None) -> Visit | None:
    """The next unreviewed flagged visit in the list's filter after ``after`` (list order:
    latest check-in first), wrapping to the top; None when none is left."""
    params = params.copy()
    params.pop("page", None)
    params["flagged"] = "true"
    params["reviewed"] = "false"
    queryset = Visit.objects.visible_to(user).exclude(pk=after.pk)
    candidates = VisitFilter(params, queryset=queryset, request=request).qs.order_by(
        "-checked_in_at", "-pk"
    )
    later = candidates.filter(
        Q(checked_in_at__lt=after.checked_in_at)
        | Q(checked_in_at=after.checked_in_at, pk__lt=after.pk)
    ).first()
    return later or candidates.first()


def last_shelf(retailer) -> dict:
    """The shelf check of the retailer's latest valid visit that has one ("as last time"):
    {"date": "YYYY-MM-DD", "lines": {brand_id: {on_shelf, retail_price, stock_level}}}, or an
    empty dict when there is none (2 queries)."""
    visit = (
        Visit.objects.valid()
        .filter(retailer=retailer, shelf__isnull=False)
        .order_by("-checked_in_at", "-pk")
        .values("pk", "check_in_date")
        .first()
    )
    if visit is None:
        return {}
    rows = ShelfObservation.objects.filter(visit_id=visit["pk"]).values(
        "brand_id", "on_shelf", "retail_price", "stock_level"
    )
    return {
        "date": visit["check_in_date"].isoformat(),
        "lines": {
            row["brand_id"]: {
                "on_shelf": row["on_shelf"],
                "retail_price": str(row["retail_price"]) if row["retail_price"] else None,
                "stock_level": row["stock_level"],
            }
            for row in rows
        },
    }


# Observations behind a brand's usual price: the territory's valid visits of the last 90 days.
USUAL_PRICE_DAYS = 90
USUAL_PRICE_MIN_OBSERVATIONS = 3


def usual_prices(*, wholesale: dict[int, Decimal], territory, today: date) -> dict[int, str]:
    """The usual retail price per pack of each brand, for the form's gentle price question:
    the median of the territory's recent observed prices (at least 3), otherwise the
    wholesale price per carton ÷ 10. ``wholesale``: {brand_id: wholesale price per carton}
    (one query; a territory has a few hundred shops)."""
    observed: dict[int, list[Decimal]] = {}
    rows = ShelfObservation.objects.filter(
        brand__in=list(wholesale),
        visit__territory=territory,
        visit__status=VisitStatus.VALID,
        observed_at__gte=datetime.combine(
            today - timedelta(days=USUAL_PRICE_DAYS), time.min, timezone.get_current_timezone()
        ),
        retail_price__isnull=False,
    ).values_list("brand_id", "retail_price")
    for brand_id, price in rows:
        observed.setdefault(brand_id, []).append(price)
    prices = {}
    for brand_id, carton in wholesale.items():
        values = observed.get(brand_id, [])
        enough = len(values) >= USUAL_PRICE_MIN_OBSERVATIONS
        price = median(values) if enough else carton / 10
        prices[brand_id] = str(Decimal(price).quantize(Decimal("0.01")))
    return prices
