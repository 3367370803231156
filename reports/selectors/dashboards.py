"""Reads of the dashboards (DOMAIN.md §8): the scope a user looks at, its KPIs for a month
with the change against the previous month and the same month last year, the rows one level
down (the drill-down), 12-month trends, distributions and the 上柜率 heat map.

Every figure comes from here and nowhere else: the dashboard page, the API and the reports
call these functions, so a figure is the same number everywhere. They read the rollups
(``ManagerMonthKpi``, ``ShelfRateRollup``) with a fixed number of queries whatever the size
of the scope; they never scan visits or order lines.

Arithmetic (one definition everywhere):
- completion = Σ actual ÷ Σ target over the managers that have a target;
- 箱 = Σ of the managers' floored nets ÷ 250;
- 上柜率 = the rate over the scope's retailers (Σ on shelf ÷ Σ active), never a mean of
  territories; 新品上柜率 pools the brands new in the month;
- average score = the mean of the published totals (a month not yet published: None, shown
  as 未发布); a province pools the cities whose month is published;
- coverage = the share of managers inspected as often as each level's minimum asks.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Q, Sum

from accounts.models import OrgKind, OrgUnit, Role, User
from assessment.coverage import (
    LEVEL1_MIN_SHARE,
    LEVEL2_MIN_SHARE,
    LEVEL3_MIN_INSPECTIONS_PER_MANAGER,
)
from assessment.models import AssessmentMonth
from retailers.models import CARTONS_PER_BOX, Brand, KeyBrandMonth, add_months, month_start
from visits.models import InfoType, ScopeLevel, ShelfRateRollup
from visits.selectors.rates import rate, shelf_targets_by_key, target_for

from ..models import ManagerMonthKpi

LEVELS = ["province", "company", "center", "department", "manager"]
LEVEL_OF_KIND = {
    OrgKind.PROVINCE: "province",
    OrgKind.COMPANY: "company",
    OrgKind.MARKETING_CENTER: "center",
    OrgKind.SERVICE_DEPARTMENT: "department",
}
# The rollup column that names the child of each level, and the child's level.
CHILD = {
    "province": ("company_id", "company"),
    "company": ("center_id", "center"),
    "center": ("department_id", "department"),
    "department": ("manager_id", "manager"),
}
# 上柜率 rollup level of each dashboard level (the province sums its cities).
RATE_LEVEL = {
    "province": ScopeLevel.COMPANY,
    "company": ScopeLevel.COMPANY,
    "center": ScopeLevel.CENTER,
    "department": ScopeLevel.DEPARTMENT,
    "manager": ScopeLevel.TERRITORY,
}
SCORE_BANDS = [
    ("<60", None, Decimal(60)),
    ("60–70", Decimal(60), Decimal(70)),
    ("70–80", Decimal(70), Decimal(80)),
    ("80–90", Decimal(80), Decimal(90)),
    ("90–100", Decimal(90), Decimal(100)),
    ("≥100", Decimal(100), None),
]


def _ratio(part, whole) -> Decimal | None:
    if part is None or not whole:
        return None
    return Decimal(part) / Decimal(whole)


def _round(value: Decimal | None, places: str = "0.0001") -> Decimal | None:
    return None if value is None else value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


@dataclass
class Scope:
    """What a dashboard shows: an org unit's subtree, or one manager (a territory)."""

    level: str
    name: str
    unit: OrgUnit | None = None
    manager: User | None = None

    @property
    def param(self) -> dict:
        return {"manager": self.manager.pk} if self.manager else {"unit": self.unit.pk}

    @property
    def query(self) -> str:
        key, value = next(iter(self.param.items()))
        return f"{key}={value}"

    def rows(self, queryset):
        """Narrow rollup rows (``ManagerMonthKpi``) to the scope."""
        if self.manager is not None:
            return queryset.filter(manager=self.manager)
        return queryset.filter(org_path__startswith=self.unit.path)

    @property
    def company_ids(self) -> list[int] | None:
        """The city of a scope inside one city; None for a province (several)."""
        if self.manager is not None:
            return [self.manager.org_unit.company_id]
        if self.unit.kind == OrgKind.PROVINCE:
            return None
        return [self.unit.company_id]


