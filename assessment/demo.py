"""Demo assessment: last month's inspections and bonus points, computed and in review,
with one appeal waiting for a decision."""

from datetime import timedelta
from decimal import Decimal

from accounts.models import Role

from . import services
from .models import Inspection
from .selectors import scheme_for

REASONS = {
    "visits": "抽查发现走访记录与实际不符",
    "info": "信息反馈内容不实",
    "discipline": "未按规定着装上岗",
    "satisfaction": "零售户反映服务态度差",
}


def seed(ctx):
    rng = ctx.rng
    first = ctx.today.replace(day=1)
    last_month = (first - timedelta(days=1)).replace(day=1)
    codes = list(REASONS)
    scheme_for(last_month, ctx.company)  # fail early without a scheme
    supervisors = {role: ctx.logins.get(role, []) for role in Role}
    by_department = {u.org_unit_id: u for u in supervisors[Role.SERVICE_DEPT_SUPERVISOR]}
    by_center = {u.org_unit_id: u for u in supervisors[Role.MARKETING_CENTER_SUPERVISOR]}
    assessors = {}  # city company id → its first assessment-center supervisor
    for user in supervisors[Role.ASSESSMENT_CENTER]:
        assessors.setdefault(user.org_unit_id, user)
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
