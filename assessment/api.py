"""REST API of the monthly assessment.

Scoped by ``visible_to(request.user)``: another subtree's row is a 404. Writes go through
``assessment.services``: a Django ``ValidationError`` answers 400, ``PermissionDenied`` 403,
a manager outside the user's subtree 404. Rows are never edited or deleted directly.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.api import ScopedViewSetMixin
from accounts.models import User
from accounts.validators import check_day
from retailers.models import Retailer
from visits.models import InformationItem, Visit

from . import services
from .filters import AppealFilter, BonusFilter, InspectionFilter, ScoreFilter
from .models import (
    Appeal,
    AssessmentScheme,
    BonusPoint,
    Inspection,
    ItemScore,
    ManagerScore,
    SchemeItem,
    ScoreAdjustment,
)

READ_AND_CREATE = ["get", "post", "head", "options"]


def _call(service, **kwargs):
    """Run a service: ValidationError → 400, a manager outside the subtree → 404."""
    try:
        return service(**kwargs)
    except User.DoesNotExist as exc:
        raise NotFound() from exc
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise serializers.ValidationError(exc.message_dict) from exc
        raise serializers.ValidationError({"detail": exc.messages}) from exc


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A writable foreign key limited to the rows the requesting user can see."""

    def get_queryset(self):
        request = self.context.get("request")
        model = self.queryset.model
        if request is None:
            return model.objects.none()
        return model.objects.visible_to(request.user)


# --- Serializers ------------------------------------------------------------------------------


class SchemeItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = SchemeItem
        fields = ["code", "name", "max_points", "metric", "params", "position"]


class SchemeSerializer(serializers.ModelSerializer):
    items = SchemeItemSerializer(many=True, read_only=True)

    class Meta:
        model = AssessmentScheme
        fields = ["id", "version", "effective_from", "bonus_cap", "appeal_days", "note", "items"]


class InspectionSerializer(serializers.ModelSerializer):
    manager = serializers.IntegerField(source="manager_id")
    manager_name = serializers.CharField(source="manager.name", read_only=True)
    inspector_name = serializers.CharField(source="inspector.name", read_only=True)
    visit = VisibleRelatedField(queryset=Visit.objects.all(), required=False, allow_null=True)
    retailer = VisibleRelatedField(queryset=Retailer.objects.all(), required=False, allow_null=True)
    photo = serializers.ImageField(required=False, allow_null=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "manager",
            "manager_name",
            "inspector",
            "inspector_name",
            "level",
            "inspected_on",
            "month",
            "adjusts_month",
            "item_code",
            "points",
            "reason",
            "visit",
            "retailer",
            "photo",
            "withdrawn",
            "created_at",
        ]
        read_only_fields = ["inspector", "level", "month", "adjusts_month", "withdrawn"]
        extra_kwargs = {"inspected_on": {"validators": [check_day]}}


class BonusSerializer(serializers.ModelSerializer):
    manager = serializers.IntegerField(source="manager_id")
    day = serializers.DateField(write_only=True, validators=[check_day])

    class Meta:
        model = BonusPoint
        fields = [
            "id",
            "manager",
            "granted_by",
            "day",
            "month",
            "adjusts_month",
            "points",
            "reason",
            "created_at",
        ]
        read_only_fields = ["granted_by", "month", "adjusts_month"]


