"""Demo visit plans and visits (last month and this month so far), a few of them flagged."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from retailers.models import KeyBrandMonth, Retailer, add_months, month_start

from ..models import LocationStatus, ShelfObservation, StockLevel, Visit, VisitPlan, VisitRules
from ..services.plans import plans_generate
from ..services.visits import VisitInput, visit_flags

TZ = ZoneInfo(settings.TIME_ZONE)
VISITED_SHARE = 0.88  # share of planned stops actually visited


def seed(ctx):
    rng = ctx.rng
    this_month = month_start(ctx.today)
    last_month = add_months(this_month, -1)
    for month in (last_month, this_month):
        plans_generate(month=month, today=ctx.today)
    rules = VisitRules.for_day(ctx.today)
    retailers = {r.pk: r for r in Retailer.objects.all()}
    key_ids = set(KeyBrandMonth.objects.values_list("brand_id", flat=True))
    brands = ctx.brands
    plans = (
        VisitPlan.objects.filter(month__gte=last_month, scheduled_for__lt=ctx.today, dropped=False)
        .order_by("manager_id", "scheduled_for", "route_position")
        .values_list("pk", "manager_id", "retailer_id", "scheduled_for")
    )
    visits, shelf_lines = [], []
    clock = {}
    for plan_id, manager_id, retailer_id, day in plans:
        if rng.random() > VISITED_SHARE:
            continue
        retailer = retailers[retailer_id]
        start = clock.get((manager_id, day)) or datetime.combine(day, time(9, 0), TZ)
        start += timedelta(minutes=rng.randint(6, 20))
        minutes = rng.randint(5, 18)
        roll = rng.random()
        if roll < 0.02:
            minutes = 2  # a suspiciously short stop
        latitude, longitude = retailer.latitude, retailer.longitude
        status = LocationStatus.OK
        if roll > 0.98:
            latitude = longitude = None
            status = LocationStatus.DENIED
        elif 0.95 < roll <= 0.98 and latitude is not None:
            latitude += Decimal("0.0060")  # about 670 m north of the shop
        elif latitude is not None:
            latitude += Decimal(f"{rng.uniform(-0.0003, 0.0003):.6f}")
        end = start + timedelta(minutes=minutes)
        clock[(manager_id, day)] = end
        data = VisitInput(
            client_id=None,
            retailer_id=retailer_id,
            checked_in_at=start,
            checked_out_at=end,
            latitude=latitude,
            longitude=longitude,
            accuracy_m=rng.randint(5, 40) if latitude is not None else None,
            location_status=status,
        )
        flags = visit_flags(data=data, retailer=retailer, rules=rules, rapid=False)
        visit = Visit(
            manager_id=manager_id,
            retailer_id=retailer_id,
            territory_id=retailer.territory_id,
            plan_id=plan_id,
            checked_in_at=start,
            check_in_date=day,
            checked_out_at=end,
            latitude=latitude,
            longitude=longitude,
            accuracy_m=data.accuracy_m,
            location_status=status,
            **flags,
        )
        visits.append(visit)
        shelf_lines.append(_observations(rng, brands, key_ids, day, start, retailer))
    Visit.objects.bulk_create(visits, batch_size=2000)  # sets primary keys (RETURNING)
    observations = []
    for visit, lines in zip(visits, shelf_lines, strict=True):
        for brand, on_shelf, price, stock in lines:
            observations.append(
                ShelfObservation(
                    visit=visit,
                    retailer_id=visit.retailer_id,
                    observed_at=visit.checked_in_at,
                    brand=brand,
                    on_shelf=on_shelf,
                    retail_price=price,
                    stock_level=stock,
                )
            )
    ShelfObservation.objects.bulk_create(observations, batch_size=5000)
    ctx.visits = len(visits)


def _observations(rng, brands, key_ids, day, start, retailer):
    new = [b for b in brands if b.is_new_in(day) and b.launch_date <= day]
    key = [b for b in brands if b.pk in key_ids and b not in new]
    others = rng.sample([b for b in brands if b not in new and b not in key], 3)
    lines = []
    for brand in new + key + others:
        chance = 0.45 if brand in new else 0.8 if brand in key else 0.9
        on_shelf = rng.random() < chance
        price = None
        if on_shelf:
            price = (
                brand.wholesale_price / 10 * Decimal(str(rng.choice([1.1, 1.15, 1.2])))
            ).quantize(Decimal("0.5"))
        stock = rng.choice([StockLevel.LOW, StockLevel.NORMAL, StockLevel.NORMAL, StockLevel.HIGH])
        lines.append((brand, on_shelf, price, stock if on_shelf else StockLevel.NONE))
    return lines
