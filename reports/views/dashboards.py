"""The dashboard page (驾驶舱, DOMAIN.md §8): where a leader or a supervisor starts the day.

``/dashboard/?unit=<org unit id>`` or ``?manager=<user id>``, and ``?month=YYYY-MM`` (default:
the user's own scope, this month); a scope outside the user's subtree is a 404, and so is the
page for roles that have their own home pages (HR, customer managers).

Every figure comes from ``reports.selectors.dashboards``, the functions the API
(``/api/v1/dashboard/``) serves, so the page and the API show the same numbers. This module
only arranges them: KPI cards with their changes and the links to the rows behind them, the
charts' data for ``static/js/dashboard.js`` (``json_script``), and the drill-down one level
down. The number of queries does not depend on the size of the scope.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts.models import SUPERVISOR_ROLES, OrgKind, Role
from retailers.models import Retailer, RetailerStatus, add_months, month_start

from ..api.dashboards import scope_and_month
from ..selectors import dashboards as selectors
from ..selectors.home import todo_for

# Supervisors of the three levels, admins and leaders (领导); HR and customer managers have
# their own home pages.
DASHBOARD_ROLES = (*SUPERVISOR_ROLES, Role.ADMIN, Role.LEADER)
MONTHS_OFFERED = 13
RETAILERS_PER_PAGE = 20
# Report pages other areas may add; a card links to them once they exist.
VISIT_COMPLETION_URL = "reports:visit_completion"
CLASS_CHANGES_URL = "reports:class_changes"

LEVEL_LABELS = {
    "province": OrgKind.PROVINCE.label,
    "company": OrgKind.COMPANY.label,
    "center": OrgKind.MARKETING_CENTER.label,
    "department": OrgKind.SERVICE_DEPARTMENT.label,
    "manager": Role.CUSTOMER_MANAGER.label,
}
# The drill-down table's heading, by the level of its rows.
CHILD_LABELS = {
    "company": _("City companies"),
    "center": _("Marketing centers"),
    "department": _("Service departments"),
    "manager": _("Customer managers"),
}
MONTH_STATES = {
    None: _("Not computed"),
    "draft": _("Draft"),
    "review": _("In review"),
    "published": _("Published"),
}
# Figures shown as shares: their changes are in percentage points.
RATIOS = {
    "sales_completion",
    "key_completion",
    "visit_completion",
    "coverage_l3",
    "coverage_l2",
    "coverage_l1",
}
PLACES = {"sales_boxes": 2, "key_boxes": 2, "satisfaction_mean": 2, "score_mean": 2}
# Figures where a rise is bad news (the colour of their change).
LOWER_IS_BETTER = {"complaints_open", "complaints_overdue"}


def can_view_dashboard(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in DASHBOARD_ROLES)


@login_required
def dashboard(request):
    user = request.user
    if not can_view_dashboard(user):
        raise Http404
    try:
        scope, month = scope_and_month(request, request.GET)
    except ValidationError as exc:
        raise Http404 from exc
    kpis = selectors.kpis(scope, month)
    children = selectors.children(scope, month)
    child_level = selectors.CHILD.get(scope.level, ("", ""))[1]
    context = {
        "scope": scope,
        "month": kpis.month,
        "months": month_choices(kpis.month, timezone.localdate()),
        "breadcrumbs": [
            {"name": crumb.name, "url": dashboard_url(crumb, kpis.month)}
            for crumb in selectors.breadcrumbs(user, scope)
        ],
        "kpis": kpis,
        "now": kpis.current,
        "has_data": kpis.current.managers > 0,
        "is_current": kpis.month >= month_start(timezone.localdate()),
        "states": month_states(kpis, children),
        "changes": display_changes(kpis),
        "coverage": coverage_rows(kpis),
        "links": row_links(scope, kpis.month),
        "children": [
            {
                "scope": child.scope,
                "figures": child.figures,
                "url": dashboard_url(child.scope, month),
            }
            for child in children
        ],
        "level_label": LEVEL_LABELS[scope.level],
        "child_level": child_level,
        "child_label": CHILD_LABELS.get(child_level),
        "charts": chart_data(scope, kpis, children),
        # What needs doing today: the user's own to-dos, whatever scope they look at.
        "todo": todo_for(user),
        "todo_at": timezone.now(),
    }
    if scope.manager is not None:
        context["retailers"] = retailer_page(request, scope)
        query = {**scope.param, "month": f"{kpis.month:%Y-%m}"}
        context["retailer_query"] = urlencode(query)
    return render(request, "reports/dashboard.html", context)


def dashboard_url(scope, month: date) -> str:
    query = urlencode({**scope.param, "month": f"{month:%Y-%m}"})
    return f"{reverse('reports:dashboard')}?{query}"


def month_choices(selected: date, today: date) -> list[date]:
    first = month_start(today)
    months = [add_months(first, -k) for k in range(MONTHS_OFFERED)]
    if selected not in months:
        months = sorted([*months, selected], reverse=True)
    return months


def month_states(kpis, children) -> list[dict]:
    """Each city's state of the month; a province lists its cities (one level down), and a
    city without an assessment month yet shows 未计算."""
    states = {row["company_id"]: row for row in kpis.month_states}
    cities = {pk: row["company"] for pk, row in states.items()}
    if kpis.scope.level == "province":
        cities = {child.scope.unit.pk: child.scope.name for child in children} | cities
    result = []
    for pk, name in cities.items():
        state = states.get(pk, {}).get("state")
        result.append({"company": name, "state": state, "label": MONTH_STATES.get(state)})
    return result


def _change(name: str, delta: Decimal | None) -> dict:
    ratio = name in RATIOS
    if delta is None:
        return {"value": None, "places": 0, "unit": "", "tone": "none", "arrow": ""}
    value = delta * 100 if ratio else delta
    good = delta < 0 if name in LOWER_IS_BETTER else delta > 0
    return {
        "value": value,
        "places": 1 if ratio else PLACES.get(name, 0),
        "unit": _("pp") if ratio else "",
        "tone": "flat" if delta == 0 else ("good" if good else "bad"),
        "arrow": "" if delta == 0 else ("▲" if delta > 0 else "▼"),
    }


def display_changes(kpis) -> dict:
    """{figure: {"previous_month": change, "last_year": change}} for the cards: a share's
    change in percentage points, an arrow for the direction and a tone for good or bad."""
    return {
        name: {against: _change(name, delta) for against, delta in changes.items()}
        for name, changes in kpis.changes.items()
    }


def coverage_rows(kpis) -> list[dict]:
    """Supervision coverage per level against its minimum (DOMAIN.md §4)."""
    changes = display_changes(kpis)
    rows = []
    for level, label in ((3, _("Level 3")), (2, _("Level 2")), (1, _("Level 1"))):
        name = f"coverage_l{level}"
        value, minimum = getattr(kpis.current, name), kpis.minimums[name]
        rows.append(
            {
                "name": name,
                "label": label,
                "value": value,
                "minimum": minimum,
                "met": value is not None and value >= minimum,
                "changes": changes[name],
            }
        )
    return rows


def _url(name: str, **query) -> str | None:
    """The URL of a page with its filters, or None when the page does not exist (yet)."""
    try:
        url = reverse(name)
    except NoReverseMatch:
        return None
    query = {key: value for key, value in query.items() if value not in (None, "")}
    return f"{url}?{urlencode(query, doseq=True)}" if query else url


def row_links(scope, month: date) -> dict:
    """The pages that list the rows behind each card, filtered to the scope and month."""
    last = add_months(month, 1) - timedelta(days=1)
    dates = {"date_from": month.isoformat(), "date_to": last.isoformat()}
    manager = scope.manager
    territory = getattr(manager, "territory", None) if manager else None
    territory_id = territory.pk if territory else None
    unit = None if manager else scope.unit.pk
    by_unit = {"org_unit": unit, "territory": territory_id}
    # The report pages filter by org unit: a manager's rows are found in their department.
    report_unit = manager.org_unit_id if manager else unit
    completion = _url(VISIT_COMPLETION_URL, month=f"{month:%Y-%m}", org_unit=report_unit)
    return {
        "ranking": _url(
            "assessment:ranking",
            month=month.isoformat(),
            org_unit=unit,
            manager=manager.pk if manager else None,
        ),
        "shelf": _url(
            "visits:shelf_rates",
            month=f"{month:%Y-%m}",
            unit=unit,
            territory=territory_id,
            new=1,
        ),
        "visits": completion or _url("visits:list", territory=territory_id, **dates),
        "info": _url(
            "visits:info_feed",
            org_unit=unit,
            reported_by=manager.pk if manager else None,
            **dates,
        ),
        "complaints_open": _url("visits:complaints", status=["open", "in_progress"], **by_unit),
        "complaints_overdue": _url("visits:complaints", overdue="true", **by_unit),
        "surveys": _url("visits:surveys", **by_unit, **dates),
        "coverage": _url("assessment:coverage", month=f"{month:%Y-%m}"),
        "classes": _url(
            CLASS_CHANGES_URL, month=f"{month:%Y-%m}", org_unit=unit, territory=territory_id
        ),
        **{
            f"retailers_{status}": _url("retailers:list", status=status, territory=territory_id)
            for status in RetailerStatus.values
        },
    }


def _number(value) -> float | None:
    return None if value is None else float(value)


def _pct(value) -> float | None:
    return None if value is None else float(round(Decimal(value) * 100, 1))


def chart_data(scope, kpis, children) -> dict:
    """What ``static/js/dashboard.js`` draws, as plain numbers (shares in %)."""
    month, now = kpis.month, kpis.current
    trend = selectors.trend(scope, month)
    heatmap = selectors.shelf_heatmap(scope, month)
    urls = {child.scope.name: dashboard_url(child.scope, month) for child in children}
    scopes, brands = heatmap["scopes"], heatmap["brands"]
    return {
        "labels": {
            "sales": str(_("Sales (boxes)")),
            "target": str(_("Target (boxes)")),
            "score": str(_("Average score")),
            "completion": str(_("Sales completion (%)")),
            "rate": str(_("Shelf rate (%)")),
            "coverage": str(_("Coverage (%)")),
            "minimum": str(_("Minimum")),
            "managers": str(_("Managers")),
            "items": str(_("Items")),
            "retailers": str(_("Retailers")),
            "classes": [str(_("Class A")), str(_("Class B")), str(_("Class C"))],
            "moves": [str(_("Moved up")), str(_("Moved down"))],
            "drill": str(_("Click a bar to open it")),
        },
        "trend": {
            "months": [f"{row['month']:%Y-%m}" for row in trend],
            "sales": [_number(row["sales_boxes"]) for row in trend],
            "target": [_number(row["target_boxes"]) for row in trend],
            "score": [_number(row["score_mean"]) for row in trend],
        },
        "children": {
            "names": [child.scope.name for child in children],
            "completion": [_pct(child.figures.sales_completion) for child in children],
            "sales": [_number(child.figures.sales_boxes) for child in children],
            "urls": [urls[child.scope.name] for child in children],
        },
        "heatmap": {
            "brands": brands,
            "scopes": scopes,
            "cells": [
                [scopes.index(cell["scope"]), brands.index(cell["brand"]), _pct(cell["rate"])]
                for cell in heatmap["cells"]
            ],
            "urls": [urls.get(name) for name in scopes],
        },
        "classes": [now.class_a, now.class_b, now.class_c],
        "moves": [now.class_up, now.class_down],
        "scores": [
            {"band": row["band"], "managers": row["managers"]}
            for row in selectors.score_distribution(scope, month)
        ],
        "coverage": [
            {
                "level": str(row["label"]),
                "value": _pct(row["value"]),
                "minimum": _pct(row["minimum"]),
            }
            for row in coverage_rows(kpis)
        ],
        "information": [
            {"type": row["label"], "items": row["items"]}
            for row in selectors.information_by_type(scope, month)
        ],
    }


def retailer_page(request, scope):
    """A manager's retailers (a scoped query, one page of them) with links to their cards."""
    territory = getattr(scope.manager, "territory", None)
    if territory is None:
        return None
    retailers = (
        Retailer.objects.visible_to(request.user)
        .filter(territory=territory)
        .order_by("shop_name", "pk")
    )
    return Paginator(retailers, RETAILERS_PER_PAGE).get_page(request.GET.get("page"))


urlpatterns = [path("dashboard/", dashboard, name="dashboard")]
