"""Reads of visits for the supervisor's review queue."""

from django.db.models import Q
from django.http import QueryDict

from ..filters import VisitFilter
from ..models import Visit


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
