"""Demo market information, complaints, satisfaction surveys and work plans for ``seed_demo``.

A month before ``ctx.today``: information items of every type (reviewed valid or invalid,
recent ones pending, a few leads followed up), complaints in every status (one overdue,
closed ones judged substantiated or not), survey answers for about a fifth of the
retailers, and the work plans of the last five weeks and two months with a few late and
missing. Everything happens before today's local midnight and depends only on ``ctx.rng``.
"""

import uuid
from datetime import timedelta

from accounts.models import Role
from retailers.models import RetailerStatus, add_months, month_start

from ..models import (
    LEAD_TYPES,
    Complaint,
    ComplaintStatus,
    InformationItem,
    InfoType,
    LeadStatus,
    SatisfactionSurvey,
    SurveyChannel,
    Validity,
    VisitRules,
    WorkPlan,
    WorkPlanKind,
)
from ..selectors.feedback import LOCAL_TZ, local_datetime
from ..services.feedback import monthly_plan_due, weekly_plan_due, work_plans_generate

DAYS = 30
INFO_PER_MANAGER = (5, 12)
SURVEYED_SHARE = 0.2

INFO_WEIGHTS = [
    (InfoType.PRICE, 15),
    (InfoType.BRAND, 14),
    (InfoType.GROUP, 9),
    (InfoType.OCCASION, 9),
    (InfoType.COUNTERFEIT, 4),
    (InfoType.DELIVERY, 10),
    (InfoType.PHONE_ORDER, 8),
    (InfoType.INSPECTOR, 5),
    (InfoType.SUGGESTION, 16),
    (InfoType.OTHER, 5),
]
INFO_TEXTS = {
    InfoType.PRICE: [
        "{shop}的{brand}零售价高于指导价约5元/包，已提醒店主按明码标价销售。",
        "周边多家店铺{brand}低价销售，{shop}反映利润空间被压缩。",
    ],
    InfoType.BRAND: [
        "{brand}近两周在{shop}动销明显加快，店主希望增加订购量。",
        "消费者询问{brand}新包装，{shop}暂无货源。",
    ],
    InfoType.GROUP: [
        "{shop}附近企业年会需采购{brand}约20条，已与采购负责人建立联系。",
        "{shop}店主反映附近工地有集中采购需求，约每周10条。",
    ],
    InfoType.OCCASION: [
        "{shop}所在小区本周末有婚宴，预计需要{brand}喜烟约15条。",
        "{shop}店主告知附近有乔迁宴请，询问{brand}礼盒装。",
    ],
    InfoType.COUNTERFEIT: [
        "{shop}附近流动摊贩疑似销售假冒{brand}，包装印刷粗糙，已拍照留存。",
    ],
    InfoType.DELIVERY: [
        "{shop}反映送货员上周晚到近两小时，影响营业。",
        "{shop}收货时发现{brand}外包装破损一条，送货员未当场处理。",
    ],
    InfoType.PHONE_ORDER: [
        "{shop}反映电访员未按约定时间来电，导致本周未能订货。",
        "{shop}店主反映电访员推荐品规过于集中。",
    ],
    InfoType.INSPECTOR: [
        "{shop}反映专管员检查时未出示证件。",
        "专管员本月未到{shop}所在街道巡查，店主反映周边无证经营增多。",
    ],
    InfoType.SUGGESTION: [
        "{shop}建议增加{brand}的货源投放。",
        "{shop}店主建议订货截止时间推迟到晚上八点。",
        "{shop}希望提供新的陈列架和价签。",
    ],
    InfoType.OTHER: [
        "{shop}所在道路下月起施工，预计客流减少。",
        "{shop}店主计划下月装修暂停营业一周。",
    ],
}
LEAD_NOTES = {
    LeadStatus.FOLLOWING: "已电话联系对方负责人，约定下周面谈。",
    LeadStatus.WON: "已促成订购，{brand} 18条。",
    LeadStatus.LOST: "对方已从外地采购，未成交。",
}
COMPLAINT_TEXTS = [
    "送货员未按约定时间送货，且态度生硬。",
    "订购的{brand}到货数量少了两条。",
    "电访员多次未接通即挂断，影响正常订货。",
    "货源分配不公平，{brand}长期订不到。",
    "客户经理一个多月没有来店走访。",
    "收到的卷烟外包装受潮。",
    "结算扣款重复，要求核实退款。",
]
RESPONSES = ["已电话联系店主了解情况，承诺尽快处理。", "已上门核实情况，正在协调相关部门。"]
RESOLUTIONS = [
    "已与配送部门沟通，补送缺货并向店主致歉，店主表示满意。",
    "已调整送货时段，并对相关人员进行批评教育。",
    "经核实系系统原因，已完成退款。",
    "已说明货源分配政策，并安排下周优先供货。",
]
SURVEY_NOTES = ["服务态度好", "希望增加走访次数", "送货及时", "货源偏紧", "价签更新及时"]
PLAN_WEEKLY = (
    "1. 完成A类客户{a}户、B类客户{b}户走访；\n2. 跟进{brand}上柜，目标新增{n}户；\n"
    "3. 收集价格与品牌动态信息不少于3条；\n4. 周三参加市场部例会。"
)
PLAN_MONTHLY = (
    "本月目标：销量{boxes}箱，重点品牌{key}箱；新品上柜率提升至{rate}%；\n"
    "重点工作：完成全部计划走访，做好节日集团消费线索跟进，处理好客户投诉。"
)


