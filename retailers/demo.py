"""Demo retailers, brands, six months of orders, targets and classification for ``seed_demo``."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from . import services
from .models import (
    Brand,
    Environment,
    KeyBrandMonth,
    MarketType,
    OrderLine,
    Retailer,
    RetailerStatus,
    RetailFormat,
    SalesTarget,
    ShelfTarget,
    Violation,
    ViolationSeverity,
    add_months,
    month_start,
)

# Retailers per territory, and days between a typical retailer's orders.
RETAILERS_PER_TERRITORY = {"small": 30, "city": 60, "province": 30}
ORDER_INTERVAL_DAYS = {"small": 7, "city": 14, "province": 7}
ORDER_MONTHS = 6

# (name, manufacturer, price class, wholesale price per 条)
BRANDS = [
    ("中华（硬）", "上海烟草集团", 1, "450.00"),
    ("中华（软）", "上海烟草集团", 1, "650.00"),
    ("黄鹤楼（硬珍品）", "湖北中烟", 1, "380.00"),
    ("玉溪（软）", "红塔集团", 1, "220.00"),
    ("芙蓉王（硬）", "湖南中烟", 1, "225.00"),
    ("利群（新版）", "浙江中烟", 1, "190.00"),
    ("南京（炫赫门）", "江苏中烟", 2, "160.00"),
    ("苏烟（五星红杉树）", "江苏中烟", 1, "300.00"),
    ("云烟（紫）", "红云红河集团", 2, "150.00"),
    ("黄山（红方印）", "安徽中烟", 2, "145.00"),
    ("泰山（红将军）", "山东中烟", 2, "140.00"),
    ("七匹狼（白）", "福建中烟", 2, "135.00"),
    ("双喜（硬经典）", "广东中烟", 3, "95.00"),
    ("红塔山（硬经典）", "红塔集团", 3, "85.00"),
    ("白沙（硬精品）", "湖南中烟", 3, "90.00"),
    ("红河（硬88）", "红云红河集团", 3, "80.00"),
    ("真龙（起源）", "广西中烟", 3, "100.00"),
    ("娇子（蓝时代）", "川渝中烟", 3, "110.00"),
    ("长白山（777）", "吉林烟草工业", 3, "105.00"),
    ("钻石（硬蓝）", "河北中烟", 4, "65.00"),
    ("红金龙（硬红）", "湖北中烟", 4, "60.00"),
    ("好猫（长乐）", "陕西中烟", 4, "70.00"),
    ("红梅（软黄）", "红塔集团", 4, "55.00"),
    ("大前门（短支）", "上海烟草集团", 4, "62.00"),
    ("哈德门（精品）", "山东中烟", 4, "52.00"),
    ("红双喜（硬上海）", "上海烟草集团", 5, "40.00"),
    ("大丰收（硬）", "湖南中烟", 5, "32.00"),
    ("金桥（软）", "云南中烟", 5, "35.00"),
    ("五一（硬）", "湖南中烟", 5, "30.00"),
    ("迎客松（软）", "安徽中烟", 5, "38.00"),
    # New products, launched within the last year (see NEW_BRAND_AGES).
    ("南京（雨花石细支）", "江苏中烟", 1, "520.00"),
    ("黄山（新制皖烟）", "安徽中烟", 2, "170.00"),
    ("利群（长嘴）", "浙江中烟", 3, "115.00"),
    ("云烟（小熊猫家园）", "红云红河集团", 2, "180.00"),
]
# Days between launch and today for the last four (new) brands.
NEW_BRAND_AGES = [300, 150, 60, 20]
KEY_BRANDS = ["南京（炫赫门）", "苏烟（五星红杉树）", "黄山（红方印）", "南京（雨花石细支）"]

FORMAT_WEIGHTS = [
    (RetailFormat.GROCERY, 45),
    (RetailFormat.CONVENIENCE, 20),
    (RetailFormat.TOBACCO_LIQUOR, 15),
    (RetailFormat.SUPERMARKET, 8),
    (RetailFormat.ENTERTAINMENT, 5),
    (RetailFormat.MALL, 2),
    (RetailFormat.OTHER, 5),
]
TOWN_ENVIRONMENTS = [
    (Environment.BUSINESS_CENTER, 15),
    (Environment.TRANSPORT_HUB, 8),
    (Environment.RESIDENTIAL, 50),
    (Environment.SCHOOL_HOSPITAL, 12),
    (Environment.URBAN_FRINGE, 15),
]
RURAL_ENVIRONMENTS = [
    (Environment.URBAN_FRINGE, 15),
    (Environment.RURAL_TOWN, 55),
    (Environment.REMOTE_RURAL, 30),
]
SHOP_SUFFIX = {
    RetailFormat.GROCERY: ["食杂店", "小卖部", "百货店"],
    RetailFormat.CONVENIENCE: ["便利店", "便民店", "24小时便利"],
    RetailFormat.TOBACCO_LIQUOR: ["烟酒商行", "名烟名酒", "烟酒店"],
    RetailFormat.SUPERMARKET: ["超市", "生活超市", "购物中心"],
    RetailFormat.ENTERTAINMENT: ["棋牌室", "KTV", "茶楼"],
    RetailFormat.MALL: ["商场烟柜", "百货大楼烟柜"],
    RetailFormat.OTHER: ["加油站便利店", "报刊亭", "宾馆商店"],
}
SHOP_PREFIX = [
    "惠民",
    "鑫源",
    "兴隆",
    "万家",
    "福满",
    "金利",
    "永盛",
    "顺发",
    "好邻居",
    "佳佳",
    "美宜",
    "众乐",
    "新华",
    "华联",
    "天天",
    "瑞丰",
    "和平",
    "富民",
    "友谊",
    "阳光",
]
RURAL_CENTERS = {2, 3}  # the 县 marketing centers of the demo (indexes in accounts.demo)


def arrival(day: date) -> datetime:
    """When the demo's order lines of ``day`` arrived: 06:00 local time the next day (or now,
    for the latest lines)."""
    return min(
        timezone.make_aware(datetime.combine(day + timedelta(days=1), time(6))), timezone.now()
    )


def _pick(rng, weighted):
    total = sum(weight for _, weight in weighted)
    point = rng.uniform(0, total)
    for value, weight in weighted:
        point -= weight
        if point <= 0:
            return value
    return weighted[-1][0]


def _jitter(rng):
    """Up to about a kilometre away from the territory's centre."""
    return Decimal(f"{rng.uniform(-0.012, 0.012):.6f}")


