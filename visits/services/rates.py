"""The monthly 上柜率 rollup (``ShelfRateRollup``), refreshed nightly by Celery.

The rules are in ``visits/selectors/rates.py``.
"""

import time
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import OrgUnit, Territory
from config.database import job_settings
from retailers.models import Brand, Retailer, RetailerStatus, add_months, month_start, status_on_sql

from ..models import ScopeLevel, ShelfRateRollup
from ..selectors.rates import LEVELS, facts_select, sql_table

# '' is "all classes".
ROLLUP_CLASSES = ("", "A", "B", "C")
# Per retailer and brand, the month's facts (see ``facts_select``), computed once per refresh.
FACTS_TABLE = "visits_shelf_rate_facts"
# The active retailers on the month's last day with their scopes and class; the facts and the
# active retailers summed per territory × class (× brand).
SCOPED_TABLE = "visits_shelf_rate_scoped"
BASE_TABLE = "visits_shelf_rate_base"
ACTIVE_TABLE = "visits_shelf_rate_active"


# Orders of a month keep arriving for a few days after it ends.
LATE_DATA_DAYS = 5


def shelf_rate_months(today: date) -> list[date]:
    """The months the nightly refresh recomputes: this month, and in the first days of a
    month last month too, so orders imported late still count in last month's figures."""
    months = [today]
    if today.day <= LATE_DATA_DAYS:
        months.insert(0, today.replace(day=1) - timedelta(days=1))
    return months


# The column of each level in the territory × class × brand tables, and the org unit whose
# path a row carries (a territory row carries its department's path, so
# ``ShelfRateRollup.objects.visible_to`` works for it).
LEVEL_COLUMNS = {
    ScopeLevel.TERRITORY: ("territory_id", "department_id"),
    ScopeLevel.DEPARTMENT: ("department_id", "department_id"),
    ScopeLevel.CENTER: ("center_id", "center_id"),
    ScopeLevel.COMPANY: ("company_id", "company_id"),
}


