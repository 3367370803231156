"""Demo pay and tiers: initial tiers for every manager; every published month (see
``assessment.demo``) paid and approved (maker/checker by the two HR users); the last complete
quarter reviewed (proposals waiting for the admin)."""

from datetime import date, timedelta

from django.utils import timezone

from accounts.models import Role
from assessment.demo import at_nine, published_months
from retailers.demo import ORDER_MONTHS
from retailers.models import add_months, month_start

from .models import TIER_ORDER, Tier
from .services.alerts import orders_rollup_refresh
from .services.dashboards import kpi_refresh
from .services.pay import pay_run_approve, pay_run_prepare
from .services.tiers import tier_set, tiers_review


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
    months = published_months(ctx.today)
    quarter = months[0]  # the last complete quarter before last month
    hr = {}  # city company id → its two HR users (maker and checker)
    for user in ctx.logins[Role.HR]:
        hr.setdefault(user.org_unit_id, []).append(user)
    for company in ctx.companies:
        preparer, approver = hr[company.pk][:2]
        for month in months:
            # Prepared on the 12th of the next month, approved on the 13th (at the latest now).
            following = add_months(month, 1)
            approved = min(at_nine(following.replace(day=13)), timezone.now())
            prepared = min(at_nine(following.replace(day=12)), approved - timedelta(hours=1))
            run = pay_run_prepare(month=month, user=preparer, company=company, now=prepared)
            pay_run_approve(run=run, user=approver, now=approved)
        tiers_review(quarter_start=quarter, company=company)
    # The retailer order rollup of every month with orders: the demo's 断订 and 订单异动 alerts.
    orders_rollup_refresh(months=[add_months(this_month, -n) for n in range(ORDER_MONTHS + 1)])
    # The dashboards' rollup of every month with data (orders reach back six months).
    for n in range(6, -1, -1):
        kpi_refresh(month=add_months(this_month, -n))
