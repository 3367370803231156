"""Visits API: the phone submits here (idempotent on client_id); supervisors review."""

import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.api import ScopedViewSetMixin
from accounts.validators import check_day
from retailers.models import Retailer

from ..filters import VisitFilter
from ..models import (
    InfoType,
    LocationStatus,
    ShelfObservation,
    ShelfShortcut,
    StockLevel,
    Visit,
)
from ..services.visits import (
    InfoLine,
    ShelfLine,
    VisitConflict,
    VisitInput,
    visit_photo_add,
    visit_review,
    visit_submit,
)


def as_drf_error(exc: DjangoValidationError):
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return serializers.ValidationError(detail)


class ShelfLineSerializer(serializers.Serializer):
    brand = serializers.IntegerField()
    on_shelf = serializers.BooleanField()
    retail_price = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, allow_null=True, min_value=Decimal("0.01")
    )
    stock_level = serializers.ChoiceField(
        choices=StockLevel.choices, required=False, allow_blank=True
    )


class InfoLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=InfoType.choices)
    content = serializers.CharField(max_length=2000)


class VisitSubmitSerializer(serializers.Serializer):
    client_id = serializers.UUIDField()
    retailer = serializers.IntegerField()
    plan = serializers.IntegerField(required=False, allow_null=True)
    checked_in_at = serializers.DateTimeField(validators=[check_day])
    checked_out_at = serializers.DateTimeField(
        required=False, allow_null=True, validators=[check_day]
    )
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, min_value=-90, max_value=90
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        required=False,
        allow_null=True,
        min_value=-180,
        max_value=180,
    )
    accuracy_m = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    location_status = serializers.ChoiceField(choices=LocationStatus.choices, default="ok")
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    shelf = ShelfLineSerializer(many=True, required=False, default=list)
    information = InfoLineSerializer(many=True, required=False, default=list)
    complaint = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    shelf_shortcut = serializers.ChoiceField(
        choices=ShelfShortcut.choices,
        default=ShelfShortcut.NONE,
        help_text="A shortcut used to fill in the shelf check (each row could still be changed).",
    )

    def to_input(self) -> VisitInput:
        d = self.validated_data
        return VisitInput(
            client_id=d["client_id"],
            retailer_id=d["retailer"],
            plan_id=d.get("plan"),
            checked_in_at=d["checked_in_at"],
            checked_out_at=d.get("checked_out_at"),
            latitude=d.get("latitude"),
            longitude=d.get("longitude"),
            accuracy_m=d.get("accuracy_m"),
            location_status=d["location_status"],
            notes=d["notes"],
            shelf=[
                ShelfLine(
                    brand_id=line["brand"],
                    on_shelf=line["on_shelf"],
                    retail_price=line.get("retail_price"),
                    stock_level=line.get("stock_level", ""),
                )
                for line in d["shelf"]
            ],
            information=[InfoLine(kind=i["kind"], content=i["content"]) for i in d["information"]],
            complaint=d["complaint"],
            shelf_shortcut=d["shelf_shortcut"],
        )


class ShelfObservationSerializer(serializers.ModelSerializer):
    brand_name = serializers.CharField(source="brand.name", read_only=True)

    class Meta:
        model = ShelfObservation
        fields = ["brand", "brand_name", "on_shelf", "retail_price", "stock_level"]


class VisitSerializer(serializers.ModelSerializer):
    shelf = ShelfObservationSerializer(many=True, read_only=True)
    retailer_name = serializers.CharField(source="retailer.shop_name", read_only=True)
    flagged = serializers.BooleanField(source="is_flagged", read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "client_id",
            "manager",
            "retailer",
            "retailer_name",
            "territory",
            "plan",
            "checked_in_at",
            "checked_out_at",
            "check_in_date",
            "latitude",
            "longitude",
            "accuracy_m",
            "location_status",
            "distance_m",
            "flag_far",
            "flag_short",
            "flag_rapid",
            "flag_no_location",
            "flagged",
            "status",
            "review_note",
            "notes",
            "source",
            "external_id",
            "shelf_shortcut",
            "shelf",
        ]


class VisitReviewSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=Visit._meta.get_field("review_note").max_length,
    )


class PhotoSerializer(serializers.Serializer):
    client_id = serializers.UUIDField()
    image = serializers.ImageField()


class PhotoResultSerializer(serializers.Serializer):
    client_id = serializers.UUIDField()
    url = serializers.CharField()


class VisitViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = (
        Visit.objects.select_related("retailer")
        .prefetch_related("shelf__brand")
        .order_by("-checked_in_at")
    )
    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request=VisitSubmitSerializer,
        responses={
            201: VisitSerializer,
            200: VisitSerializer,
            409: OpenApiResponse(
                VisitSerializer,
                description="The client id was recorded before with other content; "
                "the stored visit is returned and stands.",
            ),
        },
    )
    def create(self, request):
        """Record a visit. 201 when new; 200 with the same visit when the client id is known
        with the same content; 409 with the stored visit when it is known with other content."""
        serializer = VisitSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            visit, created = visit_submit(user=request.user, data=serializer.to_input())
        except Retailer.DoesNotExist:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        except VisitConflict as conflict:
            # Recorded before with other content: the stored visit stands, and is returned.
            visit = self.get_queryset().get(pk=conflict.visit.pk)
            return Response(VisitSerializer(visit).data, status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        if not created:
            visit = self.get_queryset().get(pk=visit.pk)
        # A new visit comes back from the service with its retailer and shelf lines in memory.
        return Response(
            VisitSerializer(visit).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def filter_queryset(self, queryset):
        # The filter (and its default date window) narrows the list; a visit's own address
        # finds it whatever its date.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_class(self):
        if self.action == "create":
            return VisitSubmitSerializer
        if self.action == "review":
            return VisitReviewSerializer
        if self.action == "photos":
            return PhotoSerializer
        return VisitSerializer

    @extend_schema(request=VisitReviewSerializer, responses=VisitSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Review a visit (valid or not, with a note); answers the reviewed visit."""
        visit = self.get_object()
        serializer = VisitReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            visit_review(visit=visit, user=request.user, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(VisitSerializer(self.get_queryset().get(pk=visit.pk)).data)

    @extend_schema(
        request={"multipart/form-data": PhotoSerializer},
        responses={201: PhotoResultSerializer, 200: PhotoResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path=r"(?P<client_id>[0-9a-f-]{36})/photos")
    def photos(self, request, client_id=None):
        """Upload one photo of a visit (multipart: client_id, image); idempotent."""
        try:
            client_id = uuid.UUID(client_id)
        except ValueError:
            raise Http404 from None  # not a visit id at all
        visit = get_object_or_404(self.get_queryset(), client_id=client_id)
        serializer = PhotoSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            photo, created = visit_photo_add(
                visit=visit, user=request.user, **serializer.validated_data
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(
            {
                "client_id": str(photo.client_id),
                "url": reverse("visits:photo", args=[photo.pk]),
            },
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def register(router):
    router.register("visits", VisitViewSet, basename="visit")
