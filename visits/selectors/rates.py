"""Reads for 上柜率 (shelf-placement rate), DOMAIN.md §3.

For brand b, scope S (territory, department, center, company; optionally one ABC class)
and month P:

- observed 上柜率 = retailers in S whose latest valid visit observation of b in P says
  "on shelf" ÷ active retailers in S at the end of P;
- order-based 上柜率 = retailers in S with at least one order line of b in P ÷ active
  retailers in S at the end of P.

Decisions taken where DOMAIN.md is silent:

- "Active at the end of P" is the retailer's status in force on P's last day, from its
  status history (DOMAIN §10.4; ``retailers.models.status_on_sql``): a retailer suspended
  earlier in P and active again by its last day counts. A retailer's scope is its current
  territory (and that territory's department, center and company); the class filter uses
  its current ``abc_class``.
- Numerators count only retailers that are in the denominator: an observation or an order
  of a suspended or cancelled retailer counts nowhere, so a rate never exceeds 1.
- "Latest" is the greatest ``observed_at`` among the observations of b whose visit is valid
  and whose visit ``check_in_date`` is in P (ties: the observation stored last). A visit
  marked invalid does not count even when it is later; observations dated outside P are
  ignored. An order line counts when its ``order_date`` is in P (a return line never: §10.4).
- A scope without active retailers has no rate (no row).

``shelf_rate_counts`` computes the counts live from the base tables with one aggregate query
(GROUP BY scope, brand) in portable SQL (SQLite and PostgreSQL); ``shelf_rates_refresh``
(visits/services/rates.py) stores the same query's rows in ``ShelfRateRollup``, which the
report page and the API read.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import OuterRef, Q, Subquery

from accounts.models import OrgKind, OrgUnit, Role, Territory
from retailers.models import (
    Brand,
    OrderLine,
    Retailer,
    RetailerClass,
    RetailerStatus,
    ShelfTarget,
    add_months,
    month_start,
    status_on_sql,
)

from ..models import ScopeLevel, ShelfObservation, ShelfRateRollup, Visit, VisitStatus

# Scope levels from the smallest up.
LEVELS = (ScopeLevel.TERRITORY, ScopeLevel.DEPARTMENT, ScopeLevel.CENTER, ScopeLevel.COMPANY)
# The org-unit kind of each unit level, and back.
LEVEL_OF_KIND = {
    OrgKind.COMPANY: ScopeLevel.COMPANY,
    OrgKind.MARKETING_CENTER: ScopeLevel.CENTER,
    OrgKind.SERVICE_DEPARTMENT: ScopeLevel.DEPARTMENT,
}
CHILD_LEVEL = {
    ScopeLevel.COMPANY: ScopeLevel.CENTER,
    ScopeLevel.CENTER: ScopeLevel.DEPARTMENT,
    ScopeLevel.DEPARTMENT: ScopeLevel.TERRITORY,
    ScopeLevel.TERRITORY: None,
}

# Per level: the scope id and the org path stored with a row (a territory row carries its
# department's path, so ``ShelfRateRollup.objects.visible_to`` works for it).
_SCOPE_COLUMNS = {
    ScopeLevel.TERRITORY: ("t.id", "d.path"),
    ScopeLevel.DEPARTMENT: ("d.id", "d.path"),
    ScopeLevel.CENTER: ("c.id", "c.path"),
    ScopeLevel.COMPANY: ("co.id", "co.path"),
}

# The rows of one (level, class) computation: every (scope, brand) pair of the ``pairs``
# CTE with the scope's active retailers and the brand's counts. Callers choose the columns.
COUNTS_FROM = """
FROM pairs p
JOIN active a ON a.scope_id = p.scope_id
LEFT JOIN counts c ON c.scope_id = p.scope_id AND c.brand_id = p.brand_id
"""


def sql_table(model) -> str:
    """The quoted table name of ``model``, for the raw-SQL rollups."""
    return connection.ops.quote_name(model._meta.db_table)


def _check_level(level: str) -> str:
    if level not in ScopeLevel.values:
        raise ValueError(f"unknown scope level {level!r}")
    return level


def _check_class(abc_class: str | None) -> str:
    abc_class = abc_class or ""
    if abc_class not in ("", *RetailerClass.values):
        raise ValueError(f"unknown class {abc_class!r}")
    return abc_class


def _brand_filter(column: str, brand_ids) -> tuple[str, list]:
    if brand_ids is None:
        return "", []
    return f"AND {column} IN ({', '.join(['%s'] * len(brand_ids))})", list(brand_ids)


def _company_filter(column: str, company_id) -> tuple[str, list]:
    """``AND column IN (the retailers of one city company)``, or nothing for every city."""
    if company_id is None:
        return "", []
    sql = (
        f"AND {column} IN (SELECT cr.id FROM {sql_table(Retailer)} cr "
        f"JOIN {sql_table(Territory)} ct ON ct.id = cr.territory_id "
        f"JOIN {sql_table(OrgUnit)} cd ON cd.id = ct.department_id WHERE cd.company_id = %s)"
    )
    return sql, [company_id]


def facts_select(
    *, month: date, brand_ids=None, company_id=None, orders: bool = True
) -> tuple[str, list]:
    """Per retailer and brand, what counts in ``month``: (retailer_id, brand_id, seen, bought).

    One row (seen = 1) per retailer whose latest valid observation of the brand in the month
    is on shelf, and one row (bought = 1) per retailer with an order line of the brand in the
    month (quantity > 0: return lines do not count, DOMAIN §10.4), for every retailer whatever
    its status (the scope join keeps the active ones). ``orders=False``: the observations
    only (bought is then 0 everywhere), for a caller that reads the observed rate alone.
    """
    first = month_start(month)
    start = connection.ops.adapt_datefield_value(first)
    end = connection.ops.adapt_datefield_value(add_months(first, 1))
    observed_brands, brand_params = _brand_filter("o.brand_id", brand_ids)
    ordered_brands, _ = _brand_filter("l.brand_id", brand_ids)
    observed_city, city_params = _company_filter("o.retailer_id", company_id)
    ordered_city, _ = _company_filter("l.retailer_id", company_id)
    if brand_ids and company_id is not None:
        # A few brands of one city (the close's 新品上柜率): the city's retailers × the
        # brands, joined to the observations. The same rows as the filters below, planned
        # better: 0.7 s against 1.1–1.4 s for a city of 45,000 retailers (province bench).
        city_retailers, _ = _company_filter("cr.id", company_id)
        observations = (
            f"(SELECT cr.id FROM {sql_table(Retailer)} cr WHERE 1 = 1 {city_retailers}) cr "
            f"CROSS JOIN (SELECT b.id FROM {sql_table(Brand)} b WHERE 1 = 1 "
            f"{_brand_filter('b.id', brand_ids)[0]}) b "
            f"JOIN {sql_table(ShelfObservation)} o ON o.retailer_id = cr.id AND o.brand_id = b.id"
        )
        join_params, filters, filter_params = [*city_params, *brand_params], "", []
    else:
        observations = f"{sql_table(ShelfObservation)} o"
        join_params = []
        filters, filter_params = f"{observed_brands} {observed_city}", [*brand_params, *city_params]
    sql = f"""
