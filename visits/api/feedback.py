"""REST API for market information, complaints, satisfaction surveys and work plans.

Scoped by ``visible_to(request.user)`` (another subtree's object is a 404). Reads are plain
ModelViewSet reads; every write goes through ``visits.services.feedback``: create via
``perform_create`` and the steps as actions (``complaints/{id}/respond/`` …). Objects are
never edited or deleted directly, so PUT, PATCH and DELETE are not offered. A Django
``ValidationError`` from a service answers 400 with its messages, ``PermissionDenied`` 403.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api import ScopedViewSetMixin
from accounts.validators import check_day
from retailers.models import Retailer

from ..models import (
    Complaint,
    InformationItem,
    LeadStatus,
    SatisfactionSurvey,
    Visit,
    WorkPlan,
)
from ..selectors.feedback import (
    COMPLAINT_RELATED,
    INFORMATION_RELATED,
    SURVEY_RELATED,
    ComplaintFilter,
    InformationItemFilter,
    SatisfactionSurveyFilter,
    WorkPlanFilter,
    annotate_complaint_sla,
    annotate_plan_state,
)
from ..services import feedback as services

READ_AND_CREATE = ["get", "post", "head", "options"]


def _call(service, **kwargs):
    """Run a service; its Django ValidationError becomes a DRF one (400)."""
    try:
        return service(**kwargs)
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


class InformationItemSerializer(serializers.ModelSerializer):
    retailer = VisibleRelatedField(queryset=Retailer.objects.all(), required=False, allow_null=True)
    visit = VisibleRelatedField(queryset=Visit.objects.all(), required=False, allow_null=True)
    reported_at = serializers.DateTimeField(required=False, validators=[check_day])
    client_id = serializers.UUIDField(required=False, validators=[])
    reported_by_name = serializers.CharField(source="reported_by.name", read_only=True)
    territory_name = serializers.CharField(source="territory.name", read_only=True)
    is_lead = serializers.BooleanField(read_only=True)
    # Blank ("") until the item is a lead, like every other blank choice of the API.
    lead_status = serializers.ChoiceField(
        choices=LeadStatus.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = InformationItem
        fields = [
            "id",
            "kind",
            "content",
            "retailer",
            "visit",
            "client_id",
            "reported_at",
            "reported_by",
            "reported_by_name",
            "territory",
            "territory_name",
            "validity",
            "reviewed_by",
            "reviewed_at",
            "is_lead",
            "lead_status",
            "lead_note",
        ]
        read_only_fields = [
            "reported_by",
            "territory",
            "validity",
            "reviewed_by",
            "reviewed_at",
            "lead_note",
        ]


class ReviewSerializer(serializers.Serializer):
    valid = serializers.BooleanField()


class LeadSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=LeadStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ComplaintSerializer(serializers.ModelSerializer):
    retailer = VisibleRelatedField(queryset=Retailer.objects.all())
    visit = VisibleRelatedField(queryset=Visit.objects.all(), required=False, allow_null=True)
    opened_at = serializers.DateTimeField(required=False, validators=[check_day])
    client_id = serializers.UUIDField(required=False, validators=[])
    license_no = serializers.CharField(source="retailer.license_no", read_only=True)
    shop_name = serializers.CharField(source="retailer.shop_name", read_only=True)
    manager = serializers.PrimaryKeyRelatedField(
        source="territory.manager", read_only=True, allow_null=True
    )
    response_late = serializers.BooleanField(read_only=True)
    resolution_late = serializers.BooleanField(read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "id",
            "retailer",
            "license_no",
            "shop_name",
            "territory",
            "manager",
            "visit",
            "client_id",
            "content",
            "opened_at",
            "opened_by",
            "respond_by",
            "resolve_by",
            "status",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "resolution",
            "substantiated",
            "response_late",
            "resolution_late",
        ]
        read_only_fields = [
            "territory",
            "opened_by",
            "respond_by",
            "resolve_by",
            "status",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "resolution",
            "substantiated",
        ]


class RespondSerializer(serializers.Serializer):
    note = serializers.CharField()


class ResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField()


class CloseSerializer(serializers.Serializer):
    substantiated = serializers.BooleanField()


class SatisfactionSurveySerializer(serializers.ModelSerializer):
    retailer = VisibleRelatedField(queryset=Retailer.objects.all())
    license_no = serializers.CharField(source="retailer.license_no", read_only=True)
    territory = serializers.PrimaryKeyRelatedField(source="retailer.territory", read_only=True)
    score = serializers.IntegerField()

    class Meta:
        model = SatisfactionSurvey
        fields = [
            "id",
            "retailer",
            "license_no",
            "territory",
            "score",
            "surveyed_on",
            "channel",
            "recorded_by",
            "note",
            "created_at",
        ]
        read_only_fields = ["recorded_by", "created_at"]
        extra_kwargs = {"surveyed_on": {"validators": [check_day]}}


class WorkPlanSerializer(serializers.ModelSerializer):
    manager_name = serializers.CharField(source="manager.name", read_only=True)
    state = serializers.CharField(read_only=True)

    class Meta:
        model = WorkPlan
        fields = [
            "id",
            "manager",
            "manager_name",
            "kind",
            "period_start",
            "due_at",
            "content",
            "submitted_at",
            "state",
        ]
        read_only_fields = fields


class SubmitSerializer(serializers.Serializer):
    content = serializers.CharField()


# --- ViewSets ---------------------------------------------------------------------------------


class _ServiceViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Reads scoped by the mixin; creates and steps through the services."""

    http_method_names = READ_AND_CREATE

    def _step(self, body_class, service, build):
        """Validate the body with ``body_class`` and run ``service`` on the object with the
        keyword arguments ``build(obj, validated_data)``; answer the updated object."""
        obj = self.get_object()
        body = body_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        result = _call(service, user=self.request.user, **build(obj, body.validated_data))
        return Response(self.get_serializer(self.get_queryset().get(pk=result.pk)).data)


