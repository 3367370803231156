from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from reports.selectors.home import manager_progress, todo_for

from . import services
from .forms import LoginForm, PasswordChangeForm
from .models import SUPERVISOR_ROLES, InitialCodeSheet, Role, Territory, User
from .selectors import org_tree_for, scope_summary_for, territory_colleagues
from .sheets import code_sheet_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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


def lockout_rule() -> str:
    """The login lockout rule as the django-axes settings set it, in words."""
    if not settings.AXES_ENABLED:
        return ""
    limit = settings.AXES_FAILURE_LIMIT
    cooloff = settings.AXES_COOLOFF_TIME
    if isinstance(cooloff, int | float):  # django-axes reads a number as hours
        cooloff = timedelta(hours=cooloff)
    if not isinstance(cooloff, timedelta):
        return _(
            "After %(limit)s wrong passwords in a row, this employee number is locked on this "
            "network until an administrator unlocks it."
        ) % {"limit": limit}
    minutes = int(cooloff.total_seconds() // 60)
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        duration = ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
    else:
        duration = ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
    return _(
        "After %(limit)s wrong passwords in a row, this employee number is locked on this "
        "network for %(duration)s."
    ) % {"limit": limit, "duration": duration}


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(lockout_rule=lockout_rule(), **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Everyone sets their own password here; it ends the one-time code's forced change."""

    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            forced=settings.PASSWORD_CHANGE_REQUIRED and self.request.user.must_change_password,
            **kwargs,
        )

    def form_valid(self, form):
        user = services.password_change(user=form.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Your password has been changed."))
        return redirect(self.get_success_url())


def _admin_only(user):
    if not services.can_manage_people(user):
        raise Http404


@login_required
def code_sheets(request):
    _admin_only(request.user)
    sheets = InitialCodeSheet.objects.visible_to(request.user).select_related(
        "org_unit", "created_by", "downloaded_by"
    )
    page = Paginator(sheets, 30).get_page(request.GET.get("page"))
    return render(request, "accounts/code_sheets.html", {"page": page})


@login_required
@require_POST
@never_cache
def code_sheet_download(request, pk):
    """The sheet's codes as .xlsx, once: the codes are erased as they are handed out."""
    _admin_only(request.user)
    sheet = get_object_or_404(InitialCodeSheet.objects.visible_to(request.user), pk=pk)
    try:
        codes = services.initial_code_sheet_take(sheet=sheet, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:code_sheets")
    response = HttpResponse(code_sheet_xlsx(codes), content_type=XLSX)
    name = f"initial-codes-{sheet.org_unit.code}-{sheet.pk}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def people(request):
    _admin_only(request.user)
    q = request.GET.get("q", "").strip()
    users = User.objects.visible_to(request.user).select_related("org_unit").order_by("employee_no")
    if q:
        users = users.filter(Q(employee_no__startswith=q) | Q(name__contains=q))
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    query = urlencode({"q": q}) if q else ""
    return render(request, "accounts/people.html", {"page": page, "q": q, "query": query})


@login_required
@require_POST
@never_cache
def person_password_reset(request, pk):
    """A new one-time code for a person of the admin's subtree, shown on this page only."""
    _admin_only(request.user)
    person = get_object_or_404(User.objects.visible_to(request.user), pk=pk)
    code = services.password_reset(user=person, by=request.user)
    return render(request, "accounts/password_reset_code.html", {"people": [(person, code)]})
