"""The alerts page (预警, ``reports:alerts``): every alert the user sees for a month
(``?month=YYYY-MM``, default and at most the current month), grouped by rule with the number
of rows, each row linking to the thing to do. Roles without alerts get a 404. A fixed number
of queries whatever the data size: each section shows its first ``ROWS_SHOWN`` rows and its
full count.
"""

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import Role
from assessment.views import MONTH_ROLES
from retailers.models import add_months, month_start

from ..alerts import evaluation_day, last_complete_month, shown_month
from ..forms import MonthField
from ..selectors import alerts as selectors
from ..tiers import quarter_label

ROWS_SHOWN = 50


def alerts_month(value) -> date:
    """The month asked for (``YYYY-MM``); the current month when missing, malformed or later."""
    try:
        month = MonthField(required=False).clean(value)
    except ValidationError:
        month = None
    return shown_month(month, timezone.localdate())


@login_required
@require_GET
def alerts(request):
    user = request.user
    if not selectors.sections_for(user):
        raise Http404
    month = alerts_month(request.GET.get("month"))
    counts, rows = selectors.alert_summary(user, month=month, limit=ROWS_SHOWN)
    for proposal in rows.get(selectors.TIER_PROPOSALS, []):
        proposal.quarter_code = quarter_label(proposal.quarter_start)
    today = timezone.localdate()
    current = month == month_start(today)
    sections = [
        {
            "key": key,
            "label": selectors.SECTION_LABELS[key],
            "count": counts[key],
            "rows": rows[key],
            "more": counts[key] - len(rows[key]),
        }
        for key in rows
    ]
    complete = last_complete_month(month, today)
    return render(
        request,
        "reports/alerts.html",
        {
            "month": month,
            "day": evaluation_day(month, today),
            "current": current,
            "complete_month": complete,
            "previous_month": add_months(complete, -1),
            "sections": sections,
            "total": sum(counts.values()),
            "now": timezone.now(),
            "is_manager": user.role == Role.CUSTOMER_MANAGER,
            "can_open_months": user.is_superuser or user.role in MONTH_ROLES,
        },
    )


urlpatterns = [
    path("alerts/", alerts, name="alerts"),
]
