"""Reads of information feedback, complaints, satisfaction surveys and work plans.

The monthly counts (``information_counts``, ``complaint_counts``, ``work_plan_counts``,
``satisfaction_means``) cover every manager or territory of a month in ONE aggregate query
each (GROUP BY), for the monthly assessment. Months are Asia/Shanghai calendar months; a
datetime is in a month when it falls between the month's local midnights. Managers and
territories with nothing to count are absent from the dicts (read a missing key as 0).

The FilterSets (one per model) serve both the HTML lists and the API.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import django_filters
from django.db.models import Case, CharField, Count, F, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.filters import DateFilter, FilterSet
from accounts.models import OrgUnit, Role, Territory, User
from retailers.models import add_months, month_start

from ..models import (
    LEAD_TYPES,
    Complaint,
    ComplaintStatus,
    InformationItem,
    InfoType,
    LeadStatus,
    SatisfactionSurvey,
    SurveyChannel,
    Validity,
    WorkPlan,
    WorkPlanKind,
)

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_datetime(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """An aware datetime at ``hour:minute`` of ``day`` in Asia/Shanghai."""
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of ``month``'s calendar month as aware Asia/Shanghai datetimes."""
    first = month_start(month)
    return local_datetime(first), local_datetime(add_months(first, 1))


# --- Monthly counts for the assessment --------------------------------------------------------


def of_company(lookup: str, company) -> Q:
    """Rows whose user at ``lookup`` (e.g. ``"reported_by"``) belongs to ``company``'s org
    units; every row when ``company`` is None. The monthly counts are keyed by manager, and a
    city's close keeps the managers of its org units: this narrows a count to exactly the
    rows a city's close reads."""
    if company is None:
        return Q()
    return Q(**{f"{lookup}__org_unit__company": company})


def information_counts(
    *, month: date, closed_at: datetime | None = None, company=None
) -> dict[int, int]:
    """{manager id: items reported in ``month`` that count}.

    An item counts unless it was marked invalid by the month close (``closed_at``; without
    it, by now): pending and valid items count. ``company``: the managers of one city
    company only (None: every city).
    """
    start, end = month_bounds(month)
    invalid = Q(validity=Validity.INVALID)
    if closed_at is not None:
        invalid &= Q(reviewed_at__lte=closed_at)
    rows = (
        InformationItem.objects.filter(
            of_company("reported_by", company), reported_at__gte=start, reported_at__lt=end
        )
        .exclude(invalid)
        .values("reported_by")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["reported_by"]: row["n"] for row in rows}


def assigned_on_day(day_field: str) -> Q:
    """Rows joined to their retailer's assignment in force on ``day_field`` (a date, or an
    annotation of one)."""
    return Q(retailer__assignments__valid_from__lte=F(day_field)) & (
        Q(retailer__assignments__valid_to__isnull=True)
        | Q(retailer__assignments__valid_to__gt=F(day_field))
    )


