"""A manager's day: today's route, the week, reordering."""

from contextlib import suppress
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.redirects import redirect_next

from ..geo import shop_links
from ..models import VisitPlan
from ..selectors.plans import route_for, week_for
from ..services.plans import plan_move, plan_reschedule, route_optimise


def _manager_only(request):
    if request.user.role != Role.CUSTOMER_MANAGER:
        raise Http404


@login_required
def today(request):
    _manager_only(request)
    day = timezone.localdate()
    stops = route_for(request.user, day)
    for stop in stops:
        stop.links = shop_links(stop.retailer)
    return render(
        request,
        "visits/today.html",
        {
            "day": day,
            "stops": stops,
            "open_count": sum(1 for s in stops if not s.done),
            "done_count": sum(1 for s in stops if s.done),
        },
    )


@login_required
def week(request):
    _manager_only(request)
    day = timezone.localdate()
    with suppress(ValueError):
        day = date.fromisoformat(request.GET.get("day", ""))
    monday = day - timedelta(days=day.weekday())
    return render(
        request,
        "visits/week.html",
        {
            "days": week_for(request.user, monday),
            "today": timezone.localdate(),
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
        },
    )


@login_required
@require_POST
def move(request, pk):
    plan = get_object_or_404(VisitPlan.objects.visible_to(request.user), pk=pk)
    direction = -1 if request.POST.get("direction") == "up" else 1
    try:
        plan_move(plan=plan, user=request.user, direction=direction)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("visits:today")


@login_required
@require_POST
def reschedule(request, pk):
    plan = get_object_or_404(VisitPlan.objects.visible_to(request.user), pk=pk)
    try:
        plan_reschedule(plan=plan, user=request.user, day=date.fromisoformat(request.POST["day"]))
    except (ValidationError, KeyError, ValueError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect_next(request, "visits:week")


@login_required
@require_POST
def optimise(request):
    _manager_only(request)
    day = timezone.localdate()
    stops = [stop for stop in route_for(request.user, day) if not stop.done]
    route_optimise(user=request.user, day=day, plans=stops)
    return redirect("visits:today")


urlpatterns = [
    path("visits/today/", today, name="today"),
    path("visits/week/", week, name="week"),
    path("visits/plans/<int:pk>/move/", move, name="plan_move"),
    path("visits/plans/<int:pk>/reschedule/", reschedule, name="plan_reschedule"),
    path("visits/today/optimise/", optimise, name="route_optimise"),
]