SELECT retailer_id, brand_id, 1 AS seen, 0 AS bought
FROM (
    SELECT o.retailer_id, o.brand_id, o.on_shelf,
           ROW_NUMBER() OVER (
               PARTITION BY o.retailer_id, o.brand_id ORDER BY o.observed_at DESC, o.id DESC
           ) AS rank_no
    FROM {observations}
    JOIN {sql_table(Visit)} v ON v.id = o.visit_id
    WHERE v.status = %s AND v.check_in_date >= %s AND v.check_in_date < %s {filters}
) ranked
WHERE rank_no = 1 AND on_shelf = %s"""
    params = [*join_params, VisitStatus.VALID, start, end, *filter_params, True]
    if orders:
        sql += f"""
UNION ALL
SELECT DISTINCT l.retailer_id, l.brand_id, 0 AS seen, 1 AS bought
FROM {sql_table(OrderLine)} l
WHERE l.order_date >= %s AND l.order_date < %s AND l.quantity > 0 {ordered_brands} {ordered_city}"""
        params += [start, end, *brand_params, *city_params]
    return sql, params


def counts_cte(
    *,
    month: date,
    level: str,
    brand_ids=None,
    abc_class: str | None = None,
    company_id: int | None = None,
    orders: bool = True,
) -> tuple[str, list]:
    """The ``WITH …`` clause of the 上柜率 aggregate for one level and class.

    It defines ``active`` (scope_id, org_path, active), ``counts`` (scope_id, brand_id,
    seen, bought) and ``pairs`` (scope_id, brand_id): every scope with active retailers
    times the brands asked for (``brand_ids``; by default the active brands), plus every
    (scope, brand) that has an observation on shelf or an order. Read it with
    ``COUNTS_FROM``. The per-retailer facts are computed inline (``facts_select``).
    ``company_id``: the retailers of one city company only (a month close of that city).
    ``orders=False``: the observations only (``facts_select``).
    """
    scope_id, org_path = _SCOPE_COLUMNS[_check_level(level)]
    abc_class = _check_class(abc_class)
    if brand_ids is not None:
        brand_ids = sorted({int(pk) for pk in brand_ids})
    facts, facts_params = facts_select(
        month=month, brand_ids=brand_ids, company_id=company_id, orders=orders
    )
    class_filter, class_params = ("AND r.abc_class = %s", [abc_class]) if abc_class else ("", [])
    if company_id is not None:
        class_filter += " AND co.id = %s"
        class_params = [*class_params, company_id]
    if brand_ids is None:
        brand_set, brand_set_params = "b.is_active = %s", [True]
    else:
        brand_set, brand_set_params = _brand_filter("b.id", brand_ids)
        brand_set = "1 = 1 " + brand_set

    last_day = add_months(month_start(month), 1) - timedelta(days=1)
    status_sql, status_params = status_on_sql(
        connection.ops.adapt_datefield_value(last_day), retailer="r"
    )
    sql = f"""