def seed(ctx):
    this_month = month_start(ctx.today)
    first_month = add_months(this_month, -ORDER_MONTHS)

    brands = _seed_brands(ctx, this_month)
    retailers = _seed_retailers(ctx, first_month)
    _seed_violations(ctx, retailers)
    _seed_orders(ctx, retailers, brands, first_month)
    _seed_targets(ctx, brands, first_month, this_month)

    # Three monthly classification runs give every retailer a class history.
    for months_ago in (2, 1, 0):
        services.classification_run(month=add_months(this_month, -months_ago))
    ctx.brands, ctx.retailers = brands, retailers


def _seed_brands(ctx, this_month):
    brands = []
    new_from = len(BRANDS) - len(NEW_BRAND_AGES)
    for index, (name, maker, price_class, price) in enumerate(BRANDS):
        if index >= new_from:
            launch = ctx.today - timedelta(days=NEW_BRAND_AGES[index - new_from])
        else:
            launch = date(2010 + index % 12, 1 + index % 12, 1)
        brands.append(
            Brand(
                code=f"69010{index + 1:08d}",
                name=name,
                manufacturer=maker,
                price_class=price_class,
                wholesale_price=Decimal(price),
                launch_date=launch,
            )
        )
    for brand in brands:
        brand.full_clean()
    Brand.objects.bulk_create(brands)
    brands = list(Brand.objects.order_by("code"))
    key = [b for b in brands if b.name in KEY_BRANDS]
    KeyBrandMonth.objects.bulk_create(
        KeyBrandMonth(brand=brand, month=add_months(this_month, -m))
        for brand in key
        for m in range(ORDER_MONTHS + 1)
    )
    return brands


def _seed_retailers(ctx, since):
    rng, fake = ctx.rng, ctx.faker
    per_territory = RETAILERS_PER_TERRITORY[ctx.size]
    centers = {center.pk: index for index, center in enumerate(ctx.centers)}
    retailers = []
    serial = 0
    for territory in ctx.territories:
        center_index = centers[territory.department.parent_id]
        city = ctx.city_of_center[territory.department.parent_id]
        rural_share = 0.75 if center_index in RURAL_CENTERS else 0.1
        for _ in range(per_territory):
            serial += 1
            market = MarketType.RURAL if rng.random() < rural_share else MarketType.TOWN
            shop_format = _pick(rng, FORMAT_WEIGHTS)
            environment = _pick(
                rng, RURAL_ENVIRONMENTS if market == MarketType.RURAL else TOWN_ENVIRONMENTS
            )
            status = _pick(
                rng,
                [
                    (RetailerStatus.ACTIVE, 95),
                    (RetailerStatus.SUSPENDED, 3),
                    (RetailerStatus.CANCELLED, 2),
                ],
            )
            street = f"{territory.name.removesuffix('片区')}{fake.street_name()}"
            retailer = Retailer(
                license_no=f"{territory.code[:4]}{center_index + 1:02d}{serial:06d}",
                shop_name=f"{rng.choice(SHOP_PREFIX)}{rng.choice(SHOP_SUFFIX[shop_format])}",
                owner_name=fake.name(),
                phone=fake.phone_number(),
                address=f"{city}{street}{rng.randint(1, 300)}号",
                latitude=territory.latitude + _jitter(rng),
                longitude=territory.longitude + _jitter(rng),
                market_type=market,
                retail_format=shop_format,
                environment=environment,
                potential=None if rng.random() < 0.15 else rng.randint(1, 5),
                status=status,
                territory=territory,
                grade_tier=rng.randint(1, 30),
            )
            retailer.full_clean(validate_unique=False)
            retailers.append(retailer)
    Retailer.objects.bulk_create(retailers, batch_size=5000)
    services.assignments_sync(on=since)
    return list(Retailer.objects.order_by("pk"))


