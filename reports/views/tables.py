"""The report pages of DOMAIN.md §8 that are tables of their own; each shows the ``Table`` its
export writes (``reports.selectors.tables``), a page at a time, with an "Export to Excel"
link carrying the same query string.

URLs (app name ``reports``): ``reports:visit_completion``, ``reports:class_changes``,
``reports:shelf_gaps`` (the retailers behind a 上柜率 row), ``reports:order_anomalies``.
A role that may not see a page, and a scope outside the user's subtree, get 404.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from retailers.filters import Direction
from retailers.models import Brand, RetailerClass

from ..selectors.tables import report_table
from ..tables import ReportNotFound

PAGE_SIZE = 50


def table_page(request, code: str, template: str, **context):
    """Render report ``code``'s table for the request's filters, one page at a time."""
    report = report_table(code)
    if not report.allowed(request.user):
        raise Http404
    try:
        table = report.build(request.user, request.GET)
    except ReportNotFound:
        raise Http404 from None
    page = Paginator(table.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        template,
        {
            **table.extra,
            **context,
            "report": report,
            "table": table,
            "page": page,
            "query": query.urlencode(),
        },
    )


@login_required
@require_GET
def visit_completion(request):
    return table_page(request, "visit_completion", "reports/visit_completion.html")


@login_required
@require_GET
def class_changes(request):
    return table_page(
        request,
        "class_changes",
        "reports/class_changes.html",
        classes=RetailerClass.choices,
        directions=Direction.choices,
    )


@login_required
@require_GET
def shelf_gaps(request):
    return table_page(
        request,
        "shelf_gaps",
        "reports/shelf_gaps.html",
        brands=Brand.objects.visible_to(request.user).order_by("price_class", "code"),
        classes=RetailerClass.choices,
    )


@login_required
@require_GET
def order_anomalies(request):
    return table_page(request, "order_anomalies", "reports/order_anomalies.html")


urlpatterns = [
    path("reports/visit-completion/", visit_completion, name="visit_completion"),
    path("reports/class-changes/", class_changes, name="class_changes"),
    path("reports/shelf-gaps/", shelf_gaps, name="shelf_gaps"),
    path("reports/order-anomalies/", order_anomalies, name="order_anomalies"),
]