WITH scoped AS (
    SELECT r.id AS retailer_id, {scope_id} AS scope_id, {org_path} AS org_path
    FROM {sql_table(Retailer)} r
    JOIN {sql_table(Territory)} t ON t.id = r.territory_id
    JOIN {sql_table(OrgUnit)} d ON d.id = t.department_id
    JOIN {sql_table(OrgUnit)} c ON c.id = d.parent_id
    JOIN {sql_table(OrgUnit)} co ON co.id = c.parent_id
    WHERE {status_sql} = %s {class_filter}
),
facts AS ({facts}
),
counts AS (
    SELECT s.scope_id, f.brand_id, SUM(f.seen) AS seen, SUM(f.bought) AS bought
    FROM facts f JOIN scoped s ON s.retailer_id = f.retailer_id
    GROUP BY s.scope_id, f.brand_id
),
active AS (
    SELECT scope_id, MIN(org_path) AS org_path, COUNT(*) AS active
    FROM scoped GROUP BY scope_id
),
pairs AS (
    SELECT a.scope_id, b.id AS brand_id
    FROM active a CROSS JOIN {sql_table(Brand)} b WHERE {brand_set}
    UNION
    SELECT scope_id, brand_id FROM counts
)"""
    params = [*status_params, RetailerStatus.ACTIVE, *class_params, *facts_params]
    params += brand_set_params
    return sql, params


def shelf_rate_counts(
    *,
    month: date,
    level: str,
    brand_ids=None,
    abc_class: str | None = None,
    company_id=None,
    orders: bool = True,
) -> list[dict]:
    """上柜率 counts per (scope, brand) at ``level``, live from the base tables, in one query.

    Rows {scope_id, brand_id, active, observed_on_shelf, ordered}, ordered by scope and
    brand, for every scope with active retailers (of ``abc_class``, when given) and every
    brand in ``brand_ids`` (default: the active brands, plus any brand observed on shelf or
    ordered). See the module docstring for the rules. ``orders=False``: the order lines are
    not read and ``ordered`` is 0 (for the observed rate alone).
    """
    if brand_ids is not None:
        brand_ids = list(brand_ids)
        if not brand_ids:
            return []
    cte, params = counts_cte(
        month=month,
        level=level,
        brand_ids=brand_ids,
        abc_class=abc_class,
        company_id=company_id,
        orders=orders,
    )
    sql = f"""{cte}
