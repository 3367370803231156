"""REST API of the dashboards (read-only): the same figures as the dashboard page, from the
same selectors (``reports.selectors.dashboards``).

``/api/v1/dashboard/kpis/``, ``/api/v1/dashboard/children/`` and ``/api/v1/dashboard/trend/``
take ``?unit=<org unit id>`` or ``?manager=<user id>`` (default: the user's own scope) and
``?month=YYYY-MM`` (default: this month). A malformed month or id is a 400, a scope outside
the user's subtree a 404.
"""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from retailers.models import month_start

from ..forms import MonthField
from ..selectors import dashboards as selectors

PARAMETERS = [
    OpenApiParameter("unit", int, description="org unit id (default: the user's own)"),
    OpenApiParameter("manager", int, description="a customer manager's user id"),
    OpenApiParameter("month", str, description="YYYY-MM (default: this month)"),
]


class ScopeSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=selectors.LEVELS)
    name = serializers.CharField()
    unit = serializers.IntegerField(source="unit.pk", allow_null=True, default=None)
    manager = serializers.IntegerField(source="manager.pk", allow_null=True, default=None)


class FiguresSerializer(serializers.Serializer):
    month = serializers.DateField()
    managers = serializers.IntegerField()
    sales_boxes = serializers.DecimalField(max_digits=14, decimal_places=2)
    sales_target_boxes = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    sales_completion = serializers.DecimalField(max_digits=10, decimal_places=4, allow_null=True)
    key_boxes = serializers.DecimalField(max_digits=14, decimal_places=2)
    key_target_boxes = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    key_completion = serializers.DecimalField(max_digits=10, decimal_places=4, allow_null=True)
    plans_planned = serializers.IntegerField()
    plans_completed = serializers.IntegerField()
    visit_completion = serializers.DecimalField(max_digits=10, decimal_places=4, allow_null=True)
    info_valid = serializers.IntegerField()
    complaints_open = serializers.IntegerField()
    complaints_overdue = serializers.IntegerField()
    satisfaction_mean = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    score_mean = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    scored_managers = serializers.IntegerField()
    coverage_l3 = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    coverage_l2 = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    coverage_l1 = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    retailers_active = serializers.IntegerField()
    retailers_suspended = serializers.IntegerField()
    retailers_cancelled = serializers.IntegerField()
    class_a = serializers.IntegerField()
    class_b = serializers.IntegerField()
    class_c = serializers.IntegerField()
    class_up = serializers.IntegerField()
    class_down = serializers.IntegerField()
    refreshed_at = serializers.DateTimeField(allow_null=True)


class ChangeSerializer(serializers.Serializer):
    previous_month = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    last_year = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)


class MonthStateSerializer(serializers.Serializer):
    company = serializers.CharField()
    company_id = serializers.IntegerField()
    state = serializers.CharField(allow_null=True)


class BrandRateSerializer(serializers.Serializer):
    brand_id = serializers.IntegerField()
    name = serializers.CharField()
    observed = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    ordered = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    target = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)


class NewBrandRatesSerializer(serializers.Serializer):
    observed = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    ordered = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    target = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    brands = BrandRateSerializer(many=True)


class KpisSerializer(serializers.Serializer):
    scope = ScopeSerializer()
    month = serializers.DateField()
    current = FiguresSerializer()
    previous = FiguresSerializer()
    last_year = FiguresSerializer()
    changes = serializers.DictField(child=ChangeSerializer())
    minimums = serializers.DictField(child=serializers.DecimalField(max_digits=6, decimal_places=4))
    month_states = MonthStateSerializer(many=True)
    new_brand_rates = NewBrandRatesSerializer()


class ChildSerializer(serializers.Serializer):
    scope = ScopeSerializer()
    figures = FiguresSerializer()


class TrendSerializer(serializers.Serializer):
    month = serializers.DateField()
    sales_boxes = serializers.DecimalField(max_digits=14, decimal_places=2)
    target_boxes = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    score_mean = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)


def scope_and_month(request, params):
    """The scope and month a dashboard request asks for: Http404 for a scope outside the
    user's subtree, ValidationError for a malformed month or id (the page answers it with
    its 404, the API with a 400)."""
    month = MonthField(required=False).clean(params.get("month"))
    if month is None:
        month = month_start(timezone.localdate())

    def number(name):
        value = params.get(name)
        if value in (None, ""):
            return None
        if not str(value).isdigit():
            raise ValidationError({name: _("Enter a whole number.")})
        return int(value)

    scope = selectors.scope_for(request.user, unit_id=number("unit"), manager_id=number("manager"))
    if scope is None:
        raise Http404
    return scope, month


def _scope_and_month(request):
    try:
        return scope_and_month(request, request.query_params)
    except ValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"month": exc.messages}
        raise serializers.ValidationError(detail) from exc


class DashboardViewSet(viewsets.ViewSet):
    """Dashboard figures of a scope and month (read-only)."""

    @extend_schema(parameters=PARAMETERS, responses=KpisSerializer)
    @action(detail=False)
    def kpis(self, request):
        scope, month = _scope_and_month(request)
        return Response(KpisSerializer(selectors.kpis(scope, month)).data)

    @extend_schema(parameters=PARAMETERS, responses=ChildSerializer(many=True))
    @action(detail=False)
    def children(self, request):
        scope, month = _scope_and_month(request)
        return Response(ChildSerializer(selectors.children(scope, month), many=True).data)

    @extend_schema(parameters=PARAMETERS, responses=TrendSerializer(many=True))
    @action(detail=False)
    def trend(self, request):
        scope, month = _scope_and_month(request)
        return Response(TrendSerializer(selectors.trend(scope, month), many=True).data)


def register(router):
    router.register("dashboard", DashboardViewSet, basename="dashboard")
