"""REST API of the alerts (read-only): ``GET /api/v1/alerts/?month=YYYY-MM&limit=N``.

The counts of every section the user sees and its first ``limit`` rows (default 100, at most
1,000), from the same selectors as the alerts page (``reports.selectors.alerts``). A role
without alerts gets a 404.
"""

from django.http import Http404
from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from ..alerts import evaluation_day
from ..selectors import alerts as selectors
from ..views.alerts import alerts_month

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class AlertRetailerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    license_no = serializers.CharField()
    shop_name = serializers.CharField()
    status = serializers.CharField()
    territory = serializers.CharField(source="territory.code")
    manager = serializers.IntegerField(source="territory.manager_id", allow_null=True)


class NoOrderAlertSerializer(serializers.Serializer):
    retailer = AlertRetailerSerializer()
    last_order_date = serializers.DateField(allow_null=True)
    since = serializers.DateField()
    days = serializers.IntegerField()


class OrderAnomalySerializer(serializers.Serializer):
    retailer = AlertRetailerSerializer()
    manager_name = serializers.CharField(source="manager.name", default=None, allow_null=True)
    department_name = serializers.CharField()
    this_month = serializers.DateField()
    last_month = serializers.DateField()
    this_cartons = serializers.IntegerField()
    last_cartons = serializers.IntegerField()
    department_this_cartons = serializers.IntegerField()
    department_last_cartons = serializers.IntegerField()
    retailer_ratio = serializers.DecimalField(max_digits=14, decimal_places=4)
    department_ratio = serializers.DecimalField(max_digits=14, decimal_places=4)
    relative = serializers.DecimalField(max_digits=14, decimal_places=4)


class ViolationAlertSerializer(serializers.Serializer):
    retailer = AlertRetailerSerializer()
    violations = serializers.IntegerField()
    latest = serializers.DateField()
    window_from = serializers.DateField()


class MissedPlanAlertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    retailer = AlertRetailerSerializer()
    manager = serializers.IntegerField(source="manager_id")
    window_start = serializers.DateField()
    window_end = serializers.DateField()
    planned_class = serializers.CharField()


class ScoreAlertSerializer(serializers.Serializer):
    score = serializers.IntegerField(source="score.pk")
    manager = serializers.IntegerField(source="manager.pk")
    employee_no = serializers.CharField(source="manager.employee_no")
    manager_name = serializers.CharField(source="manager.name")
    total = serializers.DecimalField(max_digits=6, decimal_places=2)
    previous = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    below_floor = serializers.BooleanField()
    dropped = serializers.BooleanField()
    floor = serializers.DecimalField(max_digits=5, decimal_places=2)
    drop_threshold = serializers.DecimalField(max_digits=5, decimal_places=2)


class OverdueComplaintSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    retailer = AlertRetailerSerializer()
    status = serializers.CharField()
    opened_at = serializers.DateTimeField()
    respond_by = serializers.DateTimeField()
    resolve_by = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)


class FlaggedVisitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    retailer = AlertRetailerSerializer()
    manager = serializers.IntegerField(source="manager_id")
    checked_in_at = serializers.DateTimeField()
    flag_far = serializers.BooleanField()
    flag_short = serializers.BooleanField()
    flag_rapid = serializers.BooleanField()
    flag_no_location = serializers.BooleanField()


class CoverageGapSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    unit = serializers.IntegerField(source="unit.pk")
    unit_name = serializers.CharField(source="unit.name")
    manager = serializers.IntegerField(source="manager.pk", default=None, allow_null=True)
    done = serializers.IntegerField()
    required = serializers.IntegerField()
    missing = serializers.IntegerField()


class LateMonthSerializer(serializers.Serializer):
    company = serializers.IntegerField(source="company.pk")
    company_name = serializers.CharField(source="company.name")
    month = serializers.DateField()
    step = serializers.ChoiceField(choices=["close", "publish"])
    deadline = serializers.DateField()
    done_on = serializers.DateField(allow_null=True)


class PayRunWaitingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    company = serializers.IntegerField(source="company_id")
    month = serializers.DateField()
    status = serializers.CharField()
    prepared_by_name = serializers.CharField(source="prepared_by.name")
    prepared_at = serializers.DateTimeField()


class TierProposalWaitingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    quarter_start = serializers.DateField()
    manager = serializers.IntegerField(source="manager_id")
    manager_name = serializers.CharField(source="manager.name")
    current_tier = serializers.CharField()
    proposed_tier = serializers.CharField()
    flag = serializers.CharField()


class OrderFileAlertSerializer(serializers.Serializer):
    company = serializers.IntegerField(source="company.pk")
    company_name = serializers.CharField(source="company.name")
    expected_days = serializers.IntegerField()
    last_received = serializers.DateField(allow_null=True)
    last_file = serializers.CharField(source="last_file.name", default=None)


ROW_SERIALIZERS = {
    selectors.NO_ORDERS: NoOrderAlertSerializer,
    selectors.ORDER_ANOMALY: OrderAnomalySerializer,
    selectors.VIOLATIONS: ViolationAlertSerializer,
    selectors.MISSED_PLANS: MissedPlanAlertSerializer,
    selectors.NOT_VISITED: AlertRetailerSerializer,
    selectors.LOW_SCORES: ScoreAlertSerializer,
    selectors.OVERDUE_COMPLAINTS: OverdueComplaintSerializer,
    selectors.UNREVIEWED_VISITS: FlaggedVisitSerializer,
    selectors.COVERAGE_GAPS: CoverageGapSerializer,
    selectors.LATE_MONTHS: LateMonthSerializer,
    selectors.PAY_RUNS: PayRunWaitingSerializer,
    selectors.TIER_PROPOSALS: TierProposalWaitingSerializer,
    selectors.ORDER_FILES: OrderFileAlertSerializer,
}

# Sections a user does not see are absent from ``counts`` and ``alerts``.
AlertRowsSerializer = type(
    "AlertRowsSerializer",
    (serializers.Serializer,),
    {
        key: serializer(many=True, required=False, help_text=str(selectors.SECTION_LABELS[key]))
        for key, serializer in ROW_SERIALIZERS.items()
    },
)


class AlertsSerializer(serializers.Serializer):
    month = serializers.DateField()
    evaluated_on = serializers.DateField()
    counts = serializers.DictField(child=serializers.IntegerField())
    alerts = AlertRowsSerializer()


def _limit(value) -> int:
    if value and str(value).isdigit():
        return max(0, min(int(value), MAX_LIMIT))
    return DEFAULT_LIMIT


class OneObjectSchema(AutoSchema):
    """``list`` answers one object (counts and rows), not an array of them."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class AlertViewSet(viewsets.ViewSet):
    """The alerts (预警) of a month: the number of rows of each section and its first rows."""

    schema = OneObjectSchema()

    @extend_schema(
        parameters=[
            OpenApiParameter("month", str, description="YYYY-MM (default: this month)"),
            OpenApiParameter("limit", int, description=f"rows per section (≤ {MAX_LIMIT})"),
        ],
        responses=AlertsSerializer,
    )
    def list(self, request):
        user = request.user
        if not selectors.sections_for(user):
            raise Http404
        month = alerts_month(request.query_params.get("month"))
        limit = _limit(request.query_params.get("limit"))
        counts, rows = selectors.alert_summary(user, month=month, limit=limit)
        data = {
            "month": month,
            "evaluated_on": evaluation_day(month, timezone.localdate()),
            "counts": counts,
            "alerts": rows,
        }
        return Response(AlertsSerializer(data).data)


def register(router):
    router.register("alerts", AlertViewSet, basename="alerts")