SELECT p.scope_id, p.brand_id, a.active, COALESCE(c.seen, 0), COALESCE(c.bought, 0)
{COUNTS_FROM}
ORDER BY p.scope_id, p.brand_id"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            {
                "scope_id": scope,
                "brand_id": brand,
                "active": int(active),
                "observed_on_shelf": int(seen),
                "ordered": int(bought),
            }
            for scope, brand, active, seen, bought in cursor.fetchall()
        ]


def rate(numerator: int, denominator: int) -> Decimal | None:
    """An exact rate (no rounding); None without a denominator."""
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def percent(value: Decimal | None) -> Decimal | None:
    """A rate as a percentage with one decimal (ROUND_HALF_UP), for display."""
    if value is None:
        return None
    return (value * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _path_ids(path: str) -> list[int]:
    return [int(pk) for pk in path.strip("/").split("/") if pk]


def shelf_targets_by_key(*, month: date, brand_ids) -> dict[tuple, Decimal]:
    """Targets of the month as {(brand_id, "unit" | "territory", id): rate}, one query."""
    targets = ShelfTarget.objects.filter(month=month_start(month), brand_id__in=list(brand_ids))
    return {
        (
            brand,
            "territory" if territory else "unit",
            territory or unit,
        ): rate
        for brand, unit, territory, rate in targets.values_list(
            "brand_id", "org_unit_id", "territory_id", "rate"
        )
    }


def target_for(
    targets: dict[tuple, Decimal],
    *,
    brand_id: int,
    org_path: str,
    territory_id: int | None = None,
) -> Decimal | None:
    """The target of the most specific scope containing this one.

    A territory's own target wins, then its department's, its center's and the company's.
    ``org_path`` is the unit's path (for a territory, its department's path).
    """
    if territory_id is not None:
        found = targets.get((brand_id, "territory", territory_id))
        if found is not None:
            return found
    for unit_id in reversed(_path_ids(org_path)):
        found = targets.get((brand_id, "unit", unit_id))
        if found is not None:
            return found
    return None


def territory_new_brand_rates(*, month: date, company=None) -> dict[int, list[dict]]:
    """Observed 新品上柜率 of every territory for every brand new in ``month``, with targets.

    {territory_id: [{"brand_id", "observed_rate": Decimal, "target_rate": Decimal | None,
    "active_retailers", "observed_on_shelf"}]}, brands in id order, in four queries for
    all territories. The target is the one set for the most specific unit containing the
    territory (territory, department, center, company) for that brand and month. A
    territory without active retailers has no rate: its list is empty. ``company``: the
    territories of one city company only.
    """
    first = month_start(month)
    brand_ids = list(Brand.objects.new_in(first).order_by("pk").values_list("pk", flat=True))
    territories = Territory.objects.all()
    if company is not None:
        territories = territories.filter(department__company=company)
    territories = dict(territories.values_list("pk", "department__path"))
    result: dict[int, list[dict]] = {pk: [] for pk in territories}
    if not brand_ids:
        return result
    targets = shelf_targets_by_key(month=first, brand_ids=brand_ids)
    company_id = company.pk if company is not None else None
    # The observed rate alone: the order lines are not read.
    for row in shelf_rate_counts(
        month=first,
        level=ScopeLevel.TERRITORY,
        brand_ids=brand_ids,
        company_id=company_id,
        orders=False,
    ):
        territory_id = row["scope_id"]
        result.setdefault(territory_id, []).append(
            {
                "brand_id": row["brand_id"],
                "observed_rate": rate(row["observed_on_shelf"], row["active"]),
                "target_rate": target_for(
                    targets,
                    brand_id=row["brand_id"],
                    org_path=territories.get(territory_id, ""),
                    territory_id=territory_id,
                ),
                "active_retailers": row["active"],
                "observed_on_shelf": row["observed_on_shelf"],
            }
        )
    return result


# --- The report page (reads the rollup) ------------------------------------------------


@dataclass
class RateScope:
    """The node of the org tree a report is about: an org unit or a territory."""

    level: str
    pk: int
    name: str
    unit: OrgUnit | None = None
    territory: Territory | None = None

    @property
    def param(self) -> str:
        """The query parameter that selects this scope on the report page."""
        return "territory" if self.territory is not None else "unit"


@dataclass
class RateRow:
    scope: RateScope
    active: int | None = None
    observed_on_shelf: int | None = None
    ordered: int | None = None
    target_rate: Decimal | None = None

    @property
    def observed_rate(self) -> Decimal | None:
        return None if self.active is None else rate(self.observed_on_shelf, self.active)

    @property
    def order_rate(self) -> Decimal | None:
        return None if self.active is None else rate(self.ordered, self.active)

    @property
    def missing(self) -> int | None:
        """Active retailers not counted on shelf: the ones ``retailers_without_brand`` lists."""
        return None if self.active is None else self.active - self.observed_on_shelf

    @property
    def observed_percent(self):
        return percent(self.observed_rate)

    @property
    def order_percent(self):
        return percent(self.order_rate)

    @property
    def target_percent(self):
        return percent(self.target_rate)

    @property
    def gap_points(self) -> Decimal | None:
        """Observed rate minus target, in percentage points (one decimal)."""
        if self.target_rate is None or self.observed_rate is None:
            return None
        return percent(self.observed_rate - self.target_rate)


@dataclass
class BrandBlock:
    brand: Brand
    is_new: bool
    total: RateRow
    children: list[RateRow] = field(default_factory=list)


@dataclass
class RateReport:
    month: date
    scope: RateScope
    children: list[RateScope]
    blocks: list[BrandBlock]
    refreshed_at: datetime | None


def _unit_scope(unit: OrgUnit) -> RateScope:
    return RateScope(level=LEVEL_OF_KIND[unit.kind], pk=unit.pk, name=unit.name, unit=unit)


def _territory_scope(territory: Territory) -> RateScope:
    return RateScope(
        level=ScopeLevel.TERRITORY, pk=territory.pk, name=territory.name, territory=territory
    )


def rate_scope_for(
    user, *, unit_id: int | None = None, territory_id: int | None = None
) -> RateScope | None:
    """The scope a user asks for, or None when it is not visible to them (→ 404).

    Default: a customer manager's own territory, everybody else's own org unit (a superuser
    without one: the company). A customer manager can only ask for their own territory.
    """
    if territory_id is not None:
        territory = (
            Territory.objects.visible_to(user)
            .select_related("department")
            .filter(pk=territory_id)
            .first()
        )
        return _territory_scope(territory) if territory else None
    if user.role == Role.CUSTOMER_MANAGER and not user.is_superuser:
        if unit_id is not None:
            return None
        territory = (
            Territory.objects.visible_to(user)
            .select_related("department")
            .filter(manager=user)
            .first()
        )
        return _territory_scope(territory) if territory else None
    units = OrgUnit.objects.visible_to(user)
    if unit_id is not None:
        unit = units.filter(pk=unit_id).first()
    elif user.org_unit_id is not None:
        unit = units.filter(pk=user.org_unit_id).first()
    else:
        unit = units.filter(parent__isnull=True).order_by("path").first()
    if unit is not None and unit.kind == OrgKind.PROVINCE:
        # The rollup goes up to the city company; a province user picks a city.
        unit = units.filter(kind=OrgKind.COMPANY, path__startswith=unit.path).order_by("code")
        unit = unit.first()
    return _unit_scope(unit) if unit else None


def rate_breadcrumbs(user, scope: RateScope) -> list[RateScope]:
    """The visible units above ``scope``, from the top (one query)."""
    path = scope.territory.department.path if scope.territory is not None else scope.unit.path
    ids = [pk for pk in _path_ids(path) if pk != scope.pk or scope.territory is not None]
    if not ids or (user.role == Role.CUSTOMER_MANAGER and not user.is_superuser):
        return []
    units = OrgUnit.objects.visible_to(user).filter(pk__in=ids).exclude(kind=OrgKind.PROVINCE)
    return [_unit_scope(unit) for unit in units.order_by("path")]


def _children_of(user, scope: RateScope) -> list[RateScope]:
    child_level = CHILD_LEVEL[scope.level]
    if child_level is None:
        return []
    if child_level == ScopeLevel.TERRITORY:
        territories = Territory.objects.visible_to(user).filter(department_id=scope.pk)
        return [_territory_scope(t) for t in territories.order_by("code")]
    units = OrgUnit.objects.visible_to(user).filter(parent_id=scope.pk).order_by("code")
    return [_unit_scope(unit) for unit in units]


def shelf_rate_report(
    user,
    *,
    scope: RateScope,
    month: date,
    abc_class: str = "",
    brand_id: int | None = None,
    new_only: bool = False,
) -> RateReport:
    """The report page: per brand, the scope's row and a row per child scope (drill-down).

    Reads ``ShelfRateRollup`` scoped by ``visible_to(user)``, in a fixed number of queries
    whatever the number of rows: children, rollup rows, targets.
    """
    first = month_start(month)
    children = _children_of(user, scope)
    child_level = CHILD_LEVEL[scope.level]
    wanted = Q(level=scope.level, scope_id=scope.pk)
    if children:
        wanted |= Q(level=child_level, scope_id__in=[child.pk for child in children])
    rows = (
        ShelfRateRollup.objects.visible_to(user)
        .filter(wanted, month=first, abc_class=_check_class(abc_class))
        .select_related("brand")
        .order_by("brand__price_class", "brand__code", "brand_id")
    )
    if brand_id is not None:
        rows = rows.filter(brand_id=brand_id)
    if new_only:
        rows = rows.filter(brand__in=Brand.objects.new_in(first))
    rows = list(rows)
    targets = shelf_targets_by_key(month=first, brand_ids={row.brand_id for row in rows})

    by_brand: dict[int, dict] = defaultdict(dict)
    brands: dict[int, Brand] = {}
    for row in rows:
        brands.setdefault(row.brand_id, row.brand)
        by_brand[row.brand_id][(row.level, row.scope_id)] = row

    def make_row(scope_: RateScope, brand_id_: int) -> RateRow:
        stored = by_brand[brand_id_].get((scope_.level, scope_.pk))
        if stored is None:
            return RateRow(scope=scope_)
        return RateRow(
            scope=scope_,
            active=stored.active_retailers,
            observed_on_shelf=stored.observed_on_shelf,
            ordered=stored.ordered,
            target_rate=target_for(
                targets,
                brand_id=brand_id_,
                org_path=stored.org_path,
                territory_id=stored.territory_id,
            ),
        )

    blocks = [
        BrandBlock(
            brand=brand,
            is_new=brand.is_new_in(first),
            total=make_row(scope, pk),
            children=[make_row(child, pk) for child in children],
        )
        for pk, brand in brands.items()
    ]
    return RateReport(
        month=first,
        scope=scope,
        children=children,
        blocks=blocks,
        refreshed_at=max((row.refreshed_at for row in rows), default=None),
    )


# --- Drill-down: the retailers of a scope without the brand on shelf ------------------------


def retailers_without_brand(
    user, *, scope: RateScope, brand_id: int, month: date, abc_class: str = ""
):
    """The retailers of ``scope`` active on the month's last day (of ``abc_class`` when
    given) whose latest valid
    observation of the brand in ``month`` is not on shelf, or that have none: the
    retailers the observed 上柜率 does not count (active − observed on shelf). One query.

    Each retailer carries ``last_on_shelf`` (False, or None when never observed in the
    month) and ``last_observed_at``. Ordered by territory and licence number.
    """
    first = month_start(month)
    latest = ShelfObservation.objects.filter(
        retailer=OuterRef("pk"),
        brand_id=brand_id,
        visit__status=VisitStatus.VALID,
        visit__check_in_date__gte=first,
        visit__check_in_date__lt=add_months(first, 1),
    ).order_by("-observed_at", "-pk")
    last_day = add_months(first, 1) - timedelta(days=1)
    retailers = Retailer.objects.visible_to(user).active_on(last_day)  # DOMAIN §10.4
    if scope.territory is not None:
        retailers = retailers.filter(territory_id=scope.pk)
    else:
        retailers = retailers.filter(territory__department__path__startswith=scope.unit.path)
    abc_class = _check_class(abc_class)
    if abc_class:
        retailers = retailers.filter(abc_class=abc_class)
    return (
        retailers.annotate(
            last_on_shelf=Subquery(latest.values("on_shelf")[:1]),
            last_observed_at=Subquery(latest.values("observed_at")[:1]),
        )
        .filter(Q(last_on_shelf=False) | Q(last_on_shelf__isnull=True))
        .select_related("territory", "territory__manager")
        .order_by("territory__code", "license_no")
    )
