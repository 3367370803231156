"""The monthly 上柜率 rollup (``ShelfRateRollup``), refreshed nightly by Celery.

The rules are in ``visits/selectors/rates.py``.
"""

import time
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from retailers.models import month_start

from ..models import ScopeLevel, ShelfRateRollup
from ..selectors.rates import COUNTS_FROM, LEVELS, counts_cte, facts_select

# '' is "all classes".
ROLLUP_CLASSES = ("", "A", "B", "C")
# Per retailer and brand, the month's facts (see ``facts_select``), computed once per refresh.
FACTS_TABLE = "visits_shelf_rate_facts"


# Orders of a month keep arriving for a few days after it ends.
LATE_DATA_DAYS = 5


def shelf_rate_months(today: date) -> list[date]:
    """The months the nightly refresh recomputes: this month, and in the first days of a
    month last month too, so orders imported late still count in last month's figures."""
    months = [today]
    if today.day <= LATE_DATA_DAYS:
        months.insert(0, today.replace(day=1) - timedelta(days=1))
    return months


@transaction.atomic
def shelf_rates_refresh(*, month: date) -> dict:
    """Recompute the rollup of ``month``: every level × class, one aggregate query each.

    The per-retailer facts of the month (latest valid observation on shelf, ordered) are
    computed once into a temporary table; then each of the 16 level × class aggregates is
    one ``INSERT … SELECT … ON CONFLICT DO UPDATE`` (``counts_cte`` over that table), so the
    work is done in the database and the number of queries (about 20) does not depend on
    the number of retailers, territories or brands. Rows of the month that this run did not
    write (a scope or brand that no longer qualifies) are then deleted. The refresh is one
    transaction: readers see the old figures or the new ones, never a mix, and running it
    again gives the same rows.
    """
    started = time.perf_counter()
    first = month_start(month)
    now = timezone.now()
    ops = connection.ops
    table = ops.quote_name(ShelfRateRollup._meta.db_table)
    with connection.cursor() as cursor:
        facts, facts_params = facts_select(month=first)
        cursor.execute(f"CREATE TEMPORARY TABLE {FACTS_TABLE} AS {facts}", facts_params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {FACTS_TABLE}")
        for level in LEVELS:
            territory = "p.scope_id" if level == ScopeLevel.TERRITORY else "NULL"
            for abc_class in ROLLUP_CLASSES:
                cte, params = counts_cte(
                    month=first, level=level, abc_class=abc_class, facts_table=FACTS_TABLE
                )
                cursor.execute(
                    f"""{cte}
INSERT INTO {table} (
    month, brand_id, level, scope_id, territory_id, org_path, abc_class,
    active_retailers, observed_on_shelf, ordered, refreshed_at
)
SELECT %s, p.brand_id, %s, p.scope_id, {territory}, a.org_path, %s,
       a.active, COALESCE(c.seen, 0), COALESCE(c.bought, 0), %s
{COUNTS_FROM}
WHERE 1 = 1
ON CONFLICT (month, brand_id, level, scope_id, abc_class) DO UPDATE SET
    territory_id = excluded.territory_id,
    org_path = excluded.org_path,
    active_retailers = excluded.active_retailers,
    observed_on_shelf = excluded.observed_on_shelf,
    ordered = excluded.ordered,
    refreshed_at = excluded.refreshed_at""",
                    [
                        *params,
                        ops.adapt_datefield_value(first),
                        level,
                        abc_class,
                        ops.adapt_datetimefield_value(now),
                    ],
                )
        cursor.execute(f"DROP TABLE {FACTS_TABLE}")
    removed, _ = ShelfRateRollup.objects.filter(month=first, refreshed_at__lt=now).delete()
    return {
        "month": first.isoformat(),
        "rows": ShelfRateRollup.objects.filter(month=first).count(),
        "removed": removed,
        "seconds": round(time.perf_counter() - started, 3),
    }
