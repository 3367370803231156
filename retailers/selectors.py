"""Reads for retailers: scoped lists, the management card, classification inputs."""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth

from accounts.models import Territory

from .classification import RetailerInputs
from .models import (
    CARTONS_PER_BOX,
    Brand,
    ClassificationRecord,
    ClassificationRuleSet,
    ClassificationScale,
    HandoverKind,
    OrderLine,
    Retailer,
    RetailerAssignment,
    TerritoryHandover,
    Violation,
    ViolationSeverity,
    add_months,
    month_start,
)


def rule_set_for(month: date, company=None) -> ClassificationRuleSet:
    """The classification rules in force in ``month`` for a city company (its override,
    else the province default)."""
    rule_set = ClassificationRuleSet.objects.in_force(month_start(month), company)
    if rule_set is None:
        raise ClassificationRuleSet.DoesNotExist(f"no classification rules in force in {month}")
    return rule_set


def classification_inputs(
    month: date,
    rule_set: ClassificationRuleSet,
    company=None,
    *,
    center=None,
    chunk_size: int = 5000,
) -> Iterator[tuple[int, dict]]:
    """Inputs of every retailer active on the 1st of a city company for the run on the 1st of
    ``month``, streamed from one query. Scale ranks are taken within the city and market type.

    Order lines and violations are aggregated per retailer first and only then joined to the
    retailers (never every order line joined to its retailer before counting); rows come
    from a server-side cursor in chunks, so memory stays bounded whatever the city's size.

    ``center``: the retailers a marketing center's part scores, from the city's ranking
    (``ClassificationScale``) instead of the order lines.

    Yields (retailer id, {"inputs": RetailerInputs, "average": Decimal, "class": str,
    "pinned": bool}).
    """
    sql, params = classification_inputs_sql(month, rule_set, company, center=center)
    months = rule_set.scale_months
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            for (
                pk,
                volume,
                orders,
                on_time,
                rank,
                group_size,
                environment,
                potential,
                klass,
                pinned,
                minor,
                serious,
            ) in rows:
                yield (
                    pk,
                    {
                        "inputs": RetailerInputs(
                            scale_rank=Decimal(str(rank)),
                            group_size=group_size,
                            environment=environment,
                            potential=potential,
                            minor_violations=int(minor),
                            serious_violations=int(serious),
                            orders=orders,
                            orders_on_time=on_time,
                        ),
                        "average": (Decimal(volume) / months).quantize(Decimal("0.01")),
                        "class": klass,
                        "pinned": bool(pinned),
                    },
                )


# The columns of ``classification_inputs_sql``, in order.
CLASSIFICATION_INPUT_COLUMNS = (
    "r_id",
    "volume",
    "orders",
    "on_time",
    "scale_rank",
    "group_size",
    "environment",
    "potential",
    "abc_class",
    "class_pinned",
    "minor",
    "serious",
)