def scope_for(user, *, unit_id=None, manager_id=None) -> Scope | None:
    """The scope asked for, if the user may see it (else None: the page answers 404); by
    default the user's own: a customer manager their territory, anyone else their unit."""
    if manager_id:
        manager = (
            User.objects.visible_to(user)
            .filter(pk=manager_id, role=Role.CUSTOMER_MANAGER)
            .select_related("org_unit")
            .first()
        )
        return Scope("manager", manager.name, manager=manager) if manager else None
    if unit_id:
        unit = OrgUnit.objects.visible_to(user).filter(pk=unit_id).first()
        if unit is None or (user.role == Role.CUSTOMER_MANAGER and not user.is_superuser):
            return None
        return Scope(LEVEL_OF_KIND[unit.kind], unit.name, unit=unit)
    if user.role == Role.CUSTOMER_MANAGER:
        return Scope("manager", user.name, manager=user)
    unit = user.org_unit
    if unit is None:
        unit = OrgUnit.objects.visible_to(user).filter(parent__isnull=True).order_by("path").first()
    return Scope(LEVEL_OF_KIND[unit.kind], unit.name, unit=unit) if unit else None


def breadcrumbs(user, scope: Scope) -> list[Scope]:
    """The visible units above the scope, from the top (one query)."""
    if user.role == Role.CUSTOMER_MANAGER and not user.is_superuser:
        return []
    path = scope.manager.org_unit.path if scope.manager else scope.unit.path
    ids = [int(pk) for pk in path.strip("/").split("/") if pk]
    if scope.unit is not None:
        ids = ids[:-1]
    units = OrgUnit.objects.visible_to(user).filter(pk__in=ids).order_by("path")
    return [Scope(LEVEL_OF_KIND[u.kind], u.name, unit=u) for u in units]


# --- KPIs -------------------------------------------------------------------------------------

# Counts shown as they are summed.
COUNTS = (
    "retailers_active",
    "retailers_suspended",
    "retailers_cancelled",
    "class_a",
    "class_b",
    "class_c",
    "class_up",
    "class_down",
)
SUMS = (
    "sales_cartons",
    "key_cartons",
    "plans_planned",
    "plans_completed",
    "info_valid",
    "complaints_open",
    "complaints_overdue",
    "survey_sum",
    "survey_count",
    *COUNTS,
)


def _month_aggregates(prefix: str, month: date) -> dict:
    """The aggregates of one month, named ``<prefix>__<figure>`` (one SELECT for all)."""
    at = Q(month=month)
    aggregates = {f"{prefix}__{name}": Sum(name, filter=at) for name in SUMS}
    aggregates.update(
        {
            f"{prefix}__managers": Count("pk", filter=at),
            f"{prefix}__sales_targeted": Sum(
                "sales_cartons", filter=at & Q(target_boxes__isnull=False)
            ),
            f"{prefix}__target_boxes": Sum("target_boxes", filter=at),
            f"{prefix}__key_targeted": Sum(
                "key_cartons", filter=at & Q(key_target_boxes__isnull=False)
            ),
            f"{prefix}__key_target_boxes": Sum("key_target_boxes", filter=at),
            f"{prefix}__score_sum": Sum("score_total", filter=at),
            f"{prefix}__score_n": Count("score_total", filter=at),
            f"{prefix}__score_adjustment": Sum(
                "score_adjustment", filter=at & Q(score_total__isnull=False)
            ),
            f"{prefix}__covered_l3": Count(
                "pk", filter=at & Q(inspections_l3__gte=LEVEL3_MIN_INSPECTIONS_PER_MANAGER)
            ),
            f"{prefix}__covered_l2": Count("pk", filter=at & Q(inspections_l2__gte=1)),
            f"{prefix}__covered_l1": Count("pk", filter=at & Q(inspections_l1__gte=1)),
            f"{prefix}__refreshed_at": Max("refreshed_at", filter=at),
        }
    )
    return aggregates


def _score_mean(total, published) -> Decimal | None:
    """The average score: the mean of the published totals (None: none published, 未发布)."""
    return _round(_ratio(total, published), "0.01")


def average_score(scope: Scope, month: date) -> tuple[Decimal | None, int]:
    """(average published total, managers published) of the scope in ``month``: the figure
    of the dashboard's card, for the score pages (one query)."""
    row = scope.rows(ManagerMonthKpi.objects.filter(month=month_start(month))).aggregate(
        total=Sum("score_total"), published=Count("score_total")
    )
    return _score_mean(row["total"], row["published"]), row["published"]


