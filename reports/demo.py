"""Demo pay and tiers: initial tiers for every manager; the last complete quarter's three
months closed and published, the quarter reviewed (proposals waiting for the admin), and the
quarter's last month paid and approved (maker/checker by the two HR users)."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from accounts.models import Role
from assessment.services import month_close, month_publish, month_start_review
from retailers.demo import ORDER_MONTHS
from retailers.models import add_months, month_start

from .models import TIER_ORDER, Tier
from .services.alerts import orders_rollup_refresh
from .services.dashboards import kpi_refresh
from .services.pay import pay_run_approve, pay_run_prepare
from .services.tiers import tier_set, tiers_review


def _at(day: date) -> datetime:
    """09:00 local time of ``day``."""
    return timezone.make_aware(datetime.combine(day, time(9)))


def seed(ctx):
    rng = ctx.rng
    admin = ctx.logins[Role.ADMIN][0]
    start = date(2000, 1, 1)
    for manager in ctx.managers:
        if manager.hire_date and manager.hire_date > ctx.today - timedelta(days=365):
            tier = Tier.PROBATION
        else:
            tier = rng.choice(TIER_ORDER[1:5])
        tier_set(manager=manager, tier=tier, effective_from=start, user=admin, reason="初始评定")
    this_month = month_start(ctx.today)
    quarter = this_month.replace(month=(this_month.month - 1) // 3 * 3 + 1)
    quarter = add_months(quarter, -3)  # the last complete quarter
    months = [add_months(quarter, n) for n in range(3)]
    hr = {}  # city company id → its two HR users (maker and checker)
    for user in ctx.logins[Role.HR]:
        hr.setdefault(user.org_unit_id, []).append(user)
    for company in ctx.companies:
        for month in months:
            # Opened for review on the 3rd of the next month, published on the 10th: after
            # the five days of appeal (DOMAIN §4).
            # (Early in a quarter, the times move back so that none is in the future.)
            following = add_months(month, 1)
            published = min(_at(following.replace(day=10)), timezone.now())
            opened = min(_at(following.replace(day=3)), published - timedelta(days=6))
            month_close(month=month, company=company)
            month_start_review(month=month, company=company, now=opened)
            month_publish(month=month, company=company, user=admin, now=published)
        preparer, approver = hr[company.pk][:2]
        run = pay_run_prepare(month=months[-1], user=preparer, company=company)
        pay_run_approve(run=run, user=approver)
        tiers_review(quarter_start=quarter, company=company)
    # The retailer order rollup of every month with orders: the demo's 断订 and 订单异动 alerts.
    orders_rollup_refresh(months=[add_months(this_month, -n) for n in range(ORDER_MONTHS + 1)])
    # The dashboards' rollup of every month with data (orders reach back six months).
    for n in range(6, -1, -1):
        kpi_refresh(month=add_months(this_month, -n))
