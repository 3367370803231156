"""REST API for retailers, brands, order lines, targets and classification history."""

from rest_framework import serializers, viewsets

from accounts.api import ScopedViewSetMixin

from .filters import (
    BrandFilter,
    ClassificationRecordFilter,
    OrderLineFilter,
    RetailerFilter,
    SalesTargetFilter,
    ShelfTargetFilter,
)
from .models import (
    Brand,
    ClassificationRecord,
    OrderLine,
    Retailer,
    SalesTarget,
    ShelfTarget,
)


class RetailerSerializer(serializers.ModelSerializer):
    territory_code = serializers.CharField(source="territory.code", read_only=True)
    manager = serializers.PrimaryKeyRelatedField(
        source="territory.manager", read_only=True, allow_null=True
    )

    class Meta:
        model = Retailer
        fields = [
            "id",
            "license_no",
            "shop_name",
            "owner_name",
            "phone",
            "address",
            "latitude",
            "longitude",
            "market_type",
            "retail_format",
            "environment",
            "potential",
            "status",
            "territory",
            "territory_code",
            "manager",
            "grade_tier",
            "abc_class",
            "class_pinned",
        ]


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = [
            "id",
            "code",
            "name",
            "manufacturer",
            "price_class",
            "wholesale_price",
            "launch_date",
            "is_active",
        ]


class OrderLineSerializer(serializers.ModelSerializer):
    license_no = serializers.CharField(source="retailer.license_no", read_only=True)
    brand_code = serializers.CharField(source="brand.code", read_only=True)

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "source_order_no",
            "order_date",
            "retailer",
            "license_no",
            "brand",
            "brand_code",
            "quantity",
            "amount",
            "settled_on_time",
            "returns_line",
            "arrived_at",
        ]


class SalesTargetSerializer(serializers.ModelSerializer):
    employee_no = serializers.CharField(source="manager.employee_no", read_only=True)

    class Meta:
        model = SalesTarget
        fields = ["id", "manager", "employee_no", "month", "total_boxes", "key_brand_boxes"]


class ShelfTargetSerializer(serializers.ModelSerializer):
    brand_code = serializers.CharField(source="brand.code", read_only=True)

    class Meta:
        model = ShelfTarget
        fields = ["id", "brand", "brand_code", "month", "org_unit", "territory", "rate"]


class ClassificationRecordSerializer(serializers.ModelSerializer):
    rule_set_version = serializers.IntegerField(source="rule_set.version", read_only=True)
    changed = serializers.BooleanField(read_only=True)

    class Meta:
        model = ClassificationRecord
        fields = [
            "id",
            "retailer",
            "month",
            "rule_set_version",
            "scale_score",
            "environment_score",
            "potential_score",
            "compliance_score",
            "credit_score",
            "total_score",
            "average_monthly_cartons",
            "serious_violations",
            "computed_class",
            "previous_class",
            "final_class",
            "pinned",
            "changed",
        ]


class RetailerViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Retailer.objects.select_related("territory").order_by("license_no")
    serializer_class = RetailerSerializer
    filterset_class = RetailerFilter
    ordering_fields = ["license_no", "shop_name", "abc_class"]


class BrandViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Brand.objects.all()
    serializer_class = BrandSerializer
    filterset_class = BrandFilter
    ordering_fields = ["code", "price_class", "launch_date"]


class OrderLineViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = OrderLine.objects.select_related("retailer", "brand").order_by("-order_date", "id")
    serializer_class = OrderLineSerializer
    filterset_class = OrderLineFilter
    ordering_fields = ["order_date", "quantity", "amount"]


class SalesTargetViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = SalesTarget.objects.select_related("manager").order_by("-month", "manager_id")
    serializer_class = SalesTargetSerializer
    filterset_class = SalesTargetFilter


class ShelfTargetViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = ShelfTarget.objects.select_related("brand").order_by("-month", "brand_id", "id")
    serializer_class = ShelfTargetSerializer
    filterset_class = ShelfTargetFilter


class ClassificationRecordViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = ClassificationRecord.objects.select_related("rule_set").order_by("-month", "id")
    serializer_class = ClassificationRecordSerializer
    filterset_class = ClassificationRecordFilter


def register(router):
    router.register("retailers", RetailerViewSet)
    router.register("brands", BrandViewSet)
    router.register("order-lines", OrderLineViewSet)
    router.register("sales-targets", SalesTargetViewSet)
    router.register("shelf-targets", ShelfTargetViewSet)
    router.register("classifications", ClassificationRecordViewSet)