@dataclass
class Figures:
    """The KPIs of a scope in one month (None: no data, or 未发布 for the score)."""

    month: date
    managers: int = 0
    sales_boxes: Decimal = Decimal(0)
    sales_target_boxes: Decimal | None = None
    sales_completion: Decimal | None = None
    key_boxes: Decimal = Decimal(0)
    key_target_boxes: Decimal | None = None
    key_completion: Decimal | None = None
    plans_planned: int = 0
    plans_completed: int = 0
    visit_completion: Decimal | None = None
    info_valid: int = 0
    complaints_open: int = 0
    complaints_overdue: int = 0
    satisfaction_mean: Decimal | None = None
    score_mean: Decimal | None = None
    scored_managers: int = 0
    # The mean of the 调整 lines inside ``score_mean`` (late data of earlier months).
    score_adjustment_mean: Decimal | None = None
    coverage_l3: Decimal | None = None
    coverage_l2: Decimal | None = None
    coverage_l1: Decimal | None = None
    retailers_active: int = 0
    retailers_suspended: int = 0
    retailers_cancelled: int = 0
    class_a: int = 0
    class_b: int = 0
    class_c: int = 0
    class_up: int = 0
    class_down: int = 0
    refreshed_at: datetime | None = None

    @classmethod
    def from_row(cls, month: date, row: dict, prefix: str) -> "Figures":
        get = lambda name: row.get(f"{prefix}__{name}")  # noqa: E731
        value = lambda name: get(name) or 0  # noqa: E731
        managers = value("managers")
        target = get("target_boxes")
        key_target = get("key_target_boxes")
        figures = cls(
            month=month,
            managers=managers,
            sales_boxes=_round(Decimal(value("sales_cartons")) / CARTONS_PER_BOX, "0.01"),
            sales_target_boxes=target,
            sales_completion=_round(
                _ratio(Decimal(value("sales_targeted")) / CARTONS_PER_BOX, target)
            ),
            key_boxes=_round(Decimal(value("key_cartons")) / CARTONS_PER_BOX, "0.01"),
            key_target_boxes=key_target,
            key_completion=_round(
                _ratio(Decimal(value("key_targeted")) / CARTONS_PER_BOX, key_target)
            ),
            plans_planned=value("plans_planned"),
            plans_completed=value("plans_completed"),
            visit_completion=_round(_ratio(value("plans_completed"), value("plans_planned"))),
            info_valid=value("info_valid"),
            complaints_open=value("complaints_open"),
            complaints_overdue=value("complaints_overdue"),
            satisfaction_mean=_round(_ratio(value("survey_sum"), value("survey_count")), "0.01"),
            score_mean=_score_mean(get("score_sum"), value("score_n")),
            scored_managers=value("score_n"),
            score_adjustment_mean=_score_mean(get("score_adjustment"), value("score_n")),
            coverage_l3=_round(_ratio(value("covered_l3"), managers)),
            coverage_l2=_round(_ratio(value("covered_l2"), managers)),
            coverage_l1=_round(_ratio(value("covered_l1"), managers)),
            refreshed_at=get("refreshed_at"),
        )
        for name in COUNTS:
            setattr(figures, name, value(name))
        return figures


COMPARED = (
    "sales_boxes",
    "sales_completion",
    "key_boxes",
    "key_completion",
    "visit_completion",
    "info_valid",
    "complaints_open",
    "complaints_overdue",
    "satisfaction_mean",
    "score_mean",
    "coverage_l3",
    "coverage_l2",
    "coverage_l1",
    "retailers_active",
)


@dataclass
class Kpis:
    scope: Scope
    month: date
    current: Figures
    previous: Figures
    last_year: Figures
    minimums: dict = field(default_factory=dict)
    month_states: list = field(default_factory=list)  # each city's state of the month
    new_brand_rates: dict = field(default_factory=dict)

    def change(self, name: str, against: str) -> Decimal | None:
        now, then = getattr(self.current, name), getattr(getattr(self, against), name)
        if now is None or then is None:
            return None
        return now - then

    @property
    def changes(self) -> dict:
        return {
            name: {
                "previous_month": self.change(name, "previous"),
                "last_year": self.change(name, "last_year"),
            }
            for name in COMPARED
        }


def kpis(scope: Scope, month: date) -> Kpis:
    """The KPIs of ``scope`` in ``month`` with the previous month and the same month last
    year (3 queries: the rollup, the month states, the 上柜率 rollup)."""
    first = month_start(month)
    previous, last_year = add_months(first, -1), add_months(first, -12)
    aggregates = {}
    for prefix, at in (("cur", first), ("prev", previous), ("ly", last_year)):
        aggregates.update(_month_aggregates(prefix, at))
    row = scope.rows(
        ManagerMonthKpi.objects.filter(month__in=[first, previous, last_year])
    ).aggregate(**aggregates)
    result = Kpis(
        scope=scope,
        month=first,
        current=Figures.from_row(first, row, "cur"),
        previous=Figures.from_row(previous, row, "prev"),
        last_year=Figures.from_row(last_year, row, "ly"),
        minimums={
            "coverage_l3": Decimal(1),
            "coverage_l2": LEVEL2_MIN_SHARE,
            "coverage_l1": LEVEL1_MIN_SHARE,
            "inspections_l3": LEVEL3_MIN_INSPECTIONS_PER_MANAGER,
        },
        month_states=month_states(scope, first),
    )
    result.new_brand_rates = new_brand_rates(scope, first)
    return result


