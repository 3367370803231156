"""REST API: the shops nearest to the phone's position (the unplanned visit's 附近门店)."""

import math

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from ..selectors.nearby import NEARBY_LIMIT, NEARBY_RADIUS_M, nearby_retailers


def _degrees(minimum, maximum, message):
    def validate(value):
        if not math.isfinite(value) or not minimum <= value <= maximum:
            raise serializers.ValidationError(message)
        return value

    return serializers.FloatField(
        validators=[validate],
        error_messages={"invalid": message, "required": message, "null": message},
    )


class NearbyQuerySerializer(serializers.Serializer):
    lat = _degrees(-90, 90, _("Give the latitude in degrees (WGS-84), from -90 to 90."))
    lng = _degrees(-180, 180, _("Give the longitude in degrees (WGS-84), from -180 to 180."))


class NearbyRetailerSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="retailer.pk")
    shop_name = serializers.CharField(source="retailer.shop_name")
    address = serializers.CharField(source="retailer.address")
    phone = serializers.CharField(source="retailer.phone")
    latitude = serializers.DecimalField(source="retailer.latitude", max_digits=9, decimal_places=6)
    longitude = serializers.DecimalField(
        source="retailer.longitude", max_digits=9, decimal_places=6
    )
    distance_m = serializers.IntegerField(help_text=_("Great-circle distance in metres."))


class NearbyRetailerViewSet(viewsets.ViewSet):
    @extend_schema(
        parameters=[NearbyQuerySerializer],
        responses=NearbyRetailerSerializer(many=True),
        description=(
            f"The signed-in user's active shops within {NEARBY_RADIUS_M // 1000} km of the "
            f"position (WGS-84), nearest first, at most {NEARBY_LIMIT}."
        ),
    )
    def list(self, request):
        query = NearbyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        shops = nearby_retailers(
            request.user, query.validated_data["lat"], query.validated_data["lng"]
        )
        return Response(NearbyRetailerSerializer(shops, many=True).data)


def register(router):
    router.register("nearby-retailers", NearbyRetailerViewSet, basename="nearby-retailer")