def classification_inputs_sql(
    month: date, rule_set: ClassificationRuleSet, company=None, *, center=None, with_center=False
) -> tuple[str, list]:
    """The one query behind ``classification_inputs``: a row per retailer active on the 1st
    (``CLASSIFICATION_INPUT_COLUMNS``); the SQL classification selects from it as it is.

    ``center``: the rows of one marketing center's part, whose scale inputs and ranks come
    from the city's ranking (``ClassificationScale``, see ``classification_rank``).
    ``with_center``: one more column, the retailer's marketing center (the ranking's own
    query)."""
    if center is not None:
        return _center_inputs_sql(month, rule_set, center)
    first = month_start(month)
    orders_from = add_months(first, -rule_set.scale_months)
    retailers = Retailer.objects.active_on(first)  # DOMAIN §10.2: active on the 1st
    of_city = Retailer.objects.all()
    if company is not None:
        retailers = retailers.filter(territory__department__company=company)
        of_city = of_city.filter(territory__department__company=company)
    columns = {
        "r_id": F("pk"),
        "r_market": F("market_type"),
        "r_environment": F("environment"),
        "r_potential": F("potential"),
        "r_class": F("abc_class"),
        "r_pinned": F("class_pinned"),
    }
    if with_center:
        columns["r_center"] = F("territory__department__parent")
    retailers_sql, retailers_params = retailers.values(**columns).order_by().query.sql_with_params()
    city_sql, city_params = of_city.values("pk").order_by().query.sql_with_params()
    lines = OrderLine._meta.db_table
    violations_sql, violations_params = _violations_sql(first, rule_set, city_sql)
    # DOMAIN §10.5: each month's volume is its net 条 (returns included) floored at 0, and
    # return lines are not orders for 信誉. One GROUP BY retailer with one conditional sum per
    # month of the window (a two-level aggregate hides the number of retailers from the
    # planner, which then chose a nested loop over the whole city); an order number lies in
    # one month (its lines share the order date), so counting it over the window is exact.
    bounds = [add_months(orders_from, n) for n in range(rule_set.scale_months + 1)]
    month_nets = [
        "SUM(CASE WHEN order_date >= %s AND order_date < %s THEN quantity ELSE 0 END)"
        for _ in range(rule_set.scale_months)
    ]
    volume = " + ".join(f"(CASE WHEN {net} > 0 THEN {net} ELSE 0 END)" for net in month_nets)
    month_params = []
    for start, stop in zip(bounds, bounds[1:], strict=False):
        pair = [connection.ops.adapt_datefield_value(d) for d in (start, stop)]
        month_params += pair * 2  # each month's net appears twice (test and value)
    sql = f"""
        SELECT r.r_id, COALESCE(o.volume, 0) AS volume, COALESCE(o.orders, 0) AS orders,
               COALESCE(o.on_time, 0) AS on_time,
               PERCENT_RANK() OVER (PARTITION BY r.r_market ORDER BY COALESCE(o.volume, 0))
                   AS scale_rank,
               COUNT(*) OVER (PARTITION BY r.r_market) AS group_size,
               r.r_environment, r.r_potential, r.r_class, r.r_pinned,
               COALESCE(v.minor, 0), COALESCE(v.serious, 0){", r.r_center" if with_center else ""}
        FROM ({retailers_sql}) r
        LEFT JOIN (
            SELECT retailer_id, {volume} AS volume,
                   COUNT(DISTINCT CASE WHEN quantity > 0 THEN source_order_no END) AS orders,
                   COUNT(DISTINCT CASE WHEN quantity > 0 AND settled_on_time
                                       THEN source_order_no END) AS on_time
            FROM {lines}
            WHERE order_date >= %s AND order_date < %s AND retailer_id IN ({city_sql})
            GROUP BY retailer_id
        ) o ON o.retailer_id = r.r_id
        LEFT JOIN ({violations_sql}) v ON v.retailer_id = r.r_id
    """
    params = [
        *retailers_params,
        *month_params,
        orders_from,
        first,
        *city_params,
        *violations_params,
        *city_params,
    ]
    return sql, params


def _violations_sql(first: date, rule_set: ClassificationRuleSet, retailers_sql: str):
    """Minor and serious violations per retailer in the window, of the retailers selected
    by ``retailers_sql`` (one column of retailer ids)."""
    sql = f"""
        SELECT retailer_id,
               SUM(CASE WHEN severity = %s THEN 1 ELSE 0 END) AS minor,
               SUM(CASE WHEN severity = %s THEN 1 ELSE 0 END) AS serious
        FROM {Violation._meta.db_table}
        WHERE occurred_on >= %s AND occurred_on < %s AND retailer_id IN ({retailers_sql})
        GROUP BY retailer_id
    """
    violations_from = add_months(first, -rule_set.violation_months)
    return sql, [ViolationSeverity.MINOR, ViolationSeverity.SERIOUS, violations_from, first]


def _center_inputs_sql(month: date, rule_set: ClassificationRuleSet, center) -> tuple[str, list]:
    """``classification_inputs_sql`` for one marketing center's part: the retailers the
    city's ranking put in the center, with the scale figures and ranks it stored; the other
    inputs (environment, potential, class, violations) are read now, as the city-wide query
    reads them."""
    first = month_start(month)
    scales = ClassificationScale.objects.filter(month=first, center=center)
    scale_sql, scale_params = (
        scales.values(
            s_retailer=F("retailer_id"),
            s_volume=F("volume"),
            s_orders=F("orders"),
            s_on_time=F("on_time"),
            s_rank=F("scale_rank"),
            s_size=F("group_size"),
        )
        .order_by()
        .query.sql_with_params()
    )
    ids_sql, ids_params = scales.values("retailer_id").order_by().query.sql_with_params()
    violations_sql, violations_params = _violations_sql(first, rule_set, ids_sql)
    sql = f"""
        SELECT s.s_retailer, s.s_volume, s.s_orders, s.s_on_time, s.s_rank, s.s_size,
               r.environment, r.potential, r.abc_class, r.class_pinned,
               COALESCE(v.minor, 0), COALESCE(v.serious, 0)
        FROM ({scale_sql}) s
        JOIN {Retailer._meta.db_table} r ON r.id = s.s_retailer
        LEFT JOIN ({violations_sql}) v ON v.retailer_id = s.s_retailer
    """
    return sql, [*scale_params, *violations_params, *ids_params]