class AppealSerializer(serializers.ModelSerializer):
    """An appeal against exactly one target: a deduction (``inspection``), a visit marked
    invalid (``visit``) or an information item marked invalid (``info_item``)."""

    inspection = VisibleRelatedField(
        queryset=Inspection.objects.all(), required=False, allow_null=True
    )
    visit = VisibleRelatedField(queryset=Visit.objects.all(), required=False, allow_null=True)
    info_item = VisibleRelatedField(
        queryset=InformationItem.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Appeal
        fields = [
            "id",
            "manager",
            "month",
            "inspection",
            "visit",
            "info_item",
            "level",
            "reason",
            "status",
            "filed_at",
            "decided_by",
            "decided_at",
            "decision_reason",
        ]
        # The service refuses a second open appeal with its reason; DRF's validators for
        # the conditional unique constraints would make every target required instead.
        validators = []
        read_only_fields = [
            "manager",
            "month",
            "level",
            "status",
            "decided_by",
            "decided_at",
            "decision_reason",
        ]


class DecisionSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class ItemScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = ItemScore
        fields = [
            "code",
            "name",
            "max_points",
            "applicable",
            "earned",
            "deductions",
            "points",
            "explanation",
        ]


class AdjustmentSerializer(serializers.ModelSerializer):
    """A 调整 line the month received: late data of ``source_month`` (DOMAIN §4)."""

    class Meta:
        model = ScoreAdjustment
        fields = [
            "source_month",
            "published_total",
            "recomputed_total",
            "carried_before",
            "points",
            "recorded_only",
            "explanation",
        ]


class ScoreSerializer(serializers.ModelSerializer):
    month = serializers.DateField(source="assessment.month", read_only=True)
    state = serializers.CharField(source="assessment.state", read_only=True)
    manager_name = serializers.CharField(source="manager.name", read_only=True)
    items = ItemScoreSerializer(many=True, read_only=True)
    adjustments = serializers.SerializerMethodField()

    @extend_schema_field(AdjustmentSerializer(many=True))
    def get_adjustments(self, score):
        lines = [
            line
            for line in score.assessment.adjustments.all()
            if line.manager_id == score.manager_id
        ]
        return AdjustmentSerializer(lines, many=True).data

    class Meta:
        model = ManagerScore
        fields = [
            "id",
            "month",
            "state",
            "manager",
            "manager_name",
            "territory",
            "total",
            "base_total",
            "adjustment",
            "adjustments",
            "bonus_raw",
            "bonus",
            "sales_boxes",
            "sales_target_boxes",
            "items",
        ]


# --- ViewSets ---------------------------------------------------------------------------------


class SchemeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = AssessmentScheme.objects.prefetch_related("items")
    serializer_class = SchemeSerializer


class InspectionViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    http_method_names = READ_AND_CREATE
    queryset = Inspection.objects.select_related("manager", "inspector").order_by(
        "-inspected_on", "-pk"
    )
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter
    ordering_fields = ["inspected_on", "points"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        inspection = _call(
            services.inspection_record,
            inspector=self.request.user,
            manager_id=data["manager_id"],
            inspected_on=data["inspected_on"],
            item_code=data["item_code"],
            points=data["points"],
            reason=data["reason"],
            visit=data.get("visit"),
            retailer=data.get("retailer"),
            photo=data.get("photo"),
        )
        serializer.instance = self.get_queryset().get(pk=inspection.pk)


class BonusViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    http_method_names = READ_AND_CREATE
    queryset = BonusPoint.objects.select_related("manager").order_by("-month", "-pk")
    serializer_class = BonusSerializer
    filterset_class = BonusFilter

    def perform_create(self, serializer):
        data = serializer.validated_data
        bonus = _call(
            services.bonus_grant,
            user=self.request.user,
            manager_id=data["manager_id"],
            day=data["day"],
            points=data["points"],
            reason=data["reason"],
        )
        serializer.instance = self.get_queryset().get(pk=bonus.pk)


class AppealViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    http_method_names = READ_AND_CREATE
    queryset = Appeal.objects.order_by("-filed_at", "-pk")
    serializer_class = AppealSerializer
    filterset_class = AppealFilter

    def perform_create(self, serializer):
        data = serializer.validated_data
        appeal = _call(
            services.appeal_file,
            inspection=data.get("inspection"),
            visit=data.get("visit"),
            info_item=data.get("info_item"),
            user=self.request.user,
            reason=data["reason"],
        )
        serializer.instance = self.get_queryset().get(pk=appeal.pk)

    @extend_schema(request=DecisionSerializer, responses=AppealSerializer)
    @action(detail=True, methods=["post"], serializer_class=DecisionSerializer)
    def decide(self, request, pk=None):
        appeal = self.get_object()
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _call(
            services.appeal_decide,
            appeal=appeal,
            user=request.user,
            accept=body.validated_data["accept"],
            reason=body.validated_data["reason"],
        )
        return Response(AppealSerializer(self.get_queryset().get(pk=appeal.pk)).data)


class ScoreViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = (
        ManagerScore.objects.select_related("assessment", "manager")
        # A month's 调整 lines are few (managers with late data): one query per page.
        .prefetch_related("items", "assessment__adjustments")
        .order_by("-assessment__month", "-total", "manager_id")
    )
    serializer_class = ScoreSerializer
    filterset_class = ScoreFilter
    ordering_fields = ["total"]


def register(router):
    router.register("assessment/schemes", SchemeViewSet)
    router.register("assessment/inspections", InspectionViewSet)
    router.register("assessment/bonus", BonusViewSet)
    router.register("assessment/appeals", AppealViewSet)
    router.register("assessment/scores", ScoreViewSet)
