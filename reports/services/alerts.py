"""Writes behind the alerts (预警, DOMAIN.md §8): the retailer order rollup.

``RetailerOrderMonth`` holds, per retailer and month, the 条 net of returns and the date of
the latest line with a positive quantity, so the 断订 and 订单异动 alerts never scan order
lines. It is refreshed set-wise: one ``INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE``
per month (the same SQL on SQLite and PostgreSQL) and one DELETE of the rows whose retailer
has no line left in that month. Queued after order imports and nightly (``reports.tasks``).
"""

from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction

from retailers.models import OrderLine, add_months, month_start

from ..models import RetailerOrderMonth


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _upsert_sql() -> str:
    rollup, lines = RetailerOrderMonth, OrderLine
    q = connection.ops.quote_name
    retailer, month = _column(rollup, "retailer"), _column(rollup, "month")
    net, last = _column(rollup, "net_cartons"), _column(rollup, "last_order_date")
    line_retailer, line_date = _column(lines, "retailer"), _column(lines, "order_date")
    quantity = _column(lines, "quantity")
    return (
        f"INSERT INTO {q(rollup._meta.db_table)} ({retailer}, {month}, {net}, {last}) "
        f"SELECT {line_retailer}, %s, SUM({quantity}), "
        f"MAX(CASE WHEN {quantity} > 0 THEN {line_date} END) "
        f"FROM {q(lines._meta.db_table)} "
        f"WHERE {line_date} >= %s AND {line_date} < %s "
        f"GROUP BY {line_retailer} "
        f"ON CONFLICT ({retailer}, {month}) DO UPDATE SET "
        f"{net} = excluded.{net}, {last} = excluded.{last}"
    )


@transaction.atomic
def orders_rollup_refresh(*, months: Iterable[date]) -> dict[date, int]:
    """Bring ``RetailerOrderMonth`` up to date for ``months`` (any day of each month).

    Per retailer and month: ``net_cartons`` = Σ quantity of the month's order lines (returns
    are lines with a negative quantity, so the sum is net of them); ``last_order_date`` =
    the latest date of a line with a positive quantity (None when the month has only
    returns). Re-running it changes nothing. Returns {month: rows written}.
    """
    sql = _upsert_sql()
    written = {}
    for first in sorted({month_start(m) for m in months}):
        end = add_months(first, 1)
        with connection.cursor() as cursor:
            cursor.execute(sql, [first, first, end])
            written[first] = cursor.rowcount
        in_month = OrderLine.objects.filter(order_date__gte=first, order_date__lt=end)
        RetailerOrderMonth.objects.filter(month=first).exclude(
            retailer_id__in=in_month.values("retailer_id")
        ).delete()
    return written
