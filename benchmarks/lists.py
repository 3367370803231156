"""Benchmark of the list pages and API lists at scale (not a test), on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python benchmarks/lists.py --visits 200000 --retailers 50000

It creates a throwaway database next to the one DATABASE_URL names (``test_<name>``, with
every migration applied) and fills it with ``INSERT … SELECT generate_series``: one city
company of ``--territories`` territories (10 per department, 10 departments per center),
their managers, ``--retailers`` retailers, ``--visits`` visits spread over the last
``--days`` days (about 3% flagged), ``--inspections`` inspections and an appeal for every
tenth of them; then ANALYZE. It then asks every list as a company leader (the widest scope,
the slowest case) and as a department supervisor, through the Django test client with a
logged-in session, ``--runs`` times each, and prints the best and median time, the number
of queries, the slowest query and the load average beside them. Last, the same visit
list without the list indexes and the exact COUNT(*) the capped paginator avoids, for
comparison. The database is dropped at the end.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghijklmnopqrstu")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("PASSWORD_CHANGE_REQUIRED", "0")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import services as accounts_services  # noqa: E402
from accounts.models import OrgKind, Role, Territory, User  # noqa: E402
from assessment.models import Appeal, Inspection  # noqa: E402
from retailers.models import Retailer  # noqa: E402
from visits.models import Visit  # noqa: E402

TERRITORIES_PER_DEPARTMENT = 10
DEPARTMENTS_PER_CENTER = 10
LIST_INDEXES = ["visit_checked_in", "visit_territory_time"]
TABLES = {
    "visits": "visits_visit",
    "retailers": "retailers_retailer",
    "inspections": "assessment_inspection",
    "appeals": "assessment_appeal",
}


def table(model):
    return connection.ops.quote_name(model._meta.db_table)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def step(label, sql, params=()):
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count = cursor.rowcount
    print(f"  {label}: {count:,} rows in {time.perf_counter() - start:.1f} s", flush=True)


def seed_org(territories: int):
    company = accounts_services.org_unit_create(name="基准市公司", code="L0", kind=OrgKind.COMPANY)
    departments = []
    per_center = TERRITORIES_PER_DEPARTMENT * DEPARTMENTS_PER_CENTER
    for c in range((territories + per_center - 1) // per_center):
        center = accounts_services.org_unit_create(
            name=f"基准营销部{c}", code=f"L0-{c:02d}", kind=OrgKind.MARKETING_CENTER, parent=company
        )
        for d in range(DEPARTMENTS_PER_CENTER):
            departments.append(
                accounts_services.org_unit_create(
                    name=f"基准客户服务部{c}-{d}",
                    code=f"L0-{c:02d}-{d:02d}",
                    kind=OrgKind.SERVICE_DEPARTMENT,
                    parent=center,
                )
            )
    managers = User.objects.bulk_create(
        User(
            employee_no=f"L{t:06d}",
            name=f"经理{t}",
            role=Role.CUSTOMER_MANAGER,
            org_unit=departments[t // TERRITORIES_PER_DEPARTMENT],
            password="!",
        )
        for t in range(territories)
    )
    Territory.objects.bulk_create(
        Territory(
            code=f"L0-T{t:05d}",
            name=f"基准片区{t}",
            department=departments[t // TERRITORIES_PER_DEPARTMENT],
            manager=managers[t],
        )
        for t in range(territories)
    )
    leader = User.objects.create(
        employee_no="L400001", name="领导", role=Role.LEADER, org_unit=company, password="!"
    )
    supervisor = User.objects.create(
        employee_no="L500001",
        name="督察",
        role=Role.SERVICE_DEPT_SUPERVISOR,
        org_unit=departments[0],
        password="!",
    )
    center = User.objects.create(
        employee_no="L800001",
        name="考评督察",
        role=Role.ASSESSMENT_CENTER,
        org_unit=company,
        password="!",
    )
    return leader, supervisor, center


def seed_bulk(*, retailers: int, visits: int, days: int, inspections: int, inspector: User):
    numbered_territories = (
        f"(SELECT id, manager_id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS idx "
        f"FROM {table(Territory)})"
    )
    step(
        "retailers",
        f"""