def _seed_violations(ctx, retailers):
    rng = ctx.rng
    violations = []
    for retailer in retailers:
        roll = rng.random()
        if roll < 0.06:
            severity, text = ViolationSeverity.MINOR, "未按规定明码标价"
        elif roll < 0.075:
            severity, text = ViolationSeverity.SERIOUS, "销售非法渠道卷烟"
        else:
            continue
        violations.append(
            Violation(
                retailer=retailer,
                occurred_on=ctx.today - timedelta(days=rng.randint(10, 330)),
                severity=severity,
                description=text,
            )
        )
    Violation.objects.bulk_create(violations)


def _seed_orders(ctx, retailers, brands, first_month):
    """Orders of every active retailer since ``first_month``, a few brands each time."""
    rng = ctx.rng
    interval = ORDER_INTERVAL_DAYS[ctx.size]
    established = [b for b in brands if not b.is_new_in(ctx.today)]
    lines = []
    order_no = 0
    for retailer in retailers:
        if retailer.status == RetailerStatus.CANCELLED:
            continue
        size = rng.choice([0.5, 1, 1, 1.5, 2, 3]) * (0.7 if retailer.market_type == "X" else 1)
        on_time = rng.choice([0.7, 0.9, 0.95, 1, 1])
        favourites = rng.sample(established, 8)
        day = first_month + timedelta(days=rng.randint(0, interval - 1))
        while day < ctx.today:
            order_no += 1
            number = f"DD{day:%Y%m%d}{order_no:07d}"
            settled = rng.random() < on_time
            offered = favourites + [b for b in brands if b.is_new_in(day) and b.launch_date <= day]
            for brand in rng.sample(offered, min(len(offered), rng.randint(3, 6))):
                quantity = max(1, round(rng.uniform(1, 10) * size))
                lines.append(
                    OrderLine(
                        retailer=retailer,
                        brand=brand,
                        order_date=day,
                        quantity=quantity,
                        amount=brand.wholesale_price * quantity,
                        source_order_no=number,
                        settled_on_time=settled,
                        # The ordering system sends a day's lines the next morning.
                        arrived_at=arrival(day),
                    )
                )
            if len(lines) >= 20000:
                OrderLine.objects.bulk_create(lines)
                lines = []
            day += timedelta(days=interval + rng.randint(-2, 2))
    OrderLine.objects.bulk_create(lines)


def _seed_targets(ctx, brands, first_month, this_month):
    """Sales targets near each manager's actual volume; 上柜率 targets for new brands."""
    from django.db.models import Sum
    from django.db.models.functions import TruncMonth

    rng = ctx.rng
    key_ids = set(KeyBrandMonth.objects.values_list("brand_id", flat=True))
    actual = {}
    for row in (
        OrderLine.objects.filter(order_date__gte=first_month)
        .annotate(month=TruncMonth("order_date"))
        .values("retailer__territory__manager_id", "month", "brand_id")
        .annotate(cartons=Sum("quantity"))
    ):
        key = (row["retailer__territory__manager_id"], row["month"])
        total, key_total = actual.get(key, (0, 0))
        actual[key] = (
            total + row["cartons"],
            key_total + (row["cartons"] if row["brand_id"] in key_ids else 0),
        )
    targets = []
    month = first_month
    while month <= this_month:
        for manager in ctx.managers:
            total, key_total = actual.get((manager.pk, month), (0, 0))
            if month == this_month:  # the month in progress: plan on last month's volume
                total, key_total = actual.get((manager.pk, add_months(month, -1)), (0, 0))
            factor = Decimal(str(rng.choice([0.9, 0.95, 1.0, 1.05, 1.1, 1.2])))
            targets.append(
                SalesTarget(
                    manager=manager,
                    month=month,
                    total_boxes=(Decimal(total) / 250 * factor).quantize(Decimal("0.01")),
                    key_brand_boxes=(Decimal(key_total) / 250 * factor).quantize(Decimal("0.01")),
                )
            )
        month = add_months(month, 1)
    SalesTarget.objects.bulk_create(targets)

    shelf = []
    for brand in brands:
        for m in range(ORDER_MONTHS + 1):
            month = add_months(this_month, -m)
            if brand.is_new_in(month):
                shelf.extend(
                    ShelfTarget(brand=brand, month=month, org_unit=company, rate=Decimal("0.6000"))
                    for company in ctx.companies
                )
                shelf.append(
                    ShelfTarget(
                        brand=brand,
                        month=month,
                        org_unit=ctx.departments[0],
                        rate=Decimal("0.7000"),
                    )
                )
    ShelfTarget.objects.bulk_create(shelf)