def retailer_card(retailer: Retailer, *, months: int = 12, today: date) -> dict:
    """Everything the management card (管理卡) shows besides the retailer itself."""
    since = add_months(month_start(today), -(months - 1))
    monthly = (
        OrderLine.objects.filter(retailer=retailer, order_date__gte=since)
        .annotate(month=TruncMonth("order_date"))
        .values("month")
        .annotate(
            cartons=Sum("quantity"),
            amount=Sum("amount"),
            orders=Count("source_order_no", filter=Q(quantity__gt=0), distinct=True),
        )
        .order_by("-month")
    )
    orders_by_month = [
        {**row, "boxes": Decimal(row["cartons"]) / CARTONS_PER_BOX} for row in monthly
    ]
    return {
        "orders_by_month": orders_by_month,
        "classifications": list(
            ClassificationRecord.objects.filter(retailer=retailer)
            .select_related("rule_set")
            .order_by("-month")[:months]
        ),
        "overrides": list(retailer.overrides.select_related("created_by")[:10]),
        "violations": list(retailer.violations.all()[:20]),
        "assignments": list(
            retailer.assignments.select_related("territory", "manager").order_by("-valid_from")[:10]
        ),
    }


def assigned_on_order_date() -> Q:
    """Order lines joined to the assignment in force on their order date (one join)."""
    return Q(retailer__assignments__valid_from__lte=F("order_date")) & (
        Q(retailer__assignments__valid_to__isnull=True)
        | Q(retailer__assignments__valid_to__gt=F("order_date"))
    )


