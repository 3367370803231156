from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from reports.selectors.home import manager_progress, todo_for

from .models import SUPERVISOR_ROLES, Role, Territory
from .selectors import org_tree_for, scope_summary_for, territory_colleagues

# Leaders (领导) and the supervisors of the three levels start the day on the dashboard.
DASHBOARD_HOME_ROLES = (*SUPERVISOR_ROLES, Role.LEADER)


@login_required
def home(request):
    """What needs doing today first (counts with links), then the user's place in the org."""
    user = request.user
    if user.role in DASHBOARD_HOME_ROLES:
        return redirect("reports:dashboard")
    now = timezone.now()
    today = timezone.localdate(now)
    territory = (
        Territory.objects.visible_to(user).select_related("department").filter(manager=user).first()
        if user.is_customer_manager
        else None
    )
    return render(
        request,
        "accounts/home.html",
        {
            "todo": todo_for(user, today=today, now=now),
            "todo_at": now,
            "progress": manager_progress(user, today=today),
            "summary": scope_summary_for(user),
            "territory": territory,
        },
    )


@login_required
def org_tree(request):
    return render(request, "accounts/org_tree.html", {"roots": org_tree_for(request.user)})


@login_required
def territory_detail(request, pk):
    territory = get_object_or_404(
        Territory.objects.visible_to(request.user).select_related("department__parent", "manager"),
        pk=pk,
    )
    return render(
        request,
        "accounts/territory_detail.html",
        {"territory": territory, "supervisors": territory_colleagues(territory)},
    )


def locked_out(request, original_response=None, credentials=None):
    """Shown by django-axes instead of the login page once a username + IP is locked."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
