"""One FilterSet per model, shared by the HTML lists, the API and the exports."""

import django_filters
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.filters import DateFilter, FilterSet
from accounts.models import OrgUnit, Territory

from .models import (
    Brand,
    ClassificationRecord,
    Environment,
    MarketType,
    OrderLine,
    PriceClass,
    Retailer,
    RetailerClass,
    RetailerStatus,
    RetailFormat,
    SalesTarget,
    ShelfTarget,
    month_start,
)


def visible_territories(request):
    if request is None:
        return Territory.objects.none()
    return Territory.objects.visible_to(request.user).select_related("department")


class RetailerFilter(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    abc_class = django_filters.MultipleChoiceFilter(choices=RetailerClass.choices, label=_("Class"))
    retail_format = django_filters.MultipleChoiceFilter(
        choices=RetailFormat.choices, label=_("Retail format")
    )
    market_type = django_filters.ChoiceFilter(choices=MarketType.choices, label=_("Market type"))
    environment = django_filters.ChoiceFilter(choices=Environment.choices, label=_("Environment"))
    status = django_filters.ChoiceFilter(choices=RetailerStatus.choices, label=_("Status"))
    territory = django_filters.ModelChoiceFilter(queryset=visible_territories, label=_("Territory"))

    class Meta:
        model = Retailer
        fields = [
            "q",
            "abc_class",
            "retail_format",
            "market_type",
            "environment",
            "status",
            "territory",
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(license_no__startswith=value)
            | Q(shop_name__icontains=value)
            | Q(owner_name__icontains=value)
            | Q(address__icontains=value)
            | Q(phone__startswith=value)
        )


class BrandFilter(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    price_class = django_filters.ChoiceFilter(choices=PriceClass.choices, label=_("Price class"))
    new_in = DateFilter(method="filter_new_in", label=_("New in month"))

    class Meta:
        model = Brand
        fields = ["q", "price_class", "is_active", "new_in"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__startswith=value) | Q(name__icontains=value))

    def filter_new_in(self, queryset, name, value):
        return queryset.new_in(value)


class OrderLineFilter(FilterSet):
    date_from = DateFilter(field_name="order_date", lookup_expr="gte")
    date_to = DateFilter(field_name="order_date", lookup_expr="lte")
    retailer = django_filters.NumberFilter(field_name="retailer_id")
    brand = django_filters.CharFilter(field_name="brand__code")
    territory = django_filters.NumberFilter(field_name="retailer__territory_id")

    class Meta:
        model = OrderLine
        fields = ["date_from", "date_to", "retailer", "brand", "territory", "source_order_no"]


class SalesTargetFilter(FilterSet):
    class Meta:
        model = SalesTarget
        fields = ["month", "manager"]


class ShelfTargetFilter(FilterSet):
    brand = django_filters.CharFilter(field_name="brand__code")

    class Meta:
        model = ShelfTarget
        fields = ["month", "brand", "org_unit", "territory"]


def visible_units(request):
    if request is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.visible_to(request.user).order_by("path")


class Direction:
    UP = "up"
    DOWN = "down"
    choices = [(UP, _("Upgraded")), (DOWN, _("Downgraded"))]
    # (previous class, new class) of each move
    MOVES = {UP: [("C", "B"), ("C", "A"), ("B", "A")], DOWN: [("A", "B"), ("A", "C"), ("B", "C")]}


def _class_moves(direction: str) -> Q:
    """Records whose class moved up (or down) from a previous class."""
    moves = Q()
    for old, new in Direction.MOVES[direction]:
        moves |= Q(previous_class=old, final_class=new)
    return moves


class ClassificationRecordFilter(FilterSet):
    """The API's classification records and the class-change report (retailers of a month
    whose class changed, DOMAIN.md §8)."""

    month = DateFilter(method="filter_month", label=_("Month"), input_formats=["%Y-%m", "%Y-%m-%d"])
    changed = django_filters.BooleanFilter(method="filter_changed", label=_("Changed class"))
    previous_class = django_filters.ChoiceFilter(
        choices=RetailerClass.choices, label=_("Previous class")
    )
    final_class = django_filters.ChoiceFilter(choices=RetailerClass.choices, label=_("New class"))
    direction = django_filters.ChoiceFilter(
        choices=Direction.choices, method="filter_direction", label=_("Change")
    )
    org_unit = django_filters.ModelChoiceFilter(
        queryset=visible_units, method="filter_org_unit", label=_("Org unit")
    )
    territory = django_filters.ModelChoiceFilter(
        queryset=visible_territories, field_name="retailer__territory", label=_("Territory")
    )

    class Meta:
        model = ClassificationRecord
        fields = [
            "month",
            "retailer",
            "final_class",
            "computed_class",
            "previous_class",
            "changed",
            "direction",
            "org_unit",
            "territory",
        ]

    def filter_month(self, queryset, name, value):
        return queryset.filter(month=month_start(value))

    def filter_changed(self, queryset, name, value):
        changed = ~Q(previous_class=F("final_class"))
        return queryset.filter(changed) if value else queryset.exclude(changed)

    def filter_direction(self, queryset, name, value):
        return queryset.filter(_class_moves(value))

    @extend_schema_field(OpenApiTypes.INT)
    def filter_org_unit(self, queryset, name, value):
        return queryset.filter(retailer__territory__department__path__startswith=value.path)