def _credited(
    *, start: date, end: date, lines, by_price_class: bool, company=None, key_brands=None
) -> list[tuple]:
    """Σ 条 of order lines in [start, end) per manager assigned on the order date (and per
    price class). The lines join the assignments on their retailer id directly (not through
    the retailer table) and are aggregated in one hash aggregate. ``company``: only the
    assignments to territories of that city company (a close or pay run of one city).
    ``key_brands`` (a query of brand ids): a last column, the Σ of those brands' lines."""
    lines = OrderLine.objects.all() if lines is None else lines
    lines_sql, lines_params = (
        lines.filter(order_date__gte=start, order_date__lt=end)
        .values(
            l_retailer=F("retailer_id"),
            l_date=F("order_date"),
            l_quantity=F("quantity"),
            l_brand=F("brand_id"),
        )
        .order_by()
        .query.sql_with_params()
    )
    assignments = RetailerAssignment._meta.db_table
    city, city_params = "", []
    if company is not None:
        city_sql, city_params = (
            Territory.objects.filter(department__company=company)
            .values("pk")
            .order_by()
            .query.sql_with_params()
        )
        city = f"AND a.territory_id IN ({city_sql})"
    price_class = ", b.price_class" if by_price_class else ""
    brands = f"JOIN {Brand._meta.db_table} b ON b.id = l.l_brand" if by_price_class else ""
    key, key_params = "", []
    if key_brands is not None:
        key_sql, key_params = key_brands.order_by().query.sql_with_params()
        key = f", SUM(CASE WHEN l.l_brand IN ({key_sql}) THEN l.l_quantity ELSE 0 END)"
    sql = f"""
        SELECT a.manager_id{price_class}, SUM(l.l_quantity){key}
        FROM ({lines_sql}) l
        JOIN {assignments} a ON a.retailer_id = l.l_retailer AND a.valid_from <= l.l_date
             AND (a.valid_to IS NULL OR a.valid_to > l.l_date) {city}
        {brands}
        GROUP BY a.manager_id{price_class}
        ORDER BY a.manager_id{price_class}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*key_params, *lines_params, *city_params])
        return cursor.fetchall()


def credited_sales(*, start: date, end: date, lines=None, company=None) -> list[dict]:
    """条 sold in [start, end) per manager and price class, in one aggregate query.

    Each order line counts for the manager assigned to its retailer on the order date
    (``RetailerAssignment``), not for today's manager. Rows: manager_id, price_class,
    cartons, ordered by manager and price class. ``lines`` narrows the order lines (e.g. to
    key brands); ``company`` to the assignments of one city company.
    """
    return [
        {"manager_id": manager_id, "price_class": price_class, "cartons": int(cartons)}
        for manager_id, price_class, cartons in _credited(
            start=start, end=end, lines=lines, by_price_class=True, company=company
        )
    ]


def floor_by_class(rows) -> dict[int, int]:
    """{manager: Σ over price classes of the class's net 条 floored at 0} of
    ``credited_sales`` rows (DOMAIN §10.5: returns never make a class negative)."""
    by_class: dict[int, dict[str, int]] = {}
    for row in rows:
        classes = by_class.setdefault(row["manager_id"], {})
        classes[row["price_class"]] = classes.get(row["price_class"], 0) + (row["cartons"] or 0)
    return {pk: sum(max(0, n) for n in classes.values()) for pk, classes in by_class.items()}


def floored_cartons(*, start: date, end: date, lines=None, company=None) -> dict[int, int]:
    """条 per manager in [start, end) as the score, pay and dashboards count them: each
    line (a return too) for the manager assigned on its date, netted per price class, each
    class floored at 0, then summed (DOMAIN §4, §10.5). One aggregate query; ``lines``
    narrows the order lines (e.g. to key brands), ``company`` to one city's assignments."""
    return floor_by_class(credited_sales(start=start, end=end, lines=lines, company=company))


def floored_cartons_with_key(
    *, start: date, end: date, key_brands, company=None
) -> tuple[dict[int, int], dict[int, int]]:
    """``floored_cartons`` of every line and of the lines of ``key_brands`` (a query of brand
    ids), both from one pass over the order lines (the close's sales and key-brand sales)."""
    rows = _credited(
        start=start,
        end=end,
        lines=None,
        by_price_class=True,
        company=company,
        key_brands=key_brands,
    )
    every = [{"manager_id": m, "price_class": c, "cartons": int(n)} for m, c, n, _ in rows]
    key = [{"manager_id": m, "price_class": c, "cartons": int(k)} for m, c, _, k in rows]
    return floor_by_class(every), floor_by_class(key)


def credited_cartons(*, start: date, end: date, lines=None, company=None) -> dict[int, int]:
    """Σ 条 per manager in [start, end), credited by order date (one aggregate query): the
    plain net, returns included and nothing floored (the score uses ``floored_cartons``)."""
    return {
        manager_id: int(cartons)
        for manager_id, cartons in _credited(
            start=start, end=end, lines=lines, by_price_class=False, company=company
        )
    }


def assignment_in_force(day: date, prefix: str = "") -> Q:
    """Assignments (reached through ``prefix``, e.g. ``"assignments__"``) in force on ``day``."""
    return Q(**{f"{prefix}valid_from__lte": day}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": day})
    )


def _managers_of(company) -> Q:
    """Assignments to the managers of ``company``'s org units (every one when None): a
    city's close keeps its own managers, so their rows are all it reads."""
    if company is None:
        return Q()
    return Q(manager__org_unit__company=company)


def territories_held_on(day: date, company=None) -> dict[int, int]:
    """{manager id: territory id} held on ``day``, from the assignments in force then (one
    query). A manager covering another territory as well keeps their own (the territory they
    manage, else the one with most retailers). ``company``: the managers of one city
    company only (None: every city)."""
    rows = (
        RetailerAssignment.objects.filter(
            assignment_in_force(day), _managers_of(company), manager__isnull=False
        )
        .values("manager_id", "territory_id", "territory__manager_id")
        .annotate(n=Count("pk"))
        .order_by("manager_id", "-n", "territory_id")
    )
    held: dict[int, int] = {}
    for row in rows:
        own = row["territory__manager_id"] == row["manager_id"]
        if row["manager_id"] not in held or own:
            held[row["manager_id"]] = row["territory_id"]
    # A territory held only as a covering is not the manager's own: they keep theirs.
    covering = TerritoryHandover.objects.filter(
        kind=HandoverKind.COVERING, effective_from__lte=day
    ).filter(Q(until__isnull=True) | Q(until__gte=day))
    covered = set(covering.values_list("to_manager_id", "territory_id"))
    if covered:
        own = dict(
            Territory.objects.filter(manager_id__in={m for m, _t in covered}).values_list(
                "manager_id", "pk"
            )
        )
        for manager_id, territory_id in list(held.items()):
            if (manager_id, territory_id) in covered and manager_id in own:
                held[manager_id] = own[manager_id]
    return held


def managers_assigned_between(start: date, end: date, company=None) -> set[int]:
    """Managers assigned to any retailer on any day of [start, end) (one query); of one city
    company's org units when ``company`` is given."""
    return set(
        RetailerAssignment.objects.filter(
            _managers_of(company), valid_from__lt=end, manager__isnull=False
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
        .values_list("manager_id", flat=True)
        .distinct()
    )


def current_manager_ids(retailer_ids=None, *, day: date) -> dict[int, int | None]:
    """{retailer id: manager id} assigned on ``day`` (a covering manager during a covering)."""
    rows = RetailerAssignment.objects.filter(assignment_in_force(day))
    if retailer_ids is not None:
        rows = rows.filter(retailer_id__in=retailer_ids)
    return dict(rows.values_list("retailer_id", "manager_id"))
