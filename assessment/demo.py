"""Demo assessment: the months closed in order (DOMAIN §4). Every month from the first month
of the last complete quarter before last month up to the month before last is closed,
reviewed and published; last month has inspections and bonus points, is computed and in
review, with one appeal waiting for a decision (a province's third city is late: its last
month is still a draft). So the months page shows no month with data that was never assessed
(未考核) before the one in review."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Role
from retailers.models import OrderLine, add_months, month_start

from . import services
from .adjustments import note_late
from .models import Inspection, LateKind
from .selectors import scheme_for

REASONS = {
    "visits": "抽查发现走访记录与实际不符",
    "info": "信息反馈内容不实",
    "discipline": "未按规定着装上岗",
    "satisfaction": "零售户反映服务态度差",
}


def published_months(today: date) -> list[date]:
    """The demo's published months, oldest first: from the first month of the last complete
    quarter before last month (its tiers can be reviewed) to the month before last month.
    Three to five months, all within the six months of demo orders."""
    review = add_months(month_start(today), -1)
    first = add_months(review.replace(month=(review.month - 1) // 3 * 3 + 1), -3)
    count = (review.year - first.year) * 12 + review.month - first.month
    return [add_months(first, n) for n in range(count)]


def at_nine(day: date) -> datetime:
    """09:00 local time of ``day``."""
    return timezone.make_aware(datetime.combine(day, time(9)))


def _publish_in_order(ctx, assessors):
    """Close, review and publish each earlier month in order, at the times a company would:
    opened for review on the 3rd of the next month, published on the 10th by the city's
    assessment center, after the five days of appeal (early in a month the times move back
    so that none is in the future). The first published month of each city gets late data
    after its publication, which the next month carries as 调整 lines and 补发/扣回."""
    months = published_months(ctx.today)
    for company in ctx.companies:
        for month in months:
            following = add_months(month, 1)
            published = min(at_nine(following.replace(day=10)), timezone.now())
            opened = min(at_nine(following.replace(day=3)), published - timedelta(days=6))
            services.month_close(month=month, company=company, now=opened)
            services.month_start_review(month=month, company=company, now=opened)
            services.month_publish(
                month=month, company=company, user=assessors[company.pk], now=published
            )
            if month == months[0] and len(months) > 1:
                _late_data(
                    ctx,
                    company,
                    month,
                    assessors[company.pk],
                    arrived=published + timedelta(days=2),
                )


def _late_data(ctx, company, month: date, inspector, *, arrived: datetime) -> None:
    """A week of order lines the ordering system sent late (one retailer's), and a deduction
    found after publication: late data of the published ``month`` (DOMAIN §4)."""
    end = add_months(month, 1)
    sold = (
        OrderLine.objects.filter(
            retailer__territory__department__company=company,
            order_date__gte=end - timedelta(days=7),
            order_date__lt=end,
            quantity__gt=0,
        )
        .select_related("brand")
        .order_by("pk")
        .first()
    )
    if sold is not None:
        for n, day in enumerate(range(7, 0, -2)):
            OrderLine.objects.create(
                retailer=sold.retailer,
                brand=sold.brand,
                order_date=end - timedelta(days=day),
                quantity=100,
                amount=sold.brand.wholesale_price * 100,
                source_order_no=f"LATE{company.code}{month:%Y%m}{n}",
                settled_on_time=True,
                arrived_at=arrived,
            )
        note_late(
            kind=LateKind.ORDER_LINES,
            company=company,
            day=end - timedelta(days=7),
            note="订单行 4 条（订货系统补传）",
            now=arrived,
        )
    manager = next((m for m in ctx.managers if m.org_unit.company_id == company.pk), None)
    if manager is not None:
        services.inspection_record(
            inspector=inspector,
            manager_id=manager.pk,
            inspected_on=end - timedelta(days=5),
            item_code="discipline",
            points=Decimal(2),
            reason="发布后核实：月底两天未按规定着装上岗",
        )


def seed(ctx):
    rng = ctx.rng
    last_month = add_months(month_start(ctx.today), -1)
    codes = list(REASONS)
    scheme_for(last_month, ctx.company)  # fail early without a scheme
    supervisors = {role: ctx.logins.get(role, []) for role in Role}
    by_department = {u.org_unit_id: u for u in supervisors[Role.SERVICE_DEPT_SUPERVISOR]}
    by_center = {u.org_unit_id: u for u in supervisors[Role.MARKETING_CENTER_SUPERVISOR]}
    assessors = {}  # city company id → its first assessment-center supervisor
    for user in supervisors[Role.ASSESSMENT_CENTER]:
        assessors.setdefault(user.org_unit_id, user)
    _publish_in_order(ctx, assessors)
    for manager in ctx.managers:
        department = manager.org_unit
        assessor = assessors[department.company_id]
        inspectors = [by_department.get(department.pk), by_center.get(department.parent_id)]
        if rng.random() < 0.15:
            inspectors.append(assessor)
        for inspector in inspectors:
            if inspector is None or rng.random() < 0.4:
                continue
            code = rng.choice(codes)
            services.inspection_record(
                inspector=inspector,
                manager_id=manager.pk,
                inspected_on=last_month + timedelta(days=rng.randint(2, 25)),
                item_code=code,
                points=Decimal(rng.choice([1, 2, 3])),
                reason=REASONS[code],
            )
        if rng.random() < 0.1:
            services.bonus_grant(
                user=by_center.get(department.parent_id) or assessor,
                manager_id=manager.pk,
                day=last_month + timedelta(days=rng.randint(2, 25)),
                points=Decimal(rng.choice([1, 2, 3])),
                reason="提供假烟线索，经查属实",
            )
    for index, company in enumerate(ctx.companies):
        services.month_close(month=last_month, company=company)
        if index == 2:  # a province's third city is late: its month is still a draft
            continue
        services.month_start_review(month=last_month, company=company)
        level3 = (
            Inspection.objects.filter(month=last_month, level=3, manager__org_unit__company=company)
            .order_by("pk")
            .first()
        )
        if level3 is not None:
            services.appeal_file(
                inspection=level3, user=level3.manager, reason="当天走访有照片和定位为证，请复核"
            )
