"""Benchmark of the 上柜率 rollup refresh (not a test) at province scale on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python benchmarks/shelf_rates.py --retailers 500000 --visits 1300000

It creates a throwaway database next to the one DATABASE_URL names (``test_<name>``, with
every migration applied), fills one month with ``INSERT … SELECT generate_series``:
``--territories`` territories (10 per department, 10 departments per center), their
managers, 34 brands (4 of them new), ``--retailers`` retailers (about 3% not active, classes
A/B/C), ``--visits`` visits (2% invalid) with ``--observations`` shelf observations each and
``--order-lines`` order lines; then times ``shelf_rates_refresh`` twice (the second run
rewrites every row), one live ``shelf_rate_counts`` query and ``territory_new_brand_rates``,
prints seconds and rows, and drops the database.
"""

import argparse
import os
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghijklmnopqrstu")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from accounts import services as accounts_services  # noqa: E402
from accounts.models import OrgKind, Role, Territory, User  # noqa: E402
from retailers.models import Brand, OrderLine, Retailer  # noqa: E402
from visits.models import ShelfObservation, ShelfRateRollup, Visit  # noqa: E402
from visits.selectors.rates import shelf_rate_counts, territory_new_brand_rates  # noqa: E402
from visits.services.rates import shelf_rates_refresh  # noqa: E402

MONTH = date(2026, 10, 1)
DAYS = 31
BRANDS = 34
NEW_BRANDS = 4
TERRITORIES_PER_DEPARTMENT = 10
DEPARTMENTS_PER_CENTER = 10


def table(model):
    return connection.ops.quote_name(model._meta.db_table)


def step(label, sql, params=()):
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count = cursor.rowcount
    print(f"  {label}: {count:,} rows in {time.perf_counter() - start:.1f} s", flush=True)