INSERT INTO {table(Retailer)} (
    license_no, shop_name, owner_name, phone, address, market_type, retail_format, environment,
    status, territory_id, abc_class, class_pinned, created_at, updated_at
)
SELECT LPAD(g::text, 12, '0'), '基准商店' || g, '基准', '', '基准路', 'C', 'Z', 'residential',
       'active', t.id, CASE WHEN MOD(g, 10) < 2 THEN 'A' WHEN MOD(g, 10) < 5 THEN 'B' ELSE 'C' END,
       false, now(), now()
FROM generate_series(0::bigint, %s::bigint - 1) g
JOIN {numbered_territories} t ON t.idx = MOD(g, (SELECT COUNT(*) FROM {table(Territory)}))
""",
        [retailers],
    )
    now = timezone.now().replace(microsecond=0)
    step(
        "visits",
        f"""
INSERT INTO {table(Visit)} (
    client_id, content_hash, manager_id, retailer_id, territory_id, checked_in_at,
    check_in_date, checked_out_at, location_status, flag_far, flag_short, flag_rapid,
    flag_no_location, notes, status, review_note, received_at, source, external_id
)
SELECT gen_random_uuid(), '', t.manager_id, r.id, r.territory_id, at,
       (at AT TIME ZONE 'Asia/Shanghai')::date, at + interval '10 minutes', 'ok',
       MOD(g, 37) = 0, false, false, false, '',
       CASE WHEN MOD(g, 50) = 0 THEN 'invalid' ELSE 'valid' END, '', at, 'phone', ''
FROM generate_series(0::bigint, %s::bigint - 1) g
CROSS JOIN LATERAL (SELECT %s - make_interval(secs => (g * %s * 86400.0 / %s)::int) AS at) w
JOIN {table(Retailer)} r ON r.id = (SELECT MIN(id) FROM {table(Retailer)}) + MOD(g * 7919, %s)
JOIN {table(Territory)} t ON t.id = r.territory_id
""",
        [visits, now, days, visits, retailers],
    )
    step(
        "inspections",
        f"""
INSERT INTO {table(Inspection)} (
    manager_id, inspector_id, level, inspected_on, month, item_code, points, reason,
    photo, withdrawn, created_at
)
SELECT t.manager_id, %s, 3, day, date_trunc('month', day)::date, 'visits', 1, '基准扣分',
       '', false, now()
FROM generate_series(0::bigint, %s::bigint - 1) g
CROSS JOIN LATERAL (SELECT (%s::date - MOD(g, %s)::int) AS day) d
JOIN {numbered_territories} t ON t.idx = MOD(g, (SELECT COUNT(*) FROM {table(Territory)}))
""",
        [inspector.pk, inspections, now.date(), days],
    )
    step(
        "appeals",
        f"""
INSERT INTO {table(Appeal)} (
    inspection_id, manager_id, month, level, marked_by_id, invalid_note,
    reason, status, filed_at, decision_reason
)
SELECT id, manager_id, month, level, inspector_id, '',
       '基准申诉', 'pending', now() - make_interval(mins => MOD(id, 50000)::int), ''