class InformationItemViewSet(_ServiceViewSet):
    queryset = InformationItem.objects.select_related(*INFORMATION_RELATED).order_by(
        "-reported_at", "-pk"
    )
    serializer_class = InformationItemSerializer
    filterset_class = InformationItemFilter
    ordering_fields = ["reported_at", "kind"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        item = _call(
            services.info_report,
            user=self.request.user,
            kind=data["kind"],
            content=data["content"],
            retailer=data.get("retailer"),
            visit=data.get("visit"),
            reported_at=data.get("reported_at"),
            client_id=data.get("client_id"),
        )
        serializer.instance = self.get_queryset().get(pk=item.pk)

    @extend_schema(request=ReviewSerializer, responses=InformationItemSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        return self._step(
            ReviewSerializer,
            services.info_review,
            lambda obj, data: {"item": obj, "valid": data["valid"]},
        )

    @extend_schema(request=LeadSerializer, responses=InformationItemSerializer)
    @action(detail=True, methods=["post"])
    def lead(self, request, pk=None):
        return self._step(
            LeadSerializer,
            services.lead_update,
            lambda obj, data: {"item": obj, "status": data["status"], "note": data["note"]},
        )


class ComplaintViewSet(_ServiceViewSet):
    queryset = Complaint.objects.select_related(*COMPLAINT_RELATED).order_by("-opened_at", "-pk")
    serializer_class = ComplaintSerializer
    filterset_class = ComplaintFilter
    ordering_fields = ["opened_at", "resolve_by", "status"]

    def get_queryset(self):
        return annotate_complaint_sla(super().get_queryset(), timezone.now())

    def perform_create(self, serializer):
        data = serializer.validated_data
        complaint = _call(
            services.complaint_open,
            retailer=data["retailer"],
            user=self.request.user,
            content=data["content"],
            opened_at=data.get("opened_at"),
            visit=data.get("visit"),
            client_id=data.get("client_id"),
        )
        serializer.instance = self.get_queryset().get(pk=complaint.pk)

    @extend_schema(request=RespondSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        return self._step(
            RespondSerializer,
            services.complaint_respond,
            lambda obj, data: {"complaint": obj, "note": data["note"]},
        )

    @extend_schema(request=ResolveSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._step(
            ResolveSerializer,
            services.complaint_resolve,
            lambda obj, data: {"complaint": obj, "resolution": data["resolution"]},
        )

    @extend_schema(request=CloseSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._step(
            CloseSerializer,
            services.complaint_close,
            lambda obj, data: {"complaint": obj, "substantiated": data["substantiated"]},
        )


class SatisfactionSurveyViewSet(_ServiceViewSet):
    queryset = SatisfactionSurvey.objects.select_related(*SURVEY_RELATED).order_by(
        "-surveyed_on", "-pk"
    )
    serializer_class = SatisfactionSurveySerializer
    filterset_class = SatisfactionSurveyFilter
    ordering_fields = ["surveyed_on", "score"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        survey = _call(
            services.survey_record,
            retailer=data["retailer"],
            user=self.request.user,
            score=data["score"],
            surveyed_on=data["surveyed_on"],
            channel=data["channel"],
            note=data.get("note", ""),
        )
        serializer.instance = self.get_queryset().get(pk=survey.pk)


class WorkPlanViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Plans are opened by the daily task; a manager submits through ``submit``."""

    queryset = WorkPlan.objects.select_related("manager").order_by("-due_at", "manager_id")
    serializer_class = WorkPlanSerializer
    filterset_class = WorkPlanFilter
    ordering_fields = ["due_at", "period_start"]

    def get_queryset(self):
        return annotate_plan_state(super().get_queryset(), timezone.now())

    @extend_schema(request=SubmitSerializer, responses=WorkPlanSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        plan = self.get_object()
        body = SubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        content = body.validated_data["content"]
        _call(services.work_plan_submit, plan=plan, user=request.user, content=content)
        return Response(self.get_serializer(self.get_queryset().get(pk=plan.pk)).data)


def register(router):
    router.register("information", InformationItemViewSet, basename="information")
    router.register("complaints", ComplaintViewSet, basename="complaints")
    router.register("surveys", SatisfactionSurveyViewSet, basename="surveys")
    router.register("work-plans", WorkPlanViewSet, basename="work-plans")
