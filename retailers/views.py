from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Territory
from config.pagination import CappedPaginator

from . import services
from .exports import territory_register_xlsx
from .filters import RetailerFilter
from .forms import ClassOverrideForm
from .models import Retailer
from .selectors import retailer_card

PAGE_SIZE = 50


def can_override(user):
    return user.is_superuser or user.role in services.OVERRIDE_ROLES


@login_required
def retailer_list(request):
    queryset = (
        Retailer.objects.visible_to(request.user)
        .select_related("territory__manager")
        .order_by("territory__code", "license_no")
    )
    filterset = RetailerFilter(request.GET, queryset=queryset, request=request)
    page = CappedPaginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "retailers/retailer_list.html",
        {"filter": filterset, "page": page, "query": query.urlencode()},
    )


@login_required
def retailer_detail(request, pk):
    retailer = get_object_or_404(
        Retailer.objects.visible_to(request.user).select_related(
            "territory__department__parent", "territory__manager"
        ),
        pk=pk,
    )
    context = {
        "retailer": retailer,
        "card": retailer_card(retailer, today=timezone.localdate()),
        "can_override": can_override(request.user),
        "override_form": ClassOverrideForm(initial={"new_class": retailer.abc_class or "C"}),
    }
    return render(request, "retailers/retailer_card.html", context)


@login_required
@require_POST
def retailer_override(request, pk):
    retailer = get_object_or_404(Retailer.objects.visible_to(request.user), pk=pk)
    if not can_override(request.user):
        raise Http404
    form = ClassOverrideForm(request.POST)
    if form.is_valid():
        try:
            services.class_override(retailer=retailer, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        else:
            messages.success(request, _("The class was changed and the reason recorded."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("retailers:detail", pk=retailer.pk)


@login_required
def territory_register(request, pk):
    territory = get_object_or_404(Territory.objects.visible_to(request.user), pk=pk)
    retailers = (
        Retailer.objects.visible_to(request.user).filter(territory=territory).order_by("license_no")
    )
    content = territory_register_xlsx(territory, retailers)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"register-{territory.code}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
