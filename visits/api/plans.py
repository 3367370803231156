"""Visit plans API: the phone reads the day's route from here."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api import ScopedViewSetMixin
from accounts.filters import FilterSet

from ..models import VisitPlan
from ..selectors.plans import completed_visit_exists, route_for


class VisitPlanFilter(FilterSet):
    class Meta:
        model = VisitPlan
        fields = ["month", "scheduled_for", "manager", "territory", "retailer", "dropped"]


class VisitPlanSerializer(serializers.ModelSerializer):
    retailer_name = serializers.CharField(source="retailer.shop_name", read_only=True)
    address = serializers.CharField(source="retailer.address", read_only=True)
    latitude = serializers.DecimalField(
        source="retailer.latitude", max_digits=9, decimal_places=6, read_only=True
    )
    longitude = serializers.DecimalField(
        source="retailer.longitude", max_digits=9, decimal_places=6, read_only=True
    )
    done = serializers.BooleanField(read_only=True)

    class Meta:
        model = VisitPlan
        fields = [
            "id",
            "manager",
            "retailer",
            "retailer_name",
            "address",
            "latitude",
            "longitude",
            "month",
            "window_start",
            "window_end",
            "planned_class",
            "scheduled_for",
            "route_position",
            "dropped",
            "done",
        ]


class VisitPlanViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = (
        VisitPlan.objects.select_related("retailer")
        .annotate(done=completed_visit_exists())
        .order_by("scheduled_for", "route_position", "pk")
    )
    serializer_class = VisitPlanSerializer
    filterset_class = VisitPlanFilter

    @extend_schema(responses=VisitPlanSerializer(many=True))
    @action(detail=False, pagination_class=None)
    def today(self, request):
        """The signed-in manager's route for today, in walking order."""
        stops = route_for(request.user, timezone.localdate())
        return Response(VisitPlanSerializer(stops, many=True).data)


def register(router):
    router.register("visit-plans", VisitPlanViewSet, basename="visitplan")
