"""Pages of the monthly assessment: scores, inspection entry, appeals, months, coverage, audit.

Rows come from ``Model.objects.visible_to(request.user)``: outside the user's subtree a row
is a 404, and so is a page the user's role may not use (the product's rule for pages).
Writes go through ``assessment.services``.
"""

from datetime import date

from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role, User
from accounts.private_files import private_file_response
from accounts.selectors import companies_visible_to, company_chosen
from config.pagination import CappedPaginator
from jobs.models import JobKind, JobRun
from reports.selectors import dashboards
from retailers.models import parse_month
from visits.models import InformationItem, Validity, Visit, VisitStatus

from . import services
from .audit import audit_rows, audited_models
from .coverage import coverage_report
from .filters import InspectionFilter
from .forms import (
    AppealForm,
    AuditFilterForm,
    BonusForm,
    DecideForm,
    InspectionForm,
    MonthActionForm,
)
from .models import (
    Appeal,
    AppealStatus,
    AppealTarget,
    AssessmentMonth,
    BonusPoint,
    Inspection,
    ManagerScore,
    MonthState,
    blocks_new_appeal,
)
from .selectors import (
    adjustments_later,
    adjustments_received,
    decidable_appeals,
    item_codes_using,
    item_names,
    marked_invalid,
    month_adjustments,
    month_rows,
    ranking_for,
    with_item_names,
)

PAGE_SIZE = 50

INSPECTOR_ROLES = tuple(services.ROLE_LEVEL)
# Rankings, score details, inspections and coverage: a leader (领导) reads them too.
SCORE_VIEWER_ROLES = (*INSPECTOR_ROLES, Role.HR, Role.ADMIN, Role.LEADER)
MONTH_ROLES = (Role.ASSESSMENT_CENTER, Role.ADMIN)
JOBS_SHOWN = 5  # the latest background closes (beat) on the months page
AUDIT_ROLES = (Role.ASSESSMENT_CENTER, Role.ADMIN)
ADJUSTMENT_ROLES = (Role.ASSESSMENT_CENTER, Role.HR, Role.ADMIN)


def late_message(entry) -> str:
    """What a supervisor is told when what they recorded is late data (DOMAIN §4)."""
    return _(
        "Recorded. %(month)s is %(state)s, so it is not rewritten: the next open month's "
        "close carries this as an adjustment (调整)."
    ) % {"month": entry.month.strftime("%Y-%m"), "state": entry.get_month_state_display()}


def _allow(user, roles):
    """A page for other roles does not exist for this user (404)."""
    if not (user.is_superuser or user.role in roles):
        raise Http404


def _page(request, queryset, size=PAGE_SIZE):
    page = CappedPaginator(queryset, size).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _report(request, exc: ValidationError):
    for error in exc.messages:
        messages.error(request, error)