FROM {table(Inspection)} WHERE MOD(id, 10) = 0
""",
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(client: Client, label: str, url: str, runs: int, table_name: str = ""):
    times, counts, slowest = [], [], None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - start) * 1000
        if response.status_code == 404:
            print(f"{label:<44} (not for this role)", flush=True)
            return None
        assert response.status_code == 200, (url, response.status_code)
        times.append(elapsed)
        counts.append(len(queries))
        worst = max(queries.captured_queries, key=lambda q: float(q["time"]))
        slowest = (float(worst["time"]) * 1000, worst["sql"])
        # The page's own rows: the query that reads the list's table with a LIMIT.
        page_sql = next(
            (
                q["sql"]
                for q in queries.captured_queries
                if f'FROM "{table_name}"' in q["sql"]
                and " LIMIT " in q["sql"]
                and "COUNT(" not in q["sql"]
            ),
            worst["sql"],
        )
    print(
        f"{label:<44} {min(times):7.0f} {statistics.median(times):7.0f} ms "
        f"{counts[-1]:3d} q  slowest {slowest[0]:6.0f} ms  {load()}",
        flush=True,
    )
    return page_sql


def explain(sql: str):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF, TIMING OFF) " + sql)
        for (line,) in cursor.fetchall()[:12]:
            print("    " + line)


def lists(users, runs: int):
    today = timezone.localdate()
    old = today - timedelta(days=365)
    pages = [
        ("visits page (default 31 days)", "/visits/"),
        ("visits page (a year: capped count)", f"/visits/?date_from={old}"),
        ("visits page, flagged queue", "/visits/?flagged=true"),
        ("visits page, page 100", "/visits/?page=100"),
        ("visits API (default 31 days)", "/api/v1/visits/"),
        ("visits API (a year)", f"/api/v1/visits/?date_from={old}"),
        ("retailers page", "/retailers/"),
        ("retailers API", "/api/v1/retailers/"),
        ("inspections page", "/assessment/inspections/"),
        ("inspections API", "/api/v1/assessment/inspections/"),
        ("appeals page", "/assessment/appeals/"),
        ("appeals API", "/api/v1/assessment/appeals/"),
    ]
    print(f"{'list':<44} {'best':>7} {'median':>7}", flush=True)
    plans = {}
    for who, user in users:
        client = Client()
        client.force_login(user)
        client.get("/visits/")  # warm up: templates, translations, connection
        for label, url in pages:
            if who != "leader" and "year" in label:
                continue
            sql = measure(client, f"{who}: {label}", url, runs, TABLES[url.split("/")[-2]])
            if sql:
                plans.setdefault(label, sql)
    return plans


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territories", type=int, default=200)
    parser.add_argument("--retailers", type=int, default=50_000)
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=90, help="visits spread over these days")
    parser.add_argument("--inspections", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database.")

    call_command("collectstatic", interactive=False, verbosity=0)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        print(
            f"seeding {args.territories:,} territories, {args.retailers:,} retailers, "
            f"{args.visits:,} visits over {args.days} days, {args.inspections:,} inspections; "
            f"{os.cpu_count()} CPUs, {load()}",
            flush=True,
        )
        start = time.perf_counter()
        leader, supervisor, center = seed_org(args.territories)
        seed_bulk(
            retailers=args.retailers,
            visits=args.visits,
            days=args.days,
            inspections=args.inspections,
            inspector=center,
        )
        print(f"seeded in {time.perf_counter() - start:.1f} s", flush=True)
        users = [("leader", leader), ("dept supervisor", supervisor), ("assessment", center)]
        plans = lists(users, args.runs)
        for label in ("visits page (default 31 days)", "retailers page", "inspections page"):
            print(f"\nplan of the first user's {label}:")
            explain(plans[label])

        print("\nfor comparison:")
        visible = Visit.objects.visible_to(leader)
        start = time.perf_counter()
        total = visible.count()
        print(
            f"  exact COUNT(*) of the leader's visits ({total:,}): "
            f"{(time.perf_counter() - start) * 1000:.0f} ms  {load()}"
        )
        with connection.cursor() as cursor:
            for name in LIST_INDEXES:
                cursor.execute(f"DROP INDEX {name}")
        client = Client()
        client.force_login(leader)
        sql = measure(
            client, "leader: visits page without the list indexes", "/visits/", 1, "visits_visit"
        )
        explain(sql)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
