"""Pages for market information, complaints, satisfaction surveys and work plans.

Every object is fetched through ``Model.objects.visible_to(request.user)``: outside the
user's subtree it is a 404. A step the user's role may not take is a 403 (raised by the
service). Writes go through ``visits.services.feedback``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.redirects import redirect_next
from config.pagination import CappedPaginator
from retailers.models import Retailer

from ..forms_feedback import (
    COMPLAINT_ACTION_FORMS,
    CloseForm,
    ComplaintOpenForm,
    InfoReviewForm,
    LeadUpdateForm,
    ResolveForm,
    RespondForm,
    SurveyForm,
    WorkPlanSubmitForm,
)
from ..models import ComplaintStatus, InformationItem, WorkPlan
from ..selectors.feedback import (
    PlanState,
    SatisfactionSurveyFilter,
    WorkPlanFilter,
    complaints_filtered,
    complaints_for,
    information_feed,
    information_filtered,
    surveys_for,
    work_plan_summary,
    work_plans_for,
)
from ..services import feedback as services

PAGE_SIZE = 30
RETAILER_SEARCH_LIMIT = 20


def _page(request, queryset):
    page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _report(request, exc: ValidationError):
    for error in exc.messages:
        messages.error(request, error)


def _form_errors(request, form):
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


# --- Market information -----------------------------------------------------------------------


@login_required
def info_feed(request):
    filterset = information_filtered(user=request.user, params=request.GET, request=request)
    page, query = _page(request, filterset.qs)
    return render(
        request,
        "visits/feedback/info_feed.html",
        {
            "filter": filterset,
            "page": page,
            "query": query,
            "can_review": services.is_feedback_supervisor(request.user),
        },
    )


@login_required
def info_detail(request, pk):
    item = get_object_or_404(information_feed(user=request.user), pk=pk)
    can_review = services.is_feedback_supervisor(request.user)
    return render(
        request,
        "visits/feedback/info_detail.html",
        {
            "item": item,
            "can_review": can_review,
            "can_follow_up": item.is_lead
            and (can_review or item.reported_by_id == request.user.pk),
            "lead_form": LeadUpdateForm(initial={"status": item.lead_status or "following"}),
        },
    )


@login_required
@require_POST
def info_review(request, pk):
    item = get_object_or_404(InformationItem.objects.visible_to(request.user), pk=pk)
    form = InfoReviewForm(request.POST)
    if form.is_valid():
        valid = form.cleaned_data["valid"]
        services.info_review(item=item, user=request.user, valid=valid)
        if valid:
            messages.success(request, _("The information was marked valid."))
        else:
            messages.success(request, _("The information was marked invalid."))
    else:
        _form_errors(request, form)
    return redirect_next(request, reverse("visits:info_detail", args=[item.pk]))


@login_required
@require_POST
def lead_update(request, pk):
    item = get_object_or_404(InformationItem.objects.visible_to(request.user), pk=pk)
    form = LeadUpdateForm(request.POST)
    if form.is_valid():
        try:
            services.lead_update(
                item=item,
                user=request.user,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _report(request, exc)
        else:
            messages.success(request, _("The follow-up was saved."))
    else:
        _form_errors(request, form)
    return redirect("visits:info_detail", pk=item.pk)


# --- Complaints -------------------------------------------------------------------------------


@login_required
def complaint_list(request):
    now = timezone.now()
    overdue_tab = request.GET.get("overdue") in ("true", "1")
    filterset = complaints_filtered(user=request.user, params=request.GET, now=now, request=request)
    page, query = _page(request, filterset.qs)
    return render(
        request,
        "visits/feedback/complaint_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query,
            "overdue_tab": overdue_tab,
            "now": now,
            "statuses": ComplaintStatus.choices,
            "selected_statuses": request.GET.getlist("status"),
            "can_open": services.can_open_complaint(request.user),
        },
    )


def _complaint_context(request, complaint, forms=None):
    user = request.user
    can_handle = services.can_handle_complaint(complaint, user)
    can_close = services.is_feedback_supervisor(user)
    forms = forms or {}
    actions = {}
    if can_handle and complaint.status == ComplaintStatus.OPEN:
        actions["respond"] = forms.get("respond") or RespondForm()
    if can_handle and complaint.status in (ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS):
        actions["resolve"] = forms.get("resolve") or ResolveForm()
    if can_close and complaint.status == ComplaintStatus.RESOLVED:
        actions["close"] = forms.get("close") or CloseForm()
    return {"complaint": complaint, "actions": actions, "now": timezone.now()}


@login_required
def complaint_detail(request, pk):
    complaint = get_object_or_404(complaints_for(user=request.user), pk=pk)
    return render(
        request, "visits/feedback/complaint_detail.html", _complaint_context(request, complaint)
    )


@login_required
def complaint_new(request):
    if not services.can_open_complaint(request.user):
        raise Http404
    visible = Retailer.objects.visible_to(request.user).select_related("territory")
    retailer_pk = request.POST.get("retailer") or request.GET.get("retailer")
    if not retailer_pk:
        q = request.GET.get("q", "").strip()
        results = []
        if q:
            results = list(
                visible.filter(Q(license_no__startswith=q) | Q(shop_name__icontains=q)).order_by(
                    "license_no"
                )[:RETAILER_SEARCH_LIMIT]
            )
        return render(
            request,
            "visits/feedback/complaint_new.html",
            {"q": q, "results": results, "limit": RETAILER_SEARCH_LIMIT},
        )
    try:
        retailer = get_object_or_404(visible, pk=int(retailer_pk))
    except ValueError:
        raise Http404 from None
    if request.method == "POST":
        form = ComplaintOpenForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                complaint = services.complaint_open(
                    retailer=retailer,
                    user=request.user,
                    content=data["content"],
                    opened_at=data["opened_at"],
                    client_id=data["client_id"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The complaint was opened."))
                return redirect("visits:complaint_detail", pk=complaint.pk)
    else:
        form = ComplaintOpenForm()
    return render(
        request, "visits/feedback/complaint_new.html", {"retailer": retailer, "form": form}
    )


def _add_errors(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@require_POST
def complaint_action(request, pk):
    complaint = get_object_or_404(complaints_for(user=request.user), pk=pk)
    action = request.POST.get("action")
    form_class = COMPLAINT_ACTION_FORMS.get(action)
    if form_class is None:
        messages.error(request, _("Unknown action."))
        return redirect("visits:complaint_detail", pk=complaint.pk)
    form = form_class(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "respond":
                services.complaint_respond(
                    complaint=complaint, user=request.user, note=data["note"]
                )
            elif action == "resolve":
                services.complaint_resolve(
                    complaint=complaint, user=request.user, resolution=data["resolution"]
                )
            else:
                services.complaint_close(
                    complaint=complaint, user=request.user, substantiated=data["substantiated"]
                )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The complaint was updated."))
            return redirect("visits:complaint_detail", pk=complaint.pk)
    complaint.refresh_from_db()
    context = _complaint_context(request, complaint, forms={action: form})
    if action not in context["actions"]:
        # The step is no longer offered (e.g. someone else took it): say why at the top.
        _form_errors(request, form)
    return render(request, "visits/feedback/complaint_detail.html", context)


# --- Satisfaction surveys ---------------------------------------------------------------------


@login_required
def survey_list(request):
    can_record = services.is_feedback_supervisor(request.user)
    form = None
    if can_record:
        if request.method == "POST":
            form = SurveyForm(request.POST, user=request.user)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    services.survey_record(
                        retailer=form.retailer,
                        user=request.user,
                        score=data["score"],
                        surveyed_on=data["surveyed_on"],
                        channel=data["channel"],
                        note=data["note"],
                    )
                except ValidationError as exc:
                    _add_errors(form, exc)
                else:
                    messages.success(request, _("The survey answer was recorded."))
                    return redirect("visits:surveys")
        else:
            form = SurveyForm(
                user=request.user,
                initial={"surveyed_on": timezone.localdate(), "channel": "supervisor"},
            )
    elif request.method == "POST":
        raise PermissionDenied
    queryset = surveys_for(user=request.user).order_by("-surveyed_on", "-pk")
    filterset = SatisfactionSurveyFilter(request.GET, queryset=queryset, request=request)
    page, query = _page(request, filterset.qs)
    return render(
        request,
        "visits/feedback/survey_list.html",
        {"filter": filterset, "page": page, "query": query, "form": form},
    )


# --- Work plans -------------------------------------------------------------------------------


@login_required
def work_plan_list(request):
    now = timezone.now()
    queryset = work_plans_for(user=request.user, now=now).order_by(
        "-due_at", "manager__employee_no"
    )
    filterset = WorkPlanFilter(request.GET, queryset=queryset, request=request)
    page, query = _page(request, filterset.qs)
    own = request.user.is_customer_manager
    return render(
        request,
        "visits/feedback/work_plan_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query,
            "own": own,
            "now": now,
            "summary": work_plan_summary(filterset.qs),
            "states": PlanState.choices,
        },
    )


@login_required
@require_POST
def work_plan_submit(request, pk):
    plan = get_object_or_404(WorkPlan.objects.visible_to(request.user), pk=pk)
    form = WorkPlanSubmitForm(request.POST)
    if form.is_valid():
        try:
            services.work_plan_submit(
                plan=plan, user=request.user, content=form.cleaned_data["content"]
            )
        except ValidationError as exc:
            _report(request, exc)
        else:
            messages.success(request, _("The plan was submitted."))
    else:
        _form_errors(request, form)
    return redirect(f"{reverse('visits:work_plans')}#plan-{plan.pk}")


urlpatterns = [
    path("info/", info_feed, name="info_feed"),
    path("info/<int:pk>/", info_detail, name="info_detail"),
    path("info/<int:pk>/review/", info_review, name="info_review"),
    path("info/<int:pk>/follow-up/", lead_update, name="lead_update"),
    path("complaints/", complaint_list, name="complaints"),
    path("complaints/new/", complaint_new, name="complaint_new"),
    path("complaints/<int:pk>/", complaint_detail, name="complaint_detail"),
    path("complaints/<int:pk>/action/", complaint_action, name="complaint_action"),
    path("surveys/", survey_list, name="surveys"),
    path("work-plans/", work_plan_list, name="work_plans"),
    path("work-plans/<int:pk>/submit/", work_plan_submit, name="work_plan_submit"),
]
