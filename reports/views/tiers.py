"""Pages of the quarterly tier review (admins) and of tier history (a manager and the people
above them). Rows come from ``Model.objects.visible_to(request.user)``; outsiders and roles
the page is not for get a 404. Writes go through ``reports.services.tiers``.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import SUPERVISOR_ROLES, Role, User
from accounts.selectors import companies_visible_to, company_chosen
from assessment.models import AssessmentMonth
from retailers.models import month_start

from ..models import ManagerTier, ProposalStatus, TierProposal
from ..services import tiers as tier_services
from ..tiers import (
    last_complete_quarter,
    parse_quarter,
    quarter_label,
    quarter_months,
    quarter_start_of,
)

FLAG_LABELS = {
    "training": gettext_lazy("Training"),
    "probation_extended": gettext_lazy("Probation extended"),
}
QUARTERS_LISTED = 8
# Tier history: a manager and the people above them; not a leader (tiers are pay).
HISTORY_ROLES = (Role.CUSTOMER_MANAGER, *SUPERVISOR_ROLES, Role.HR, Role.ADMIN)


def _admin_only(user):
    if not tier_services.is_tier_admin(user):
        raise Http404


def _quarter_choices(selected):
    latest = last_complete_quarter(timezone.localdate())
    recorded = TierProposal.objects.order_by().values_list("quarter_start", flat=True).distinct()
    starts = {selected, latest, *recorded}
    step = latest
    for _i in range(QUARTERS_LISTED - 1):
        step = quarter_start_of(step - timedelta(days=1))
        starts.add(step)
    return [(quarter_label(s), s) for s in sorted(starts, reverse=True)]


def _with_flags(proposals):
    for proposal in proposals:
        proposal.flag_label = FLAG_LABELS.get(proposal.flag, proposal.flag)
    return proposals


def _redirect_to(quarter_start, company):
    return redirect(
        f"{reverse('reports:tier_review')}?company={company.pk}"
        f"&quarter={quarter_label(quarter_start)}"
    )


@login_required
def tier_review(request):
    _admin_only(request.user)
    source = request.POST if request.method == "POST" else request.GET
    quarter = parse_quarter(source.get("quarter", "")) or last_complete_quarter(
        timezone.localdate()
    )
    company = company_chosen(request.user, source.get("company"))
    if company is None:
        raise Http404
    if request.method == "POST":
        try:
            summary = tier_services.tiers_review(quarter_start=quarter, company=company)
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        else:
            messages.success(
                request,
                _(
                    "%(quarter)s reviewed: %(managers)s managers, %(created)s new proposals, "
                    "%(updated)s updated, %(removed)s withdrawn."
                )
                % summary,
            )
        return _redirect_to(quarter, company)
    proposals = _with_flags(
        list(
            TierProposal.objects.visible_to(request.user)
            .filter(quarter_start=quarter, manager__org_unit__company=company)
            .select_related("manager", "manager__org_unit", "decided_by")
            .order_by("status", "manager__org_unit__path", "manager__employee_no")
        )
    )
    states = dict(
        AssessmentMonth.objects.filter(
            company=company, month__in=quarter_months(quarter)
        ).values_list("month", "state")
    )
    months = [(m, states.get(m)) for m in quarter_months(quarter)]
    return render(
        request,
        "reports/tiers_review.html",
        {
            "quarter": quarter,
            "quarter_code": quarter_label(quarter),
            "quarters": _quarter_choices(quarter),
            "months": months,
            "ready": all(state == "published" for _m, state in months),
            "proposals": proposals,
            "pending": sum(p.status == ProposalStatus.PROPOSED for p in proposals),
            "company": company,
            "companies": companies_visible_to(request.user),
            "keep": {"quarter": quarter_label(quarter)},
        },
    )


@login_required
@require_POST
def tier_decide(request, pk):
    _admin_only(request.user)
    proposal = get_object_or_404(TierProposal.objects.visible_to(request.user), pk=pk)
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        messages.error(request, _("Choose approve or reject."))
        return _redirect_to(proposal.quarter_start, proposal.manager.company)
    try:
        tier_services.proposal_decide(
            proposal=proposal,
            user=request.user,
            approve=decision == "approve",
            note=request.POST.get("note", ""),
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    else:
        if decision == "approve":
            messages.success(
                request,
                _("Approved for %(name)s.") % {"name": proposal.manager.name},
            )
        else:
            messages.success(
                request,
                _("Rejected for %(name)s.") % {"name": proposal.manager.name},
            )
    return _redirect_to(proposal.quarter_start, proposal.manager.company)


@login_required
def tier_history(request):
    """A customer manager sees their own history; supervisors, HR and admins pick a manager
    of their subtree (``?manager=``)."""
    user = request.user
    if not (user.is_superuser or user.role in HISTORY_ROLES):
        raise Http404
    managers = User.objects.visible_to(user).filter(role=Role.CUSTOMER_MANAGER)
    wanted = request.GET.get("manager", "")
    if user.role == Role.CUSTOMER_MANAGER and not wanted:
        wanted = str(user.pk)
    manager = None
    if wanted:
        if not wanted.isdigit():
            raise Http404
        manager = get_object_or_404(managers, pk=int(wanted))
    context = {"manager": manager, "own": manager is not None and manager.pk == user.pk}
    if user.role != Role.CUSTOMER_MANAGER:
        context["managers"] = managers.select_related("org_unit").order_by(
            "org_unit__path", "employee_no"
        )
    if manager is not None:
        tiers = list(
            ManagerTier.objects.visible_to(user)
            .filter(manager=manager)
            .select_related("created_by")
            .order_by("-effective_from")
        )
        this_month = month_start(timezone.localdate())
        proposals = TierProposal.objects.visible_to(user).filter(manager=manager)
        if user.role == Role.CUSTOMER_MANAGER:
            proposals = proposals.exclude(status=ProposalStatus.PROPOSED)
        context.update(
            tiers=tiers,
            current=next((t for t in tiers if t.effective_from <= this_month), None),
            proposals=_with_flags(list(proposals.select_related("decided_by"))),
        )
    return render(request, "reports/tiers_history.html", context)


urlpatterns = [
    path("tiers/review/", tier_review, name="tier_review"),
    path("tiers/proposals/<int:pk>/decide/", tier_decide, name="tier_decide"),
    path("tiers/history/", tier_history, name="tier_history"),
]
