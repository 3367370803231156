"""The phone visit form, the visit list and detail, review, and the installable-app files."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role
from accounts.private_files import private_file_response
from assessment.selectors import visit_appeal_state
from config.pagination import CappedPaginator
from retailers.models import Brand, KeyBrandMonth, OrderLine, Retailer, month_start

from ..filters import DEFAULT_WINDOW_DAYS, VisitFilter
from ..geo import check_in_place
from ..models import InfoType, StockLevel, Visit, VisitPhoto, VisitPlan, VisitRules
from ..selectors.nearby import NEARBY_RADIUS_M
from ..selectors.visits import last_shelf, next_to_review, review_queue_filter, usual_prices
from ..services.visits import REVIEWER_ROLES, visit_review

# Brands listed first on the shelf check: new, then key, then the shop's own best sellers.
SHELF_LIST_SIZE = 20


def shelf_brands(retailer, today, last_ids=()):
    """The brands to check at ``retailer``: new and key brands first, then the shop's best
    sellers and the brands of its last shelf check (``last_ids``) (3 queries)."""
    brands = list(Brand.objects.filter(is_active=True).order_by("price_class", "code"))
    key_ids = set(
        KeyBrandMonth.objects.filter(month=month_start(today)).values_list("brand_id", flat=True)
    )
    sold = dict(
        OrderLine.objects.filter(retailer=retailer, order_date__gte=today - timedelta(days=90))
        .values_list("brand_id")
        .annotate(cartons=Sum("quantity"))
        .values_list("brand_id", "cartons")
    )

    def rank(brand):
        return (
            0 if brand.is_new_in(today) else 1,
            0 if brand.pk in key_ids else 1,
            -sold.get(brand.pk, 0),
            brand.price_class,
        )

    ordered = sorted(brands, key=rank)
    last_ids = set(last_ids)
    checked = [
        b
        for b in ordered
        if b.is_new_in(today) or b.pk in key_ids or b.pk in sold or b.pk in last_ids
    ]
    checked = checked[: max(SHELF_LIST_SIZE, sum(1 for b in ordered if b.is_new_in(today)))]
    chosen = {b.pk for b in checked}
    return [
        {
            "id": b.pk,
            "name": b.name,
            "new": b.is_new_in(today),
            "key": b.pk in key_ids,
            "listed": b.pk in chosen,
            "wholesale_price": b.wholesale_price,
        }
        for b in (checked + [b for b in ordered if b.pk not in chosen])
    ]


@login_required
def new(request):
    """The visit form. Opened from a planned stop (?plan=) or a searched retailer (?retailer=)."""
    if request.user.role != Role.CUSTOMER_MANAGER:
        raise Http404
    plan = None
    plan_id, retailer_id = request.GET.get("plan", ""), request.GET.get("retailer", "")
    if plan_id:
        plan = get_object_or_404(
            VisitPlan.objects.visible_to(request.user).select_related("retailer"),
            pk=plan_id if plan_id.isdigit() else 0,
        )
        retailer = plan.retailer
    elif retailer_id:
        retailer = get_object_or_404(
            Retailer.objects.visible_to(request.user),
            pk=retailer_id if retailer_id.isdigit() else 0,
        )
    else:
        return render(
            request, "visits/choose_retailer.html", {"radius_km": NEARBY_RADIUS_M // 1000}
        )
    today = timezone.localdate()
    rules = VisitRules.for_day(today, request.user.company)
    last = last_shelf(retailer)
    brands = shelf_brands(retailer, today, last_ids=last.get("lines", {}))
    prices = usual_prices(
        wholesale={b["id"]: b["wholesale_price"] for b in brands},
        territory=retailer.territory_id,
        today=today,
    )
    for brand in brands:
        del brand["wholesale_price"]
        brand["usual_price"] = prices[brand["id"]]
        # New and key brands are open at the top; the others fold under "other brands".
        brand["primary"] = brand["new"] or brand["key"]
    context = {
        "retailer": retailer,
        "plan": plan,
        "form_data": {
            "retailer": retailer.pk,
            "plan": plan.pk if plan else None,
            "shop": retailer.shop_name,
            "brands": brands,
            "last_time": last,
            "price_tolerance_pct": rules.price_tolerance_pct,
            "info_types": [{"value": v, "label": str(label)} for v, label in InfoType.choices],
            "stock_levels": [{"value": v, "label": str(label)} for v, label in StockLevel.choices],
            "photo_max_kb": rules.photo_max_kb,
        },
    }
    return render(request, "visits/visit_form.html", context)


@login_required
def visit_list(request):
    queryset = (
        Visit.objects.visible_to(request.user)
        .select_related("retailer", "manager")
        .order_by("-checked_in_at", "-pk")
    )
    # The flagged-visit queue opens on the visits not yet reviewed (the filter can change it).
    params = review_queue_filter(request.GET)
    filterset = VisitFilter(params, queryset=queryset, request=request)
    page = CappedPaginator(filterset.qs, 30).get_page(request.GET.get("page"))
    query = params.urlencode()
    return render(
        request,
        "visits/visit_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query,
            "flagged_view": request.GET.get("flagged") == "true",
            "reviewed": params.get("reviewed", ""),
            "is_manager": request.user.role == Role.CUSTOMER_MANAGER,
            "default_window_days": DEFAULT_WINDOW_DAYS,
        },
    )


@login_required
def visit_detail(request, pk):
    visit = get_object_or_404(
        Visit.objects.visible_to(request.user).select_related(
            "retailer", "manager", "territory", "plan", "reviewed_by"
        ),
        pk=pk,
    )
    can_review = request.user.role in REVIEWER_ROLES or request.user.is_superuser
    # ``f``: the list's filter the supervisor came from, to walk its flagged visits in turn.
    list_filter = QueryDict(request.GET.get("f", ""))
    next_visit = None
    if can_review and "f" in request.GET:
        next_visit = next_to_review(
            user=request.user, params=list_filter, after=visit, request=request
        )
    retailer = visit.retailer
    appeal, can_appeal = visit_appeal_state(request.user, visit, timezone.now())
    return render(
        request,
        "visits/visit_detail.html",
        {
            "visit": visit,
            "appeal": appeal,
            "can_appeal": can_appeal,
            "place": check_in_place(
                retailer.latitude, retailer.longitude, visit.latitude, visit.longitude
            ),
            "list_filter": list_filter.urlencode(),
            "next_visit": next_visit,
            "shelf": visit.shelf.select_related("brand").order_by("brand__price_class"),
            "information": visit.information.all(),
            "complaints": visit.complaints.all(),
            "photos": visit.photos.all(),
            "can_review": can_review,
        },
    )


@login_required
@require_POST
def review(request, pk):
    visit = get_object_or_404(Visit.objects.visible_to(request.user), pk=pk)
    valid = request.POST.get("valid") == "1"
    try:
        visit_review(
            visit=visit,
            user=request.user,
            valid=valid,
            note=request.POST.get("note", ""),
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if valid:
            messages.success(request, _("The visit was marked valid."))
        else:
            messages.success(request, _("The visit was marked invalid; it does not count."))
    url = redirect("visits:detail", pk=visit.pk).url
    if "f" in request.POST:
        url += "?" + urlencode({"f": request.POST["f"]})
    return redirect(url)


@never_cache
def service_worker(request):
    """The service worker, served from the site root so it controls every page."""
    body = render_to_string("visits/sw.js", {}, request=request)
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


def manifest(request):
    body = render_to_string("visits/manifest.webmanifest", {}, request=request)
    return HttpResponse(body, content_type="application/manifest+json; charset=utf-8")


@login_required
@require_GET
def visit_photo(request, pk):
    """A visit's photo, for those who may see the visit (404 otherwise)."""
    photo = get_object_or_404(
        VisitPhoto.objects.filter(visit__in=Visit.objects.visible_to(request.user)), pk=pk
    )
    return private_file_response(photo.image, inline=True)


urlpatterns = [
    path("visits/", visit_list, name="list"),
    path("visits/new/", new, name="new"),
    path("visits/<int:pk>/", visit_detail, name="detail"),
    path("visits/<int:pk>/review/", review, name="review"),
    path("visits/photos/<int:pk>/", visit_photo, name="photo"),
    path("sw.js", service_worker, name="service_worker"),
    path("manifest.webmanifest", manifest, name="manifest"),
]
