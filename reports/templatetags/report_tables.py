"""Showing a report table (``reports.tables.Table``) on its page: ``{% load report_tables %}``.

- ``row|with_columns:table.columns`` pairs each value with its column;
- ``{% cell value column %}`` shows a value by the column's kind through the display filters
  of ``{% load formats %}`` (箱 from 条, rates as percentages, money, dates in Asia/Shanghai).
"""

from django import template

from accounts.templatetags.formats import MISSING, boxes, day, local_time, money, num, pct
from reports.tables import Kind

register = template.Library()

SHOW = {
    Kind.INT: num,
    Kind.BOXES: boxes,
    Kind.MONEY: money,
    Kind.DECIMAL: lambda value: num(value, 2),
    Kind.PERCENT: pct,
    Kind.DATE: day,
    Kind.DATETIME: local_time,
}


@register.filter
def with_columns(row, columns):
    return zip(row, columns, strict=True)


@register.simple_tag
def cell(value, column):
    show = SHOW.get(column.kind)
    if show is not None:
        return show(value)
    return MISSING if value is None else value
