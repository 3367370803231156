"""Benchmark of the month close (not a test): time and queries for N managers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python benchmarks/close_month.py --managers 2000

It creates a throwaway database next to the one DATABASE_URL names (``test_<name>``, every
migration applied), builds a province-like month (N managers in 20 centers, 20 retailers
each, orders, plans and visits, information items, surveys, inspections, bonus), runs
``month_close`` twice (the second replaces the first's rows), prints seconds and the
number of queries of each, and drops the database.
"""

import argparse
import os
import random
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghijklmnopqrstu")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts import services as accounts_services  # noqa: E402
from accounts.models import OrgKind, Role, Territory, User  # noqa: E402
from assessment.models import BonusPoint, Inspection  # noqa: E402
from assessment.services import month_close  # noqa: E402
from retailers.models import Brand, OrderLine, Retailer, SalesTarget  # noqa: E402
from retailers.services import assignments_sync  # noqa: E402
from visits.models import InformationItem, SatisfactionSurvey, Visit, VisitPlan  # noqa: E402

MONTH = date(2026, 10, 1)
TZ = ZoneInfo("Asia/Shanghai")
CENTERS = 20
RETAILERS_PER_MANAGER = 20


def build(managers: int, rng: random.Random):
    company = accounts_services.org_unit_create(name="省公司", code="P0", kind=OrgKind.COMPANY)
    departments = []
    per_center = max(1, managers // CENTERS // 10)
    for c in range(CENTERS):
        center = accounts_services.org_unit_create(
            name=f"营销中心{c}", code=f"P0-{c}", kind=OrgKind.MARKETING_CENTER, parent=company
        )
        for d in range(per_center):
            departments.append(
                accounts_services.org_unit_create(
                    name=f"市场部{c}-{d}",
                    code=f"P0-{c}-{d}",
                    kind=OrgKind.SERVICE_DEPARTMENT,
                    parent=center,
                )
            )
    supervisor = User.objects.create(
        employee_no="S1", name="督察", role=Role.ASSESSMENT_CENTER, org_unit=company
    )
    users = User.objects.bulk_create(
        User(
            employee_no=f"M{m:05d}",
            name=f"经理{m}",
            role=Role.CUSTOMER_MANAGER,
            org_unit=departments[m % len(departments)],
        )
        for m in range(managers)
    )
    territories = Territory.objects.bulk_create(
        Territory(code=f"T{m:05d}", name=f"片区{m}", department=u.org_unit, manager=u)
        for m, u in enumerate(users)
    )
    brands = Brand.objects.bulk_create(
        Brand(
            code=f"69{b:011d}",
            name=f"牌{b}",
            manufacturer="厂",
            price_class=b % 5 + 1,
            wholesale_price=Decimal(60 + b),
        )
        for b in range(30)
    )
    retailers = Retailer.objects.bulk_create(
        (
            Retailer(
                license_no=f"3300{n:08d}",
                shop_name=f"店{n}",
                owner_name="店主",
                address="地址",
                market_type="C",
                retail_format="Z",
                environment="residential",
                territory=t,
                abc_class=rng.choice("ABC"),
            )
            for t in territories
            for n in range(t.pk * 100, t.pk * 100 + RETAILERS_PER_MANAGER)
        ),
        batch_size=5000,
    )
    assignments_sync(on=date(2026, 1, 1))
    OrderLine.objects.bulk_create(
        (
            OrderLine(
                retailer=r,
                brand=rng.choice(brands),
                order_date=MONTH + timedelta(days=w * 7 + rng.randint(0, 6)),
                quantity=rng.randint(1, 20),
                amount=Decimal(100),
                source_order_no=f"O{r.pk}-{w}",
            )
            for r in retailers
            for w in range(4)
        ),
        batch_size=10000,
    )
    SalesTarget.objects.bulk_create(
        SalesTarget(manager=u, month=MONTH, total_boxes=Decimal(20), key_brand_boxes=Decimal(3))
        for u in users
    )
    plans = VisitPlan.objects.bulk_create(
        (
            VisitPlan(
                manager_id=r.territory.manager_id,
                territory=r.territory,
                retailer=r,
                month=MONTH,
                window_start=MONTH,
                window_end=date(2026, 10, 31),
                planned_class="C",
                scheduled_for=MONTH + timedelta(days=rng.randint(0, 30)),
            )
            for r in retailers
        ),
        batch_size=10000,
    )
    Visit.objects.bulk_create(
        (
            Visit(
                manager_id=p.manager_id,
                retailer_id=p.retailer_id,
                territory_id=p.territory_id,
                checked_in_at=datetime.combine(p.scheduled_for, datetime.min.time(), TZ),
                check_in_date=p.scheduled_for,
            )
            for p in plans
            if rng.random() < 0.9
        ),
        batch_size=10000,
    )
    InformationItem.objects.bulk_create(
        (
            InformationItem(
                kind="price",
                content="信息",
                reported_by=u,
                territory_id=u.territory.pk,
                reported_at=datetime(2026, 10, 10, tzinfo=TZ),
            )
            for u in users
            for _ in range(rng.randint(0, 10))
        ),
        batch_size=10000,
    )
    SatisfactionSurvey.objects.bulk_create(
        (
            SatisfactionSurvey(
                retailer=r,
                score=rng.randint(3, 5),
                surveyed_on=date(2026, 10, 15),
                channel="phone",
                recorded_by=supervisor,
            )
            for r in retailers[::10]
        ),
        batch_size=10000,
    )
    Inspection.objects.bulk_create(
        Inspection(
            manager=u,
            inspector=supervisor,
            level=1,
            inspected_on=date(2026, 10, 20),
            month=MONTH,
            item_code="discipline",
            points=Decimal(2),
            reason="抽查",
        )
        for u in users[::5]
    )
    BonusPoint.objects.bulk_create(
        BonusPoint(manager=u, granted_by=supervisor, month=MONTH, points=Decimal(2), reason="线索")
        for u in users[::20]
    )
    return len(retailers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--managers", type=int, default=2000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        started = time.perf_counter()
        retailers = build(args.managers, random.Random(7))
        print(
            f"built {args.managers} managers, {retailers} retailers in "
            f"{time.perf_counter() - started:.1f} s"
        )
        for run in ("first close", "re-close"):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                summary = month_close(month=MONTH)
                seconds = time.perf_counter() - started
            print(
                f"{run}: {summary['managers']} managers in {seconds:.2f} s, {len(queries)} queries"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
