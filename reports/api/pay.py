"""REST API of pay (read-only).

Pay runs: HR, admin and the assessment center see all; a customer manager sees the approved
runs holding a line of theirs. Pay lines: HR/admin see the company's; a customer manager only
their own lines of approved runs (another's line is a 404). ``?month=YYYY-MM`` narrows both,
``?run=<id>`` the lines.
"""

from django.core.exceptions import ValidationError
from rest_framework import serializers, viewsets

from ..forms import MonthField
from ..models import PayLine, PayRun
from ..selectors.pay import lines_visible_to, runs_visible_to


def _month(request):
    try:
        return MonthField(required=False).clean(request.query_params.get("month"))
    except ValidationError:  # a malformed month does not filter
        return None


class PayRunSerializer(serializers.ModelSerializer):
    prepared_by_name = serializers.CharField(source="prepared_by.name", read_only=True)
    approved_by_name = serializers.CharField(
        source="approved_by.name", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = PayRun
        fields = [
            "id",
            "company",
            "month",
            "scheme",
            "status",
            "prepared_by",
            "prepared_by_name",
            "prepared_at",
            "approved_by",
            "approved_by_name",
            "approved_at",
        ]


class PayLineSerializer(serializers.ModelSerializer):
    month = serializers.DateField(source="run.month", read_only=True)
    employee_no = serializers.CharField(source="manager.employee_no", read_only=True)
    manager_name = serializers.CharField(source="manager.name", read_only=True)

    class Meta:
        model = PayLine
        fields = [
            "id",
            "run",
            "month",
            "manager",
            "employee_no",
            "manager_name",
            "center_name",
            "department_name",
            "territory_name",
            "tier",
            "cartons_1",
            "cartons_2",
            "cartons_3",
            "cartons_4",
            "cartons_5",
            "piece_pay",
            "score",
            "score_coefficient",
            "tier_coefficient",
            "allowance",
            "adjustment",
            "bonus",
            "explanation",
        ]


class PayRunViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PayRunSerializer
    queryset = PayRun.objects.none()

    def get_queryset(self):
        runs = runs_visible_to(self.request.user).select_related("prepared_by", "approved_by")
        month = _month(self.request)
        return runs.filter(month=month) if month else runs.order_by("-month")


class PayLineViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PayLineSerializer
    queryset = PayLine.objects.none()

    def get_queryset(self):
        lines = lines_visible_to(self.request.user).select_related("run", "manager")
        month = _month(self.request)
        if month:
            lines = lines.filter(run__month=month)
        run = self.request.query_params.get("run")
        if run and run.isdigit():
            lines = lines.filter(run_id=int(run))
        return lines.order_by(
            "-run__month",
            "center_code",
            "department_code",
            "territory_code",
            "manager__employee_no",
        )


def register(router):
    router.register("pay/runs", PayRunViewSet, basename="payrun")
    router.register("pay/lines", PayLineViewSet, basename="payline")
