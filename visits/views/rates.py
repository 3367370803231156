"""上柜率 report: observed and order-based rates by brand, drilling down the org tree.

Figures come from the monthly rollup (``ShelfRateRollup``), refreshed nightly by Celery;
an admin or the assessment center can refresh a month now.
"""

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.selectors import companies_visible_to
from retailers.models import Brand, add_months, month_start

from ..forms_rates import SCOPE_PARAMS, MonthField, shelf_rate_query
from ..selectors.rates import rate_breadcrumbs, shelf_rate_report
from ..tasks import refresh_shelf_rates

REFRESH_ROLES = (Role.ADMIN, Role.ASSESSMENT_CENTER)
MONTHS_OFFERED = 13


def can_refresh(user) -> bool:
    return user.is_superuser or user.role in REFRESH_ROLES


def month_choices(selected: date, today: date) -> list[date]:
    first = month_start(today)
    months = [add_months(first, -k) for k in range(MONTHS_OFFERED)]
    if selected not in months:
        months.append(selected)
        months.sort(reverse=True)
    return months


@login_required
def shelf_rates(request):
    user = request.user
    query = shelf_rate_query(user, request.GET)
    if query.refused:
        raise Http404
    form, month, scope = query.form, query.month, query.scope
    report = None
    if scope is not None:
        report = shelf_rate_report(
            user,
            scope=scope,
            month=month,
            abc_class=query.abc_class,
            brand_id=query.brand_id,
            new_only=query.new_only,
        )
    # Filters without the scope, for the drill-down and breadcrumb links.
    filters = request.GET.copy()
    for name in SCOPE_PARAMS:
        filters.pop(name, None)
    context = {
        "form": form,
        "report": report,
        "breadcrumbs": rate_breadcrumbs(user, scope) if scope else [],
        "month": month,
        "months": month_choices(month, timezone.localdate()),
        "brands": Brand.objects.visible_to(user).order_by("price_class", "code"),
        "selected_class": query.abc_class,
        "selected_brand": query.brand_id,
        "new_only": query.new_only,
        "filters": filters.urlencode(),
        "query": request.GET.urlencode(),
        "can_refresh": can_refresh(user),
        "companies": companies_visible_to(user),
    }
    return render(request, "visits/rates/shelf_rates.html", context)


class RefreshForm(forms.Form):
    month = MonthField()
    query = forms.CharField(required=False)


@login_required
@require_POST
def shelf_rates_refresh(request):
    if not can_refresh(request.user):
        raise Http404
    form = RefreshForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a month to refresh."))
        return redirect("visits:shelf_rates")
    month = form.cleaned_data["month"]
    refresh_shelf_rates.delay(month.isoformat())
    messages.success(
        request,
        _("The shelf-placement figures of %(month)s are being recomputed.")
        % {"month": month.strftime("%Y-%m")},
    )
    query = QueryDict(form.cleaned_data["query"]).urlencode()
    url = reverse("visits:shelf_rates")
    return redirect(f"{url}?{query}" if query else url)


urlpatterns = [
    path("shelf-rates/", shelf_rates, name="shelf_rates"),
    path("shelf-rates/refresh/", shelf_rates_refresh, name="shelf_rates_refresh"),
]
