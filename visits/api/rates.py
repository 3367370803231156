"""REST API: the monthly 上柜率 rollup, read-only and scoped by ``visible_to``."""

from decimal import ROUND_HALF_UP, Decimal

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from accounts.api import ScopedViewSetMixin
from accounts.filters import DateFilter, FilterSet
from retailers.models import Brand, RetailerClass, add_months, month_start

from ..models import ScopeLevel, ShelfRateRollup
from ..selectors.rates import rate

ALL_CLASSES = "all"
RATE_PLACES = Decimal("0.0001")


class ShelfRateRollupFilter(FilterSet):
    month = DateFilter(
        method="filter_month",
        input_formats=["%Y-%m", "%Y-%m-%d"],
        label=_("Month (YYYY-MM)"),
    )
    level = django_filters.ChoiceFilter(choices=ScopeLevel.choices, label=_("Scope"))
    scope_id = django_filters.NumberFilter(label=_("Scope id"))
    brand = django_filters.ModelChoiceFilter(queryset=Brand.objects.all(), label=_("Brand"))
    abc_class = django_filters.ChoiceFilter(
        method="filter_class",
        choices=[(ALL_CLASSES, _("All classes")), *RetailerClass.choices],
        label=_("Class"),
    )
    new_only = django_filters.BooleanFilter(
        method="filter_new_only", label=_("New brands only (新品上柜率)")
    )

    class Meta:
        model = ShelfRateRollup
        fields = ["month", "level", "scope_id", "brand", "abc_class", "new_only"]

    def filter_month(self, queryset, name, value):
        return queryset.filter(month=month_start(value))

    def filter_class(self, queryset, name, value):
        return queryset.filter(abc_class="" if value == ALL_CLASSES else value)

    def filter_new_only(self, queryset, name, value):
        """Rows of brands inside their new-product window in the row's month (one query)."""
        if not value:
            return queryset
        condition = Q(pk__in=[])
        for brand in Brand.objects.filter(launch_date__isnull=False).only("pk", "launch_date"):
            first = month_start(brand.launch_date)
            months = [add_months(first, k) for k in range(13)]
            months = [m for m in months if brand.is_new_in(m)]
            condition |= Q(brand_id=brand.pk, month__in=months)
        return queryset.filter(condition)


@extend_schema_field(serializers.DecimalField(max_digits=5, decimal_places=4))
class RateField(serializers.Field):
    """``numerator / active_retailers`` rounded to 4 decimals, as a string like the targets."""

    def __init__(self, numerator, **kwargs):
        self.numerator = numerator
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, row):
        value = rate(getattr(row, self.numerator), row.active_retailers)
        if value is None:
            return None
        return str(value.quantize(RATE_PLACES, rounding=ROUND_HALF_UP))


class ShelfRateRollupSerializer(serializers.ModelSerializer):
    brand_code = serializers.CharField(source="brand.code", read_only=True)
    brand_name = serializers.CharField(source="brand.name", read_only=True)
    observed_rate = RateField("observed_on_shelf")
    order_rate = RateField("ordered")

    class Meta:
        model = ShelfRateRollup
        fields = [
            "id",
            "month",
            "brand",
            "brand_code",
            "brand_name",
            "level",
            "scope_id",
            "territory",
            "abc_class",
            "active_retailers",
            "observed_on_shelf",
            "ordered",
            "observed_rate",
            "order_rate",
            "refreshed_at",
        ]


class ShelfRateRollupViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = ShelfRateRollup.objects.select_related("brand").order_by(
        "-month", "level", "scope_id", "brand_id", "abc_class"
    )
    serializer_class = ShelfRateRollupSerializer
    filterset_class = ShelfRateRollupFilter
    ordering_fields = ["month", "scope_id", "brand", "active_retailers"]


def register(router):
    router.register("shelf-rates", ShelfRateRollupViewSet, basename="shelf-rates")