def _add_errors(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _parse_month(value) -> date | None:
    try:
        return parse_month(value)
    except (TypeError, ValueError):
        return None


def appeal_deadline(assessment: AssessmentMonth):
    if assessment.state != MonthState.REVIEW:
        return None
    return assessment.appeal_window_end


# --- Scores -----------------------------------------------------------------------------------


def _latest_appeals():
    return Prefetch("appeals", queryset=Appeal.objects.order_by("-filed_at", "-pk"))


def _with_latest_appeal(rows):
    """Each row (an inspection) with ``appeal``: its latest appeal, or None."""
    rows = list(rows)
    for row in rows:
        appeals = list(row.appeals.all())
        row.appeal = appeals[0] if appeals else None
    return rows


def _score_context(request, score: ManagerScore):
    assessment = score.assessment
    inspections = _with_latest_appeal(
        Inspection.objects.filter(manager_id=score.manager_id, month=assessment.month)
        .select_related("inspector", "visit", "retailer")
        .prefetch_related(_latest_appeals())
        .order_by("inspected_on", "pk")
    )
    deadline = appeal_deadline(assessment)
    may_appeal = (
        request.user.pk == score.manager_id and deadline is not None and timezone.now() <= deadline
    )
    by_item = {}
    for inspection in inspections:
        inspection.has_appeal = inspection.appeal is not None
        inspection.can_appeal = (
            may_appeal
            and not inspection.withdrawn
            and not blocks_new_appeal(inspection.appeal, inspection)
        )
        by_item.setdefault(inspection.item_code, []).append(inspection)
    # Visits and information items marked invalid (or appealed), under the item they count
    # for, each with its appeal button while the manager may appeal (DOMAIN §10.11).
    marked = marked_invalid(score.manager_id, assessment.month)
    for visit in marked.visits:
        visit.can_appeal = (
            may_appeal
            and visit.status == VisitStatus.INVALID
            and not blocks_new_appeal(visit.appeal, visit)
        )
    for info in marked.info_items:
        info.can_appeal = (
            may_appeal
            and info.validity == Validity.INVALID
            and not blocks_new_appeal(info.appeal, info)
        )
    codes = item_codes_using(assessment.scheme, "visits_completed", "info_items")
    visit_codes, info_codes = codes["visits_completed"], codes["info_items"]
    items = list(score.items.all())
    shown_visits = shown_info = False
    for item in items:
        item.inspections = by_item.pop(item.code, [])
        item.invalid_visits = marked.visits if item.code in visit_codes and not shown_visits else []
        item.invalid_info = marked.info_items if item.code in info_codes and not shown_info else []
        shown_visits = shown_visits or bool(item.invalid_visits)
        shown_info = shown_info or bool(item.invalid_info)
    adjustments = adjustments_received(score)
    for line in adjustments:
        for inspection in line.inspections:
            inspection.has_appeal = inspection.appeal is not None
            inspection.can_appeal = (
                may_appeal
                and not inspection.withdrawn
                and not blocks_new_appeal(inspection.appeal, inspection)
            )
    return {
        "score": score,
        "assessment": assessment,
        "deadline": deadline,
        "items": items,
        "adjustments": adjustments,
        "clamped": score.base_total + score.adjustment != score.total,
        "later_adjustments": adjustments_later(score),
        "other_inspections": [i for rest in by_item.values() for i in rest],
        "other_invalid_visits": [] if shown_visits else marked.visits,
        "other_invalid_info": [] if shown_info else marked.info_items,
        "bonuses": BonusPoint.objects.filter(
            manager_id=score.manager_id, month=assessment.month
        ).select_related("granted_by"),
    }


@login_required
def my_score(request):
    if not request.user.is_customer_manager:
        raise Http404
    scores = ManagerScore.objects.filter(manager=request.user).select_related(
        "assessment", "assessment__scheme", "manager"
    )
    months = [s.assessment.month for s in scores.order_by("-assessment__month")]
    month = _parse_month(request.GET.get("month")) or (months[0] if months else None)
    score = scores.filter(assessment__month=month).first() if month else None
    if month and score is None and request.GET.get("month"):
        raise Http404
    context = _score_context(request, score) if score else {"score": None}
    return render(
        request,
        "assessment/score.html",
        {**context, "months": months, "own": True},
    )


@login_required
def score_detail(request, pk):
    score = get_object_or_404(
        ManagerScore.objects.visible_to(request.user).select_related(
            "assessment", "assessment__scheme", "manager", "manager__org_unit", "territory"
        ),
        pk=pk,
    )
    context = _score_context(request, score)
    return render(
        request,
        "assessment/score.html",
        {**context, "own": request.user.pk == score.manager_id},
    )


@login_required
def ranking(request):
    _allow(request.user, SCORE_VIEWER_ROLES)
    ranking = ranking_for(request.user, request.GET, request=request)
    page, query = _page(request, ranking.filterset.qs)
    # The scope's average is the dashboard's figure (one number everywhere).
    unit = (
        ranking.filterset.form.cleaned_data.get("org_unit") if ranking.filterset.is_bound else None
    )
    scope = dashboards.scope_for(request.user, unit_id=unit.pk if unit else None)
    average = dashboards.average_score(scope, ranking.month) if scope and ranking.month else None
    rows = list(page.object_list)
    for row in rows:
        row.by_code = {item.code: item for item in row.items.all()}
        row.cells = [row.by_code.get(code) for code, _name in ranking.columns]
    return render(
        request,
        "assessment/ranking.html",
        {
            "filter": ranking.filterset,
            "page": page,
            "rows": rows,
            "query": query,
            "months": ranking.months,
            "month": ranking.month,
            "assessment": ranking.assessment,
            "columns": ranking.columns,
            "order": ranking.order,
            "average": average,
        },
    )


# --- Inspections and bonus points -------------------------------------------------------------


@login_required
def inspect(request):
    _allow(request.user, INSPECTOR_ROLES)
    user = request.user
    kind = request.POST.get("kind") if request.method == "POST" else None
    form = InspectionForm(
        request.POST if kind == "inspection" else None,
        request.FILES if kind == "inspection" else None,
        user=user,
    )
    bonus_form = BonusForm(request.POST if kind == "bonus" else None, user=user)
    if kind == "inspection" and form.is_valid():
        data = form.cleaned_data
        try:
            inspection = services.inspection_record(
                inspector=user,
                manager_id=data["manager"],
                inspected_on=data["inspected_on"],
                item_code=data["item_code"],
                points=data["points"],
                reason=data["reason"],
                visit=data["visit"],
                retailer=data["license_no"],
                photo=data["photo"],
            )
        except User.DoesNotExist:
            raise Http404 from None
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if inspection.late is not None:
                messages.success(request, late_message(inspection.late))
            else:
                messages.success(request, _("The deduction was recorded."))
            return redirect("assessment:inspect")
    elif kind == "bonus" and bonus_form.is_valid():
        data = bonus_form.cleaned_data
        try:
            bonus = services.bonus_grant(
                user=user,
                manager_id=data["manager"],
                day=data["day"],
                points=data["points"],
                reason=data["reason"],
            )
        except User.DoesNotExist:
            raise Http404 from None
        except ValidationError as exc:
            _add_errors(bonus_form, exc)
        else:
            if bonus.late is not None:
                messages.success(request, late_message(bonus.late))
            else:
                messages.success(request, _("The bonus points were recorded."))
            return redirect("assessment:inspect")
    recent = with_item_names(
        Inspection.objects.filter(inspector=user)
        .select_related("manager")
        .order_by("-created_at", "-pk")[:10]
    )
    return render(
        request,
        "assessment/inspect.html",
        {
            "form": form,
            "bonus_form": bonus_form,
            "kind": kind,
            "recent": recent,
            "level": services.ROLE_LEVEL.get(user.role),
        },
    )


@login_required
@require_GET
def inspection_photo(request, pk):
    """An inspection's evidence photo, for those who may see the inspection (404 otherwise)."""
    inspection = get_object_or_404(Inspection.objects.visible_to(request.user), pk=pk)
    return private_file_response(inspection.photo, inline=True)


@login_required
def inspection_list(request):
    _allow(request.user, SCORE_VIEWER_ROLES)
    queryset = (
        Inspection.objects.visible_to(request.user)
        .select_related("manager", "manager__org_unit", "inspector", "visit")
        .prefetch_related(_latest_appeals())
        .order_by("-inspected_on", "-pk")
    )
    filterset = InspectionFilter(request.GET, queryset=queryset, request=request)
    page, query = _page(request, filterset.qs)
    page.object_list = with_item_names(_with_latest_appeal(page.object_list))
    items = sorted(item_names().items(), key=lambda item: item[1])
    return render(
        request,
        "assessment/inspection_list.html",
        {"filter": filterset, "page": page, "query": query, "items": items},
    )


# --- Appeals ----------------------------------------------------------------------------------


def _file_appeal(request, *, target: dict, context: dict):
    """The appeal form for one target (``{"inspection": …}``, ``{"visit": …}`` or
    ``{"info_item": …}``), already scoped to the user; another manager's target is a 404."""
    form = AppealForm(request.POST or None)
    month = Appeal.target_fields(**target)["month"]
    back = f"{reverse('assessment:my_score')}?month={month.isoformat()}"
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_file(user=request.user, reason=form.cleaned_data["reason"], **target)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Your appeal was filed."))
            return redirect(back)
    return render(request, "assessment/appeal_form.html", {**context, "form": form, "back": back})


@login_required
def appeal_file(request, pk):
    inspection = get_object_or_404(
        Inspection.objects.visible_to(request.user).select_related("inspector"), pk=pk
    )
    if inspection.manager_id != request.user.pk:
        raise Http404
    inspection.item_name = item_names().get(inspection.item_code, inspection.item_code)
    return _file_appeal(
        request, target={"inspection": inspection}, context={"inspection": inspection}
    )


@login_required
def appeal_visit(request, pk):
    """Appeal a visit marked invalid: only the manager who made it (others: 404)."""
    visit = get_object_or_404(
        Visit.objects.visible_to(request.user).select_related("retailer", "reviewed_by"), pk=pk
    )
    if visit.manager_id != request.user.pk:
        raise Http404
    return _file_appeal(request, target={"visit": visit}, context={"visit": visit})


@login_required
def appeal_info_item(request, pk):
    """Appeal an information item marked invalid: only the manager who reported it."""
    item = get_object_or_404(
        InformationItem.objects.visible_to(request.user).select_related("reviewed_by"), pk=pk
    )
    if item.reported_by_id != request.user.pk:
        raise Http404
    return _file_appeal(request, target={"info_item": item}, context={"info_item": item})


@login_required
def appeal_list(request):
    user = request.user
    if user.is_customer_manager:
        queryset = Appeal.objects.visible_to(user)
        deciding = False
    else:
        _allow(user, INSPECTOR_ROLES)
        queryset = decidable_appeals(user)
        deciding = True
    queryset = queryset.select_related(
        "manager",
        "marked_by",
        "decided_by",
        "inspection",
        "inspection__inspector",
        "visit",
        "visit__retailer",
        "info_item",
    ).order_by("-filed_at", "-pk")
    page, query = _page(request, queryset)
    names = item_names() if page.object_list else {}
    for appeal in page.object_list:
        if appeal.inspection_id:
            code = appeal.inspection.item_code
            appeal.inspection.item_name = names.get(code, code)
    return render(
        request,
        "assessment/appeals.html",
        {"page": page, "query": query, "deciding": deciding, "form": DecideForm()},
    )


ACCEPTED_MESSAGES = {
    AppealTarget.INSPECTION: gettext_lazy("The appeal was accepted; the deduction is withdrawn."),
    AppealTarget.VISIT: gettext_lazy("The appeal was accepted; the visit counts again."),
    AppealTarget.INFO_ITEM: gettext_lazy(
        "The appeal was accepted; the information item counts again."
    ),
}


@login_required
@require_POST
def appeal_decide(request, pk):
    appeal = get_object_or_404(
        decidable_appeals(request.user).select_related("inspection", "visit", "info_item"),
        pk=pk,
    )
    form = DecideForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("assessment:appeals")
    try:
        services.appeal_decide(
            appeal=appeal,
            user=request.user,
            accept=form.cleaned_data["decision"] == "accept",
            reason=form.cleaned_data["reason"],
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        _report(request, exc)
    else:
        if appeal.status == AppealStatus.ACCEPTED:
            messages.success(request, ACCEPTED_MESSAGES[appeal.target_kind])
        else:
            messages.success(request, _("The appeal was rejected."))
    return redirect("assessment:appeals")


# --- Months -----------------------------------------------------------------------------------


@login_required
def months(request):
    _allow(request.user, MONTH_ROLES)
    company = company_chosen(
        request.user, request.POST.get("company") or request.GET.get("company")
    )
    if company is None:
        raise Http404
    page = f"{reverse('assessment:months')}?company={company.pk}"
    if request.method == "POST":
        form = MonthActionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a month and an action."))
            return redirect(page)
        month = form.cleaned_data["month"]
        action = form.cleaned_data["action"]
        if action == "publish" and not form.cleaned_data["confirm"]:
            return redirect(f"{page}&confirm={month:%Y-%m}#confirm")  # the confirm step
        label = {"month": month.strftime("%Y-%m"), "company": company.name}
        try:
            if action == "close":
                result = services.month_close(month=month, company=company)
                messages.success(
                    request,
                    _("%(company)s %(month)s computed: %(n)s managers.")
                    % {**label, "n": result["managers"]},
                )
            elif action == "review":
                services.month_start_review(month=month, company=company, user=request.user)
                messages.success(request, _("%(company)s %(month)s is open for appeals.") % label)
            elif action == "send_back":
                services.month_send_back(
                    month=month,
                    company=company,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, _("%(company)s %(month)s is back to draft.") % label)
            else:
                services.month_publish(month=month, company=company, user=request.user)
                messages.success(request, _("%(company)s %(month)s is published.") % label)
        except services.MonthBusy as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            _report(request, exc)
        return redirect(page)
    today = timezone.localdate()
    rows = month_rows(company, today=today)
    confirm_month = _parse_month(request.GET.get("confirm"))
    confirm = next(
        (r for r in rows if r.month == confirm_month and r.state == MonthState.REVIEW), None
    )
    # Inside the appeal window (or with appeals pending) the step says why and from when,
    # instead of offering a button that the service would refuse.
    refusal = services.publish_refusal(confirm.record) if confirm else None
    return render(
        request,
        "assessment/months.html",
        {
            "rows": rows,
            "confirm": confirm,
            "refusal": refusal,
            "now": timezone.now(),
            "jobs": JobRun.objects.filter(kind=JobKind.CLOSE, company=company)[:JOBS_SHOWN],
            "default_month": today.replace(day=1),
            "states": MonthState,
            "company": company,
            "companies": companies_visible_to(request.user),
        },
    )


# --- Coverage ---------------------------------------------------------------------------------


@login_required
def coverage(request):
    _allow(request.user, SCORE_VIEWER_ROLES)
    month = _parse_month(request.GET.get("month")) or timezone.localdate().replace(day=1)
    report = coverage_report(user=request.user, month=month)
    return render(request, "assessment/coverage.html", {"report": report, "month": month})


# --- Audit trail ------------------------------------------------------------------------------


@login_required
def audit(request):
    _allow(request.user, AUDIT_ROLES)
    types = ContentType.objects.get_for_models(*audited_models())
    choices = sorted(
        ((str(ct.pk), str(model._meta.verbose_name_plural)) for model, ct in types.items()),
        key=lambda choice: choice[1],
    )
    form = AuditFilterForm(request.GET or None, models=choices)
    queryset = LogEntry.objects.filter(content_type__in=list(types.values()))
    if form.is_valid():
        data = form.cleaned_data
        if data["model"]:
            queryset = queryset.filter(content_type_id=data["model"])
        if data["date_from"]:
            queryset = queryset.filter(timestamp__date__gte=data["date_from"])
        if data["date_to"]:
            queryset = queryset.filter(timestamp__date__lte=data["date_to"])
    queryset = queryset.select_related("actor", "content_type").order_by("-timestamp", "-pk")
    page, query = _page(request, queryset)
    page.object_list = audit_rows(page.object_list)
    return render(request, "assessment/audit.html", {"form": form, "page": page, "query": query})


@login_required
def adjustments(request):
    """Late data of a city's month and what it did (DOMAIN §4): the 调整 lines the month
    received, the 补发/扣回 of its pay run, the late data dated in it, and the late data
    waiting for the next open month's close. Assessment center, HR, admin."""
    _allow(request.user, ADJUSTMENT_ROLES)
    company = company_chosen(request.user, request.GET.get("company"))
    if company is None:
        raise Http404
    months = list(
        AssessmentMonth.objects.filter(company=company)
        .order_by("-month")
        .values_list("month", flat=True)
    )
    month = _parse_month(request.GET.get("month")) or (months[0] if months else None)
    found = month_adjustments(request.user, company, month) if month else None
    return render(
        request,
        "assessment/adjustments.html",
        {
            "company": company,
            "companies": companies_visible_to(request.user),
            "months": months,
            "month": month,
            "found": found,
        },
    )
