"""Pay pages: my pay (customer manager, phone), the pay run (HR/admin), what-if (HR and the
assessment center). A page for other roles, or a row outside the user's scope, is a 404.
Writes go through ``reports.services.pay``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from accounts.selectors import companies_visible_to, company_chosen
from assessment.models import AssessmentMonth, MonthState
from retailers.models import add_months

from ..forms import MonthField, WhatIfForm
from ..models import PayRun, PayRunStatus
from ..selectors import pay as selectors
from ..services import pay as services
from ..sheets import BOX_COLUMNS, LINE_COLUMNS


def _allow(user, roles):
    if not selectors.has_role(user, roles):
        raise Http404


def _month(value):
    try:
        return MonthField(required=False).clean(value)
    except ValidationError:
        return None


def _company(request):
    """The city company the page works on (``?company=``; a city user's own)."""
    company = company_chosen(
        request.user, request.POST.get("company") or request.GET.get("company")
    )
    if company is None:
        raise Http404
    return company


def _latest_published(company):
    latest = (
        AssessmentMonth.objects.filter(company=company, state=MonthState.PUBLISHED)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    return latest or add_months(timezone.localdate(), -1)


def sheet_url(run: PayRun | None) -> str | None:
    """The bonus sheet (xlsx) download of ``run``."""
    if run is None:
        return None
    return (
        reverse("reports:bonus_sheet")
        + f"?month={run.month:%Y-%m}&company={run.company_id}&format=xlsx"
    )


@login_required
def my_pay(request):
    """A customer manager's own pay: the chosen (default: latest) approved month, with its
    explanation, and the history of past runs."""
    user = request.user
    if user.role != Role.CUSTOMER_MANAGER:
        raise Http404
    history = list(selectors.my_lines(user))
    line = history[0] if history else None
    if request.GET.get("month"):
        month = _month(request.GET["month"])
        if month is None:
            raise Http404
        line = next((h for h in history if h.run.month == month), None)
        gap = None if line else selectors.my_pay_gap(user, month)
        if line is None and gap is None:
            raise Http404
    else:
        gap = selectors.my_pay_gap(user)
    context = {"line": line, "history": history, "gap": gap}
    return render(request, "reports/pay_mine.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def pay_run(request):
    """Prepare / re-run / approve a month's pay run and list its lines."""
    user = request.user
    _allow(user, selectors.PAY_ADMIN_ROLES)
    company = _company(request)
    page = reverse("reports:pay_run")
    if request.method == "POST":
        month = _month(request.POST.get("month"))
        if month is None:
            messages.error(request, _("Choose a month."))
            return redirect(f"{page}?company={company.pk}")
        action = request.POST.get("action")
        try:
            if action == "prepare":
                services.pay_run_prepare(month=month, user=user, company=company)
                messages.success(request, _("The pay run has been prepared."))
            elif action == "approve":
                run = PayRun.objects.filter(company=company, month=month).first()
                if run is None:
                    raise Http404
                services.pay_run_approve(run=run, user=user)
                messages.success(request, _("The pay run has been approved."))
        except (ValidationError, PermissionDenied) as exc:
            for error in getattr(exc, "messages", [str(exc)]):
                messages.error(request, error)
        return redirect(f"{page}?company={company.pk}&month={month:%Y-%m}")

    month = _month(request.GET.get("month")) or _latest_published(company)
    runs = PayRun.objects.filter(company=company)
    run = runs.select_related("prepared_by", "approved_by", "scheme").filter(month=month).first()
    published = AssessmentMonth.objects.filter(
        company=company, month=month, state=MonthState.PUBLISHED
    ).exists()
    context = {
        "month": month,
        "run": run,
        "published": published,
        "lines": list(selectors.run_lines(run)) if run else [],
        "totals": selectors.run_totals(run) if run else None,
        "adjustments": list(
            run.adjustments.select_related("manager").order_by(
                "source_month", "manager__employee_no"
            )
        )
        if run
        else [],
        "can_prepare": published and (run is None or run.status == PayRunStatus.PREPARED),
        "can_approve": run is not None
        and run.status == PayRunStatus.PREPARED
        and run.prepared_by_id != user.pk,
        "sheet_url": sheet_url(run),
        # the sheet's own headings for its 箱 columns (一类 (箱) … 合计 (箱))
        "box_headings": [LINE_COLUMNS[key] for key in BOX_COLUMNS],
        "runs": runs.select_related("prepared_by", "approved_by")[:24],
        "company": company,
        "companies": companies_visible_to(user),
        "keep": {"month": f"{month:%Y-%m}"},
    }
    return render(request, "reports/pay_run.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def what_if(request):
    """Current vs draft bonus of every manager of a month's run; nothing is saved."""
    user = request.user
    _allow(user, selectors.WHAT_IF_ROLES)
    company = _company(request)
    result = None
    if request.method == "POST":
        form = WhatIfForm(request.POST)
        if form.is_valid():
            try:
                result = services.what_if(
                    month=form.cleaned_data["month"],
                    user=user,
                    draft=form.cleaned_data["rules"],
                    company=company,
                )
            except ValidationError as exc:
                form.add_error("month", exc.messages)
    else:
        latest_run = PayRun.objects.filter(company=company).values_list("month", flat=True).first()
        month = _month(request.GET.get("month")) or latest_run or _latest_published(company)
        form = WhatIfForm(
            initial=WhatIfForm.initial_for(selectors.scheme_for(month, company), month)
        )
    return render(
        request,
        "reports/pay_what_if.html",
        {
            "form": form,
            "result": result,
            "company": company,
            "companies": companies_visible_to(user),
        },
    )


urlpatterns = [
    path("pay/mine/", my_pay, name="my_pay"),
    path("pay/runs/", pay_run, name="pay_run"),
    path("pay/what-if/", what_if, name="what_if"),
]