def month_states(scope: Scope, month: date) -> list[dict]:
    """{company, company_id, state (None: not computed)} of ``month`` for the cities of the
    scope (one query): a province shows each city's state."""
    months = AssessmentMonth.objects.filter(month=month).select_related("company")
    if scope.company_ids is not None:
        months = months.filter(company_id__in=scope.company_ids)
    else:
        months = months.filter(company__path__startswith=scope.unit.path)
    return [
        {"company": m.company.name, "company_id": m.company_id, "state": m.state}
        for m in months.order_by("company__code")
    ]


def _rate_rows(scope: Scope, month: date, level: str, brand_ids=None, scope_ids=None):
    rows = ShelfRateRollup.objects.filter(month=month, level=level, abc_class="")
    if brand_ids is not None:
        rows = rows.filter(brand_id__in=brand_ids)
    if scope_ids is not None:
        return rows.filter(scope_id__in=scope_ids)
    if scope.manager is not None:
        territory = getattr(scope.manager, "territory", None)
        return rows.filter(scope_id=territory.pk if territory else 0)
    if scope.unit.kind == OrgKind.PROVINCE:
        return rows.filter(org_path__startswith=scope.unit.path)
    return rows.filter(scope_id=scope.unit.pk)


def new_brand_rates(scope: Scope, month: date) -> dict:
    """新品上柜率 of the scope: the brands new in ``month`` pooled (Σ on shelf ÷ Σ active
    retailers over those brands), observed and order-based, with the mean of the targets
    that apply (the most specific at the scope or above). One query + targets."""
    level = RATE_LEVEL[scope.level]
    totals = {"active": 0, "observed": 0, "ordered": 0}
    brands = []
    rows = (
        _rate_rows(scope, month, level)
        .filter(brand__launch_date__lte=add_months(month, 1))
        .values("brand_id", "brand__name", "brand__launch_date")
        .annotate(
            active=Sum("active_retailers"),
            observed=Sum("observed_on_shelf"),
            ordered=Sum("ordered"),
        )
        .order_by("brand__name")
    )
    new_rows = [
        r
        for r in rows
        if r["brand__launch_date"] and Brand(launch_date=r["brand__launch_date"]).is_new_in(month)
    ]
    targets = shelf_targets_by_key(month=month, brand_ids=[r["brand_id"] for r in new_rows])
    if scope.manager is not None:
        territory = getattr(scope.manager, "territory", None)
        path, territory_id = scope.manager.org_unit.path, territory.pk if territory else None
    else:
        path, territory_id = scope.unit.path, None
    for r in new_rows:
        for key in totals:
            totals[key] += r[key] or 0
        brands.append(
            {
                "brand_id": r["brand_id"],
                "name": r["brand__name"],
                "observed": _round(rate(r["observed"], r["active"])),
                "ordered": _round(rate(r["ordered"], r["active"])),
                "target": target_for(
                    targets, brand_id=r["brand_id"], org_path=path, territory_id=territory_id
                ),
            }
        )
    with_target = [b["target"] for b in brands if b["target"] is not None]
    return {
        "observed": _round(rate(totals["observed"], totals["active"])),
        "ordered": _round(rate(totals["ordered"], totals["active"])),
        "target": _round(sum(with_target) / len(with_target)) if with_target else None,
        "brands": brands,
    }


# --- One level down, trends, distributions ------------------------------------------------


@dataclass
class ChildRow:
    scope: Scope
    figures: Figures


def children(scope: Scope, month: date) -> list[ChildRow]:
    """The scope's figures one level down (the drill-down table): 2 queries."""
    if scope.manager is not None:
        return []
    column, level = CHILD[scope.level]
    first = month_start(month)
    aggregates = _month_aggregates("cur", first)
    rows = list(
        scope.rows(ManagerMonthKpi.objects.filter(month=first))
        .values(column)
        .annotate(**aggregates)
        .order_by(column)
    )
    ids = [row[column] for row in rows]
    if level == "manager":
        names = {u.pk: u for u in User.objects.filter(pk__in=ids).select_related("org_unit")}
        make = lambda pk: Scope("manager", names[pk].name, manager=names[pk])  # noqa: E731
    else:
        names = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids)}
        make = lambda pk: Scope(level, names[pk].name, unit=names[pk])  # noqa: E731
    result = [ChildRow(make(row[column]), Figures.from_row(first, row, "cur")) for row in rows]
    return sorted(result, key=lambda child: child.scope.name)