@transaction.atomic
def shelf_rates_refresh(*, month: date) -> dict:
    """Recompute the rollup of ``month``: computed once at territory × class × brand, then
    summed upward to every level × class.

    Three temporary tables hold the month's work, each built by one scan:
    - the per-retailer facts (latest valid observation on shelf, ordered: ``facts_select``);
    - the active retailers with their territory, department, center, company and class (the
      status history is read once per retailer, not once per level);
    - the counts and the active retailers per territory × class (× brand).
    Each of the 16 level × class rows sets is then one ``INSERT … SELECT … ON CONFLICT DO
    UPDATE`` that sums those small tables, so the work is done in the database and the
    number of queries (about 25) does not depend on the number of retailers, territories or
    brands. Rows of the month that this run did not write (a scope or brand that no longer
    qualifies) are then deleted. The refresh is one transaction: readers see the old figures
    or the new ones, never a mix, and running it again gives the same rows. The rules are
    ``counts_cte``'s (visits/selectors/rates.py), which computes the same counts live.
    """
    started = time.perf_counter()
    job_settings()
    first = month_start(month)
    now = timezone.now()
    ops = connection.ops
    table = ops.quote_name(ShelfRateRollup._meta.db_table)
    last_day = add_months(first, 1) - timedelta(days=1)
    status_sql, status_params = status_on_sql(ops.adapt_datefield_value(last_day), retailer="r")
    with connection.cursor() as cursor:
        facts, facts_params = facts_select(month=first)
        cursor.execute(f"CREATE TEMPORARY TABLE {FACTS_TABLE} AS {facts}", facts_params)
        cursor.execute(
            f"""CREATE TEMPORARY TABLE {SCOPED_TABLE} AS
SELECT r.id AS retailer_id, r.abc_class AS abc_class, t.id AS territory_id,
       d.id AS department_id, c.id AS center_id, co.id AS company_id
FROM {sql_table(Retailer)} r
JOIN {sql_table(Territory)} t ON t.id = r.territory_id
JOIN {sql_table(OrgUnit)} d ON d.id = t.department_id
JOIN {sql_table(OrgUnit)} c ON c.id = d.parent_id
JOIN {sql_table(OrgUnit)} co ON co.id = c.parent_id
WHERE {status_sql} = %s""",
            [*status_params, RetailerStatus.ACTIVE],
        )
        groups = "s.territory_id, s.department_id, s.center_id, s.company_id, s.abc_class"
        cursor.execute(
            f"""CREATE TEMPORARY TABLE {BASE_TABLE} AS
SELECT {groups}, f.brand_id, SUM(f.seen) AS seen, SUM(f.bought) AS bought
FROM {FACTS_TABLE} f JOIN {SCOPED_TABLE} s ON s.retailer_id = f.retailer_id
GROUP BY {groups}, f.brand_id"""
        )
        cursor.execute(
            f"""CREATE TEMPORARY TABLE {ACTIVE_TABLE} AS
SELECT {groups}, COUNT(*) AS active FROM {SCOPED_TABLE} s GROUP BY {groups}"""
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {FACTS_TABLE}, {SCOPED_TABLE}, {BASE_TABLE}, {ACTIVE_TABLE}")
        for level in LEVELS:
            column, path_column = LEVEL_COLUMNS[level]
            territory = "p.scope_id" if level == ScopeLevel.TERRITORY else "NULL"
            for abc_class in ROLLUP_CLASSES:
                of_class, class_params = (
                    ("abc_class = %s", [abc_class]) if abc_class else ("1 = 1", [])
                )
                cursor.execute(
                    f"""WITH active AS (
    SELECT {column} AS scope_id, MIN({path_column}) AS path_unit, SUM(active) AS active
    FROM {ACTIVE_TABLE} WHERE {of_class} GROUP BY {column}
),
counts AS (
    SELECT {column} AS scope_id, brand_id, SUM(seen) AS seen, SUM(bought) AS bought
    FROM {BASE_TABLE} WHERE {of_class} GROUP BY {column}, brand_id
),
pairs AS (
    SELECT a.scope_id, b.id AS brand_id
    FROM active a CROSS JOIN {sql_table(Brand)} b WHERE b.is_active = %s
    UNION
    SELECT scope_id, brand_id FROM counts
)
INSERT INTO {table} (
    month, brand_id, level, scope_id, territory_id, org_path, abc_class,
    active_retailers, observed_on_shelf, ordered, refreshed_at
)
SELECT %s, p.brand_id, %s, p.scope_id, {territory}, u.path, %s,
       a.active, COALESCE(c.seen, 0), COALESCE(c.bought, 0), %s
FROM pairs p
JOIN active a ON a.scope_id = p.scope_id
JOIN {sql_table(OrgUnit)} u ON u.id = a.path_unit
LEFT JOIN counts c ON c.scope_id = p.scope_id AND c.brand_id = p.brand_id
WHERE 1 = 1
ON CONFLICT (month, brand_id, level, scope_id, abc_class) DO UPDATE SET
    territory_id = excluded.territory_id,
    org_path = excluded.org_path,
    active_retailers = excluded.active_retailers,
    observed_on_shelf = excluded.observed_on_shelf,
    ordered = excluded.ordered,
    refreshed_at = excluded.refreshed_at""",
                    [
                        *class_params,
                        *class_params,
                        True,
                        ops.adapt_datefield_value(first),
                        level,
                        abc_class,
                        ops.adapt_datetimefield_value(now),
                    ],
                )
        for temporary in (FACTS_TABLE, SCOPED_TABLE, BASE_TABLE, ACTIVE_TABLE):
            cursor.execute(f"DROP TABLE {temporary}")
    removed, _ = ShelfRateRollup.objects.filter(month=first, refreshed_at__lt=now).delete()
    return {
        "month": first.isoformat(),
        "rows": ShelfRateRollup.objects.filter(month=first).count(),
        "removed": removed,
        "seconds": round(time.perf_counter() - started, 3),
    }