def complaint_counts(
    *, month: date, closed_at: datetime | None = None, company=None
) -> dict[int, dict]:
    """{manager id: {"overdue": n, "substantiated": n}}, charged to the manager assigned to
    the complaint's retailer on the day of the event that decides it (DOMAIN §10.1): the
    72 h deadline for an overdue one, the closing day for a substantiated one.

    Overdue: its 72 h deadline (``resolve_by``) falls in ``month`` and had passed by the
    month close (``closed_at``, else now) without a resolution by that deadline; once per
    complaint. Substantiated: closed in ``month`` (by the month close) and judged 属实.
    One aggregate query each. ``company``: charged to the managers of one city company only.
    """
    start, end = month_bounds(month)
    cutoff = min(end, closed_at or timezone.now())
    overdue = Q(resolve_by__gte=start, resolve_by__lt=cutoff) & (
        Q(resolved_at__isnull=True) | Q(resolved_at__gt=F("resolve_by"))
    )
    substantiated = Q(substantiated=True, closed_at__gte=start, closed_at__lt=cutoff)
    result: dict[int, dict] = {}
    for key, condition, field in (
        ("overdue", overdue, "resolve_by"),
        ("substantiated", substantiated, "closed_at"),
    ):
        rows = (
            Complaint.objects.filter(condition)
            .annotate(day=TruncDate(field, tzinfo=LOCAL_TZ))
            .filter(
                # One filter call: the same assignment row for all three conditions.
                assigned_on_day("day"),
                of_company("retailer__assignments__manager", company),
                retailer__assignments__manager__isnull=False,
            )
            .values(manager=F("retailer__assignments__manager"))
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            counts = result.setdefault(row["manager"], {"overdue": 0, "substantiated": 0})
            counts[key] = row["n"]
    return result


def work_plan_counts(
    *, month: date, closed_at: datetime | None = None, company=None
) -> dict[int, dict]:
    """{manager id: {"late": n, "missing": n}} over the plans due in ``month``.

    Late: submitted after its due time (and by the month close). Missing: its due time has
    passed and it was not submitted by the month close (``closed_at``, else now).
    ``company``: the managers of one city company only.
    """
    start, end = month_bounds(month)
    cutoff = closed_at or timezone.now()
    late = Q(submitted_at__gt=F("due_at"), submitted_at__lte=cutoff)
    missing = Q(due_at__lt=cutoff) & (Q(submitted_at__isnull=True) | Q(submitted_at__gt=cutoff))
    rows = (
        WorkPlan.objects.filter(of_company("manager", company), due_at__gte=start, due_at__lt=end)
        .filter(late | missing)
        .values("manager")
        .annotate(late=Count("pk", filter=late), missing=Count("pk", filter=missing))
        .order_by()
    )
    return {row["manager"]: {"late": row["late"], "missing": row["missing"]} for row in rows}


def satisfaction_means(*, month: date) -> dict[int, tuple[Decimal, int]]:
    """{territory id: (mean score, number of answers)} of the survey answers dated in
    ``month`` for the retailers of the territory (their territory now). The mean is the
    exact quotient as a Decimal, not rounded."""
    first = month_start(month)
    rows = (
        SatisfactionSurvey.objects.filter(
            surveyed_on__gte=first, surveyed_on__lt=add_months(first, 1)
        )
        .values("retailer__territory")
        .annotate(total=Sum("score"), n=Count("pk"))
        .order_by()
    )
    return {
        row["retailer__territory"]: (Decimal(row["total"]) / Decimal(row["n"]), row["n"])
        for row in rows
    }


def satisfaction_by_manager(*, month: date, company=None) -> dict[int, tuple[Decimal, int]]:
    """{manager id: (mean score, number of answers)} of the survey answers dated in
    ``month``, each for the manager assigned to its retailer on its date (DOMAIN §10.1), in
    one aggregate query. The mean is the exact quotient, not rounded. ``company``: the
    managers of one city company only."""
    first = month_start(month)
    rows = (
        SatisfactionSurvey.objects.filter(
            assigned_on_day("surveyed_on"),
            of_company("retailer__assignments__manager", company),
            retailer__assignments__manager__isnull=False,
            surveyed_on__gte=first,
            surveyed_on__lt=add_months(first, 1),
        )
        .values(manager=F("retailer__assignments__manager"))
        .annotate(total=Sum("score"), n=Count("pk"))
        .order_by()
    )
    return {row["manager"]: (Decimal(row["total"]) / Decimal(row["n"]), row["n"]) for row in rows}


# --- Pages and API ----------------------------------------------------------------------------


INFORMATION_RELATED = ("reported_by", "territory", "retailer", "reviewed_by")


def information_feed(*, user):
    return InformationItem.objects.visible_to(user).select_related(*INFORMATION_RELATED)


def complaint_overdue_q(now: datetime) -> Q:
    """Unresolved complaints past a deadline: no first response by ``respond_by``, or not
    resolved by ``resolve_by``."""
    return Q(status__in=[ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS]) & (
        Q(resolve_by__lt=now) | Q(status=ComplaintStatus.OPEN, respond_by__lt=now)
    )


def annotate_complaint_sla(queryset, now: datetime):
    """Add ``response_late`` / ``resolution_late``: the deadline passed before the step was
    done, or is past and the step is still not done."""
    return queryset.annotate(
        response_late=Case(
            When(first_response_at__gt=F("respond_by"), then=Value(True)),
            When(first_response_at__isnull=True, respond_by__lt=now, then=Value(True)),
            default=Value(False),
        ),
        resolution_late=Case(
            When(resolved_at__gt=F("resolve_by"), then=Value(True)),
            When(resolved_at__isnull=True, resolve_by__lt=now, then=Value(True)),
            default=Value(False),
        ),
    )


COMPLAINT_RELATED = ("retailer", "territory__manager", "opened_by")


def complaints_for(*, user, now: datetime | None = None):
    """Visible complaints with their service-level flags (``annotate_complaint_sla``)."""
    queryset = Complaint.objects.visible_to(user).select_related(*COMPLAINT_RELATED)
    return annotate_complaint_sla(queryset, now or timezone.now())


def complaints_overdue(*, user, now: datetime | None = None):
    """The overdue list: unresolved complaints past a deadline, oldest deadline first."""
    now = now or timezone.now()
    return (
        complaints_for(user=user, now=now).filter(complaint_overdue_q(now)).order_by("resolve_by")
    )


SURVEY_RELATED = ("retailer__territory", "recorded_by")


def surveys_for(*, user):
    return SatisfactionSurvey.objects.visible_to(user).select_related(*SURVEY_RELATED)


class PlanState:
    DUE = "due"
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"

    choices = [
        (DUE, _("Due")),
        (ON_TIME, _("On time")),
        (LATE, _("Late")),
        (MISSING, _("Missing")),
    ]


def annotate_plan_state(queryset, now: datetime):
    """Add ``state``: due (not submitted, due time ahead), on time, late (submitted after
    the due time) or missing (due time passed, not submitted)."""
    return queryset.annotate(
        state=Case(
            When(submitted_at__isnull=True, due_at__gte=now, then=Value(PlanState.DUE)),
            When(submitted_at__isnull=True, then=Value(PlanState.MISSING)),
            When(submitted_at__gt=F("due_at"), then=Value(PlanState.LATE)),
            default=Value(PlanState.ON_TIME),
            output_field=CharField(),
        )
    )


def work_plans_for(*, user, now: datetime | None = None):
    """Visible work plans with their ``state`` (``annotate_plan_state``)."""
    queryset = WorkPlan.objects.visible_to(user).select_related("manager__territory")
    return annotate_plan_state(queryset, now or timezone.now())


def work_plan_summary(queryset) -> dict[str, int]:
    """Number of plans per state of an annotated (``work_plans_for``) queryset, one query."""
    return queryset.order_by().aggregate(
        **{state: Count("pk", filter=Q(state=state)) for state, _label in PlanState.choices}
    )


# --- FilterSets --------------------------------------------------------------------------------


def visible_units(request):
    if request is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.visible_to(request.user).order_by("path")


def visible_territories(request):
    if request is None:
        return Territory.objects.none()
    return Territory.objects.visible_to(request.user).order_by("code")


def visible_managers(request):
    if request is None:
        return User.objects.none()
    return User.objects.visible_to(request.user).filter(role=Role.CUSTOMER_MANAGER)


class _LocalDateRange(FilterSet):
    """``date_from`` / ``date_to`` (inclusive local dates) over the datetime ``date_field``."""

    date_field = ""
    date_from = DateFilter(method="filter_date_from", label=_("From"))
    date_to = DateFilter(method="filter_date_to", label=_("To"))

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__gte": local_datetime(value)})

    def filter_date_to(self, queryset, name, value):
        end = local_datetime(value + timedelta(days=1))
        return queryset.filter(**{f"{self.date_field}__lt": end})


class InformationItemFilter(_LocalDateRange):
    date_field = "reported_at"
    q = django_filters.CharFilter(method="search", label=_("Search"))
    kind = django_filters.MultipleChoiceFilter(choices=InfoType.choices, label=_("Type"))
    validity = django_filters.ChoiceFilter(choices=Validity.choices, label=_("Validity"))
    org_unit = django_filters.ModelChoiceFilter(
        queryset=visible_units, method="filter_org_unit", label=_("Org unit")
    )
    territory = django_filters.ModelChoiceFilter(queryset=visible_territories, label=_("Territory"))
    reported_by = django_filters.ModelChoiceFilter(
        queryset=visible_managers, label=_("Reported by")
    )
    lead = django_filters.BooleanFilter(method="filter_lead", label=_("Leads only"))
    lead_status = django_filters.ChoiceFilter(choices=LeadStatus.choices, label=_("Follow-up"))

    class Meta:
        model = InformationItem
        fields = [
            "q",
            "kind",
            "validity",
            "org_unit",
            "territory",
            "reported_by",
            "date_from",
            "date_to",
            "lead",
            "lead_status",
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(content__icontains=value)
            | Q(retailer__license_no__startswith=value)
            | Q(retailer__shop_name__icontains=value)
        )

    @extend_schema_field(OpenApiTypes.INT)
    def filter_org_unit(self, queryset, name, value):
        return queryset.filter(territory__department__path__startswith=value.path)

    def filter_lead(self, queryset, name, value):
        return (
            queryset.filter(kind__in=LEAD_TYPES) if value else queryset.exclude(kind__in=LEAD_TYPES)
        )


class ComplaintFilter(_LocalDateRange):
    date_field = "opened_at"
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=ComplaintStatus.choices, label=_("Status"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    org_unit = django_filters.ModelChoiceFilter(
        queryset=visible_units, method="filter_org_unit", label=_("Org unit")
    )
    territory = django_filters.ModelChoiceFilter(queryset=visible_territories, label=_("Territory"))
    substantiated = django_filters.BooleanFilter(label=_("Substantiated"))

    class Meta:
        model = Complaint
        fields = [
            "q",
            "status",
            "overdue",
            "org_unit",
            "territory",
            "retailer",
            "substantiated",
            "date_from",
            "date_to",
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(retailer__license_no__startswith=value)
            | Q(retailer__shop_name__icontains=value)
            | Q(content__icontains=value)
        )

    def filter_overdue(self, queryset, name, value):
        overdue = complaint_overdue_q(timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    @extend_schema_field(OpenApiTypes.INT)
    def filter_org_unit(self, queryset, name, value):
        return queryset.filter(territory__department__path__startswith=value.path)


class SatisfactionSurveyFilter(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    org_unit = django_filters.ModelChoiceFilter(
        queryset=visible_units, method="filter_org_unit", label=_("Org unit")
    )
    territory = django_filters.ModelChoiceFilter(
        queryset=visible_territories, field_name="retailer__territory", label=_("Territory")
    )
    channel = django_filters.ChoiceFilter(choices=SurveyChannel.choices, label=_("Channel"))
    date_from = DateFilter(field_name="surveyed_on", lookup_expr="gte", label=_("From"))
    date_to = DateFilter(field_name="surveyed_on", lookup_expr="lte", label=_("To"))

    class Meta:
        model = SatisfactionSurvey
        fields = [
            "q",
            "org_unit",
            "territory",
            "retailer",
            "score",
            "channel",
            "date_from",
            "date_to",
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(retailer__license_no__startswith=value) | Q(retailer__shop_name__icontains=value)
        )

    @extend_schema_field(OpenApiTypes.INT)
    def filter_org_unit(self, queryset, name, value):
        return queryset.filter(retailer__territory__department__path__startswith=value.path)


class WorkPlanFilter(FilterSet):
    """``state`` needs a queryset from ``work_plans_for`` (annotated)."""

    kind = django_filters.ChoiceFilter(choices=WorkPlanKind.choices, label=_("Kind"))
    state = django_filters.ChoiceFilter(choices=PlanState.choices, label=_("State"))
    month = DateFilter(
        method="filter_month", label=_("Due in month"), input_formats=["%Y-%m", "%Y-%m-%d"]
    )
    org_unit = django_filters.ModelChoiceFilter(
        queryset=visible_units, method="filter_org_unit", label=_("Org unit")
    )
    manager = django_filters.ModelChoiceFilter(
        queryset=visible_managers, label=_("Customer manager")
    )

    class Meta:
        model = WorkPlan
        fields = ["kind", "state", "month", "org_unit", "manager"]

    def filter_month(self, queryset, name, value):
        start, end = month_bounds(value)
        return queryset.filter(due_at__gte=start, due_at__lt=end)

    @extend_schema_field(OpenApiTypes.INT)
    def filter_org_unit(self, queryset, name, value):
        return queryset.filter(manager__org_unit__path__startswith=value.path)


# --- The list pages' rows (the page and its export read the same) ----------------------------


def as_request(user):
    """What a FilterSet needs of a request (its choice querysets read ``request.user``), for
    the same filters applied outside a request (an export job)."""
    return SimpleNamespace(user=user)


def information_filtered(*, user, params, request=None) -> InformationItemFilter:
    """The information feed with the page's filters: ``.qs`` is the page's rows, newest
    first."""
    queryset = information_feed(user=user).order_by("-reported_at", "-pk")
    return InformationItemFilter(params, queryset=queryset, request=request or as_request(user))


def complaints_filtered(
    *, user, params, now: datetime | None = None, request=None
) -> ComplaintFilter:
    """The complaint list with the page's filters: ``.qs`` is the page's rows, the overdue
    tab (``overdue=true``) by deadline, otherwise newest first."""
    queryset = complaints_for(user=user, now=now)
    if params.get("overdue") in ("true", "1"):
        queryset = queryset.order_by("resolve_by", "pk")
    else:
        queryset = queryset.order_by("-opened_at", "-pk")
    return ComplaintFilter(params, queryset=queryset, request=request or as_request(user))
