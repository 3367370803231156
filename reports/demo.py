"""Demo pay: tiers for every manager, and the month before last closed, published, paid and
approved (maker/checker by the two HR users), so "my pay" and the bonus sheet have data."""

from datetime import date, timedelta

from accounts.models import Role
from assessment.services import month_close, month_publish, month_start_review
from retailers.models import add_months, month_start

from .models import TIER_ORDER, Tier
from .services import pay_run_approve, pay_run_prepare
from .tier_services import tier_set


def seed(ctx):
    rng = ctx.rng
    admin = ctx.logins[Role.ADMIN][0]
    preparer, approver = ctx.logins[Role.HR][:2]
    start = date(2000, 1, 1)
    for manager in ctx.managers:
        if manager.hire_date and manager.hire_date > ctx.today - timedelta(days=365):
            tier = Tier.PROBATION
        else:
            tier = rng.choice(TIER_ORDER[1:5])
        tier_set(manager=manager, tier=tier, effective_from=start, user=admin, reason="初始评定")
    paid = add_months(month_start(ctx.today), -2)
    month_close(month=paid)
    month_start_review(month=paid)
    month_publish(month=paid, user=admin)
    run = pay_run_prepare(month=paid, user=preparer)
    pay_run_approve(run=run, user=approver)
