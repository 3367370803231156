"""REST API for the org tree, territories and users (read-only, scoped)."""

from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .filters import OrgUnitFilter, TerritoryFilter, UserFilter
from .models import OrgUnit, Territory, User


class ScopedViewSetMixin:
    """Starts every API queryset from ``visible_to(request.user)``.

    Objects outside the user's subtree are simply not in the queryset, so a detail
    request for one answers 404, never 403 and never data.
    """

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)


class OrgUnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgUnit
        fields = ["id", "code", "name", "kind", "parent", "path", "is_active"]


class UserSerializer(serializers.ModelSerializer):
    org_unit_name = serializers.CharField(
        source="org_unit.name", default=None, allow_null=True, read_only=True
    )
    # The territory the user manages: null for everyone but an assigned customer manager.
    territory = serializers.PrimaryKeyRelatedField(read_only=True, default=None, allow_null=True)

    class Meta:
        model = User
        fields = [
            "id",
            "employee_no",
            "name",
            "phone",
            "role",
            "org_unit",
            "org_unit_name",
            "territory",
            "hire_date",
            "is_active",
        ]


class TerritorySerializer(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)
    manager_name = serializers.CharField(
        source="manager.name", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = Territory
        fields = [
            "id",
            "code",
            "name",
            "department",
            "department_name",
            "manager",
            "manager_name",
            "is_active",
        ]


class OrgUnitViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = OrgUnit.objects.all()
    serializer_class = OrgUnitSerializer
    filterset_class = OrgUnitFilter
    ordering_fields = ["path", "code", "name"]


class TerritoryViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Territory.objects.select_related("department", "manager")
    serializer_class = TerritorySerializer
    filterset_class = TerritoryFilter
    ordering_fields = ["code", "name"]


class UserViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = User.objects.select_related("org_unit", "territory")
    serializer_class = UserSerializer
    filterset_class = UserFilter
    ordering_fields = ["employee_no", "name"]

    @action(detail=False)
    def me(self, request):
        return Response(self.get_serializer(request.user).data)


def register(router):
    router.register("org-units", OrgUnitViewSet)
    router.register("territories", TerritoryViewSet)
    router.register("users", UserViewSet)