def seed_org(territories: int):
    company = accounts_services.org_unit_create(name="基准省公司", code="P0", kind=OrgKind.COMPANY)
    departments = []
    per_center = TERRITORIES_PER_DEPARTMENT * DEPARTMENTS_PER_CENTER
    for c in range((territories + per_center - 1) // per_center):
        center = accounts_services.org_unit_create(
            name=f"基准营销部{c}", code=f"P0-{c:02d}", kind=OrgKind.MARKETING_CENTER, parent=company
        )
        for d in range(DEPARTMENTS_PER_CENTER):
            departments.append(
                accounts_services.org_unit_create(
                    name=f"基准客户服务部{c}-{d}",
                    code=f"P0-{c:02d}-{d:02d}",
                    kind=OrgKind.SERVICE_DEPARTMENT,
                    parent=center,
                )
            )
    managers = User.objects.bulk_create(
        User(
            employee_no=f"B{t:06d}",
            name=f"经理{t}",
            role=Role.CUSTOMER_MANAGER,
            org_unit=departments[t // TERRITORIES_PER_DEPARTMENT],
            password="!",
        )
        for t in range(territories)
    )
    Territory.objects.bulk_create(
        Territory(
            code=f"P0-T{t:05d}",
            name=f"基准片区{t}",
            department=departments[t // TERRITORIES_PER_DEPARTMENT],
            manager=managers[t],
        )
        for t in range(territories)
    )
    Brand.objects.bulk_create(
        Brand(
            code=f"69{b:011d}",
            name=f"基准牌{b}",
            manufacturer="基准卷烟厂",
            price_class=b % 5 + 1,
            wholesale_price=Decimal(40 + b),
            launch_date=date(2026, 9 - b % 8, 1) if b >= BRANDS - NEW_BRANDS else None,
        )
        for b in range(BRANDS)
    )


def seed_bulk(retailers: int, visits: int, observations: int, order_lines: int):
    numbered_territories = (
        f"(SELECT id, manager_id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS idx "
        f"FROM {table(Territory)})"
    )
    numbered_brands = f"(SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS idx FROM {table(Brand)})"
    step(
        "retailers",
        f"""
INSERT INTO {table(Retailer)} (
    license_no, shop_name, owner_name, phone, address, market_type, retail_format, environment,
    status, territory_id, abc_class, class_pinned, created_at, updated_at
)
SELECT LPAD(g::text, 12, '0'), '基准商店' || g, '基准', '', '基准路', 'C', 'Z', 'residential',
       CASE WHEN MOD(g, 41) = 0 THEN 'suspended' WHEN MOD(g, 67) = 0 THEN 'cancelled'
            ELSE 'active' END,
       t.id, CASE WHEN MOD(g, 10) < 2 THEN 'A' WHEN MOD(g, 10) < 5 THEN 'B' ELSE 'C' END, false,
       now(), now()
FROM generate_series(0::bigint, %s::bigint - 1) g
JOIN {numbered_territories} t ON t.idx = MOD(g, (SELECT COUNT(*) FROM {table(Territory)}))
""",
        [retailers],
    )
    step(
        "visits",
        f"""
INSERT INTO {table(Visit)} (
    client_id, manager_id, retailer_id, territory_id, checked_in_at, check_in_date,
    location_status, flag_far, flag_short, flag_rapid, flag_no_location, notes, status,
    review_note, received_at
)
SELECT gen_random_uuid(), t.manager_id, r.id, r.territory_id,
       %s + MOD(g, {DAYS})::int
           + make_interval(hours => 8 + MOD(g, 10)::int, mins => MOD(g, 60)::int),
       %s + MOD(g, {DAYS})::int, 'ok', false, false, false, false, '',
       CASE WHEN MOD(g, 50) = 0 THEN 'invalid' ELSE 'valid' END, '', now()
FROM generate_series(0::bigint, %s::bigint - 1) g
JOIN {table(Retailer)} r ON r.id = (SELECT MIN(id) FROM {table(Retailer)}) + MOD(g * 7919, %s)
JOIN {table(Territory)} t ON t.id = r.territory_id
""",
        [MONTH, MONTH, visits, retailers],
    )
    step(
        "shelf observations",
        f"""
INSERT INTO {table(ShelfObservation)} (
    visit_id, retailer_id, observed_at, brand_id, on_shelf, stock_level
)
SELECT v.id, v.retailer_id, v.checked_in_at + make_interval(mins => k), b.id,
       MOD(v.id * 31 + k * 17, 10) < 6, ''
FROM {table(Visit)} v
CROSS JOIN generate_series(0, %s - 1) k
JOIN {numbered_brands} b ON b.idx = MOD(v.id + 8 * k, {BRANDS})
""",
        [observations],
    )
    step(
        "order lines",
        f"""
INSERT INTO {table(OrderLine)} (
    retailer_id, brand_id, order_date, quantity, amount, source_order_no, settled_on_time
)
SELECT (SELECT MIN(id) FROM {table(Retailer)}) + MOD(g * 104729, %s), b.id,
       %s + MOD(g, {DAYS})::int, 1 + MOD(g, 20), (1 + MOD(g, 20)) * 100, 'DD' || g, true
FROM generate_series(0::bigint, %s::bigint - 1) g
JOIN {numbered_brands} b ON b.idx = MOD(g * 13, {BRANDS})
""",
        [retailers, MONTH, order_lines],
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(label, function):
    start = time.perf_counter()
    result = function()
    elapsed = time.perf_counter() - start
    print(f"{label}: {elapsed:.1f} s", flush=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territories", type=int, default=2_000)
    parser.add_argument("--retailers", type=int, default=500_000)
    parser.add_argument("--visits", type=int, default=1_300_000)
    parser.add_argument("--observations", type=int, default=4, help="per visit, at most 4")
    parser.add_argument("--order-lines", type=int, default=2_000_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database.")
    if not 1 <= args.observations <= 4:
        raise SystemExit("--observations is 1 to 4 (distinct brands per visit).")

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        print(
            f"seeding {args.territories:,} territories, {args.retailers:,} retailers, "
            f"{args.visits:,} visits × {args.observations} observations, "
            f"{args.order_lines:,} order lines; {os.cpu_count()} CPUs",
            flush=True,
        )
        start = time.perf_counter()
        seed_org(args.territories)
        seed_bulk(args.retailers, args.visits, args.observations, args.order_lines)
        print(f"seeded in {time.perf_counter() - start:.1f} s", flush=True)

        for run in ("first refresh", "second refresh (rewrites every row)"):
            result = timed(run, lambda: shelf_rates_refresh(month=MONTH))
            print(f"  {result}", flush=True)
        print(
            f"rollup rows: {ShelfRateRollup.objects.count():,} "
            f"({ShelfRateRollup.objects.filter(level='territory').count():,} territory rows)"
        )
        rows = timed(
            "live shelf_rate_counts (territory level, all classes)",
            lambda: shelf_rate_counts(month=MONTH, level="territory"),
        )
        print(f"  {len(rows):,} rows")
        rates = timed("territory_new_brand_rates", lambda: territory_new_brand_rates(month=MONTH))
        print(f"  {len(rates):,} territories, {sum(len(v) for v in rates.values()):,} entries")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