def seed(ctx):
    # The demo clock: everything below happened before today's local midnight.
    now = local_datetime(ctx.today)
    shops = _shops_by_territory(ctx)
    reviewers = _reviewers(ctx)
    brand_names = [brand.name for brand in ctx.brands] or ["中华（硬）"]
    _seed_information(ctx, now, shops, reviewers, brand_names)
    _seed_complaints(ctx, now, shops, reviewers, brand_names)
    _seed_surveys(ctx, shops, reviewers)
    _seed_work_plans(ctx, now, brand_names)


def _uuid(rng):
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _pick(rng, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def _shops_by_territory(ctx):
    shops = {}
    for retailer in ctx.retailers:
        if retailer.status == RetailerStatus.ACTIVE:
            shops.setdefault(retailer.territory_id, []).append(retailer)
    return shops


def _reviewers(ctx):
    """{department id: [its service-department supervisor(s), its center's supervisor(s)]}."""
    by_unit = {}
    for role in (Role.SERVICE_DEPT_SUPERVISOR, Role.MARKETING_CENTER_SUPERVISOR):
        for user in ctx.logins.get(role, []):
            by_unit.setdefault(user.org_unit_id, []).append(user)
    return {
        department.pk: by_unit.get(department.pk, []) + by_unit.get(department.parent_id, [])
        for department in ctx.departments
    }


def _moment(rng, now, days_back):
    """A working-hours moment ``days_back`` days before the demo clock's day."""
    day = (now - timedelta(days=days_back)).astimezone(LOCAL_TZ).date()
    return local_datetime(day, rng.randint(8, 17), rng.randint(0, 59))


def _log(at, user, text):
    return f"{at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M} {user.name}: {text}"


def _seed_information(ctx, now, shops, reviewers, brand_names):
    rng = ctx.rng
    items = []
    for territory in ctx.territories:
        manager = territory.manager
        if manager is None:
            continue
        territory_shops = shops.get(territory.pk, [])
        checkers = reviewers.get(territory.department_id) or ctx.logins.get(
            Role.ASSESSMENT_CENTER, []
        )
        kinds = [kind for kind, _weight in INFO_WEIGHTS]
        count = rng.randint(*INFO_PER_MANAGER)
        for index in range(count):
            # Every type appears in the first territory.
            kind = kinds[index] if territory is ctx.territories[0] and index < len(kinds) else None
            kind = kind or _pick(rng, INFO_WEIGHTS)
            shop = rng.choice(territory_shops) if territory_shops and rng.random() < 0.9 else None
            brand = rng.choice(brand_names)
            content = rng.choice(INFO_TEXTS[kind]).format(
                shop=shop.shop_name if shop else "辖区内商户", brand=brand
            )
            days_back = rng.randint(1, DAYS)
            reported_at = _moment(rng, now, days_back)
            item = InformationItem(
                kind=kind,
                content=content,
                reported_by=manager,
                territory=territory,
                retailer=shop,
                client_id=_uuid(rng),
                reported_at=reported_at,
            )
            roll = rng.random()
            reviewed = roll < (0.92 if days_back > 5 else 0.3)
            if reviewed and checkers:
                item.validity = Validity.INVALID if rng.random() < 0.13 else Validity.VALID
                item.reviewed_by = rng.choice(checkers)
                item.reviewed_at = min(
                    reported_at + timedelta(hours=rng.randint(2, 96)), now - timedelta(minutes=5)
                )
            if kind in LEAD_TYPES:
                item.lead_status = LeadStatus.OPEN
                if days_back > 3 and rng.random() < 0.6:
                    status = _pick(
                        rng,
                        [(LeadStatus.FOLLOWING, 5), (LeadStatus.WON, 3), (LeadStatus.LOST, 2)],
                    )
                    at = min(reported_at + timedelta(days=rng.randint(1, 3)), now)
                    item.lead_status = status
                    item.lead_note = _log(at, manager, LEAD_NOTES[status].format(brand=brand))
            items.append(item)
    InformationItem.objects.bulk_create(items, batch_size=2000)


def _seed_complaints(ctx, now, shops, reviewers, brand_names):
    rng = ctx.rng
    rules = VisitRules.for_day(ctx.today)
    complaints = []
    territories = [t for t in ctx.territories if t.manager_id and shops.get(t.pk)]
    # (days back, response hours, resolution hours, closing hours, substantiated): the
    # first territories get one complaint of each situation; the rest are random.
    fixed = [
        (5, None, None, None, None),  # open, both deadlines missed: overdue
        (2, 6, None, None, None),  # in progress
        (12, 3, 40, 48, True),  # closed, substantiated
        (15, 20, 60, 30, False),  # closed, not substantiated
        (4, 10, 50, None, None),  # resolved, waiting to be closed
        (9, 30, 90, 24, True),  # answered late, resolved late, substantiated
    ]
    for index, territory in enumerate(territories):
        manager = territory.manager
        plans = [fixed[index]] if index < len(fixed) else []
        for _n in range(rng.randint(0, 2)):
            days_back = rng.randint(1, DAYS)
            respond = rng.choice([2, 5, 12, 20, 22, 30])
            resolve = respond + rng.choice([8, 20, 36, 48, 60])
            close = rng.randint(12, 96)
            plans.append((days_back, respond, resolve, close, rng.random() < 0.3))
        checkers = reviewers.get(territory.department_id) or [manager]
        for days_back, respond, resolve, close, substantiated in plans:
            shop = rng.choice(shops[territory.pk])
            opened_at = _moment(rng, now, days_back)
            respond_by, resolve_by = Complaint.deadlines(opened_at, rules)
            complaint = Complaint(
                retailer=shop,
                territory=territory,
                client_id=_uuid(rng),
                content=rng.choice(COMPLAINT_TEXTS).format(brand=rng.choice(brand_names)),
                opened_at=opened_at,
                opened_by=rng.choice([manager, *checkers]),
                respond_by=respond_by,
                resolve_by=resolve_by,
            )
            step = _after(opened_at, respond, now)
            if step:
                complaint.status = ComplaintStatus.IN_PROGRESS
                complaint.first_response_at = step
                complaint.resolution = _log(step, manager, rng.choice(RESPONSES))
                done = _after(opened_at, resolve, now)
                if done:
                    complaint.status = ComplaintStatus.RESOLVED
                    complaint.resolved_at = done
                    complaint.resolution += "\n" + _log(done, manager, rng.choice(RESOLUTIONS))
                    closed = _after(done, close, now)
                    if closed:
                        complaint.status = ComplaintStatus.CLOSED
                        complaint.closed_at = closed
                        complaint.substantiated = bool(substantiated)
            complaints.append(complaint)
    Complaint.objects.bulk_create(complaints, batch_size=2000)


def _after(start, hours, now):
    """``start`` + ``hours`` if that is before the demo clock, else None (not happened yet)."""
    if hours is None:
        return None
    at = start + timedelta(hours=hours)
    return at if at < now else None


def _seed_surveys(ctx, shops, reviewers):
    rng = ctx.rng
    retailers = [r for territory_shops in shops.values() for r in territory_shops]
    departments = {t.pk: t.department_id for t in ctx.territories}
    surveys = []
    for retailer in rng.sample(retailers, round(len(retailers) * SURVEYED_SHARE)):
        recorders = reviewers.get(departments[retailer.territory_id])
        if not recorders:
            continue
        surveys.append(
            SatisfactionSurvey(
                retailer=retailer,
                score=_pick(rng, [(5, 40), (4, 35), (3, 15), (2, 7), (1, 3)]),
                surveyed_on=ctx.today - timedelta(days=rng.randint(1, DAYS)),
                channel=SurveyChannel.PHONE if rng.random() < 0.6 else SurveyChannel.SUPERVISOR,
                recorded_by=recorders[0],
                note=rng.choice(SURVEY_NOTES) if rng.random() < 0.3 else "",
            )
        )
    SatisfactionSurvey.objects.bulk_create(surveys, batch_size=2000)


def _seed_work_plans(ctx, now, brand_names):
    rng = ctx.rng
    next_monday = ctx.today + timedelta(days=7 - ctx.today.weekday())
    this_month = month_start(ctx.today)
    periods = [
        (WorkPlanKind.WEEKLY, monday, weekly_plan_due(monday, _week_rules(monday)))
        for monday in (next_monday - timedelta(weeks=k) for k in range(4, -1, -1))
    ] + [
        (WorkPlanKind.MONTHLY, month, monthly_plan_due(month, VisitRules.for_day(month)))
        for month in (add_months(this_month, -1), this_month)
    ]
    plans = []
    for manager in ctx.managers:
        for kind, period_start, due_at in periods:
            plan = WorkPlan(manager=manager, kind=kind, period_start=period_start, due_at=due_at)
            roll = rng.random()
            if due_at < now:
                if roll < 0.85:
                    plan.submitted_at = due_at - timedelta(hours=rng.randint(1, 48))
                elif roll < 0.93:
                    late = due_at + timedelta(hours=rng.randint(1, 40))
                    plan.submitted_at = late if late < now else None
            elif roll < 0.4:
                plan.submitted_at = now - timedelta(hours=rng.randint(1, 24))
            if plan.submitted_at is not None:
                plan.content = _plan_text(rng, kind, brand_names)
            plans.append(plan)
    WorkPlan.objects.bulk_create(plans, batch_size=2000, ignore_conflicts=True)
    # Next month's monthly plan (and any plan the daily task would open today).
    work_plans_generate(today=ctx.today)


def _week_rules(monday):
    return VisitRules.for_day(monday - timedelta(weeks=1))


def _plan_text(rng, kind, brand_names):
    if kind == WorkPlanKind.WEEKLY:
        return PLAN_WEEKLY.format(
            a=rng.randint(3, 8),
            b=rng.randint(5, 12),
            brand=rng.choice(brand_names),
            n=rng.randint(2, 6),
        )
    return PLAN_MONTHLY.format(
        boxes=rng.randint(80, 200), key=rng.randint(15, 50), rate=rng.choice([50, 60, 70])
    )
