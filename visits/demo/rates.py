"""Demo 上柜率 rollup for ``seed_demo``: this month and last month, after the visits are in."""

from retailers.models import add_months, month_start

from ..services.rates import shelf_rates_refresh


def seed(ctx):
    this_month = month_start(ctx.today)
    for month in (add_months(this_month, -1), this_month):
        shelf_rates_refresh(month=month)