def trend(scope: Scope, month: date, months: int = 12) -> list[dict]:
    """Sales vs target (箱) and the average published score of the last ``months`` months,
    oldest first (one query)."""
    first = month_start(month)
    start = add_months(first, -(months - 1))
    rows = {
        row["month"]: row
        for row in scope.rows(ManagerMonthKpi.objects.filter(month__gte=start, month__lte=first))
        .values("month")
        .annotate(
            sales=Sum("sales_cartons"),
            target=Sum("target_boxes"),
            score_sum=Sum("score_total"),
            score_n=Count("score_total"),
        )
        .order_by("month")
    }
    result = []
    for n in range(months):
        at = add_months(start, n)
        row = rows.get(at, {})
        result.append(
            {
                "month": at,
                "sales_boxes": _round(Decimal(row.get("sales") or 0) / CARTONS_PER_BOX, "0.01"),
                "target_boxes": row.get("target"),
                "score_mean": _round(_ratio(row.get("score_sum"), row.get("score_n")), "0.01"),
            }
        )
    return result


def score_distribution(scope: Scope, month: date) -> list[dict]:
    """Published totals of the month by band (one query)."""
    aggregates = {}
    for label, low, high in SCORE_BANDS:
        band = Q(score_total__isnull=False)
        if low is not None:
            band &= Q(score_total__gte=low)
        if high is not None:
            band &= Q(score_total__lt=high)
        aggregates[label] = Count("pk", filter=band)
    row = scope.rows(ManagerMonthKpi.objects.filter(month=month_start(month))).aggregate(
        **aggregates
    )
    return [{"band": label, "managers": row[label]} for label, _low, _high in SCORE_BANDS]


def information_by_type(scope: Scope, month: date) -> list[dict]:
    """Counted information items of the month by type, in the order of DOMAIN §3 (one query
    over the scope's managers)."""
    totals = dict.fromkeys(InfoType.values, 0)
    for kinds in scope.rows(ManagerMonthKpi.objects.filter(month=month_start(month))).values_list(
        "info_by_type", flat=True
    ):
        for kind, n in (kinds or {}).items():
            totals[kind] = totals.get(kind, 0) + n
    return [
        {"type": kind, "label": str(InfoType(kind).label), "items": n}
        for kind, n in totals.items()
        if kind in InfoType.values
    ]


def shelf_heatmap(scope: Scope, month: date) -> dict:
    """上柜率 (observed) of the month's new and key brands × the scope's units one level
    down; for a manager, their territory alone (2–3 queries)."""
    first = month_start(month)
    key_ids = set(KeyBrandMonth.objects.filter(month=first).values_list("brand_id", flat=True))
    if scope.manager is not None:
        columns = [scope]
        level = ScopeLevel.TERRITORY
        territory = getattr(scope.manager, "territory", None)
        ids = {territory.pk if territory else 0: scope}
    else:
        child_level = CHILD[scope.level][1]
        level = RATE_LEVEL[child_level]
        kids = children_units(scope)
        ids = dict(kids)
        columns = [child for _pk, child in kids]
    rows = list(
        _rate_rows(scope, first, level, scope_ids=list(ids))
        .select_related("brand")
        .order_by("brand__code")
    )
    brands = {}
    for row in rows:
        if not (row.brand_id in key_ids or row.brand.is_new_in(first)):
            continue
        brands.setdefault(row.brand_id, row.brand.name)
    cells = [
        {
            "brand": brands[row.brand_id],
            "scope": ids[row.scope_id].name,
            "rate": _round(rate(row.observed_on_shelf, row.active_retailers)),
        }
        for row in rows
        if row.brand_id in brands
    ]
    return {
        "brands": list(brands.values()),
        "scopes": [c.name for c in columns],
        "cells": cells,
    }


def children_units(scope: Scope) -> list[tuple[int, Scope]]:
    """(rollup scope id, child scope) one level down: units, or territories of managers."""
    level = CHILD[scope.level][1]
    if level == "manager":
        managers = (
            User.objects.filter(
                role=Role.CUSTOMER_MANAGER,
                org_unit_id=scope.unit.pk,
                territory__isnull=False,
            )
            .select_related("territory", "org_unit")
            .order_by("employee_no")
        )
        return [(m.territory.pk, Scope("manager", m.name, manager=m)) for m in managers]
    units = OrgUnit.objects.filter(parent=scope.unit, is_active=True).order_by("code")
    return [(u.pk, Scope(level, u.name, unit=u)) for u in units]
