"""Build a benchmark data set set-based: DOMAIN.md's city or province (issue #12).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_city \\
        .venv/bin/python manage.py seed_bench --scale city [--seed 1]

The org tree and the few people above the managers are made with the ordinary services
(a few hundred rows); everything large (managers, territories, retailers, three months of
order lines, the month's plans, visits and shelf lines, information, surveys, inspections)
is one ``INSERT … SELECT … generate_series`` per table, every value a hash of the row
number and ``--seed``, so two runs with the same seed give the same rows. The loaded
tables' secondary indexes and foreign and unique keys are dropped for the load and put
back after it (PostgreSQL's "populating a database" advice): every constraint is checked
once, set-wise, when it is re-created. PostgreSQL only; the database must be empty
(migrated, no people yet). ``ANALYZE`` at the end.

The data month is ``BENCH_MONTH`` (October 2026): orders of August–October, October's
plans and visits; the monthly jobs then run for October (close, 上柜率, pay) and November
(classification on the 1st, plans).
"""

import time
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts import services as accounts_services
from accounts.models import OrgKind, OrgUnit, Role, User

BENCH_MONTH = date(2026, 10, 1)
NEXT_MONTH = date(2026, 11, 1)
ORDER_MONTHS = (date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1))
BENCH_PASSWORD = "bench-pass-2026"  # every seeded person's password (a scratch database)
BRANDS = 60
NEW_BRANDS = 6  # launched in 2026: "new" in October
KEY_BRANDS = 8


@dataclass(frozen=True)
class Scale:
    province: bool  # a province root above the city companies
    managers: tuple  # managers per service department, one entry per city company
    centers: int  # marketing centers per city
    departments: int  # service departments per center
    retailers: int  # retailers per manager
    extra_visits: float  # unplanned visits per retailer and month (besides ~90% of plans)


SCALES = {
    # A test scale: a province with two small cities (2 + 1 managers).
    "tiny": Scale(True, (2, 1), 1, 1, 20, 0.9),
    # DOMAIN.md's city: 200 managers, 50,000 retailers, ~130,000 visits a month.
    "city": Scale(False, (10,), 5, 4, 250, 0.95),
    # DOMAIN.md's province: 15 city companies of different sizes, 1,980 managers,
    # 495,000 retailers, ~1.3 M visits a month (the largest city has 210 managers).
    "province": Scale(True, (14, 12, 11, 10, 10, 9, 9, 8, 8, 8, 7, 7, 7, 6, 6), 5, 3, 250, 0.95),
}

# The tables loaded in bulk: their secondary indexes and foreign/unique keys are rebuilt.
BULK_TABLES = [
    "accounts_user",
    "accounts_territory",
    "retailers_retailer",
    "retailers_retailerassignment",
    "retailers_retailerstatuschange",
    "retailers_orderline",
    "retailers_violation",
    "visits_visitplan",
    "visits_visit",
    "visits_shelfobservation",
    "visits_informationitem",
    "visits_satisfactionsurvey",
    "visits_complaint",
    "visits_workplan",
    "assessment_inspection",
    "assessment_bonuspoint",
]


class Command(BaseCommand):
    help = (
        "Build DOMAIN.md's city or province benchmark data set set-based (PostgreSQL only, "
        "into an empty migrated database), deterministic by --seed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="city")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, scale, seed, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "seed_bench needs PostgreSQL (it loads with INSERT … SELECT generate_series); "
                f"DATABASE_URL names a {connection.vendor} database."
            )
        if User.objects.exists() or OrgUnit.objects.exists():
            raise CommandError(
                "seed_bench loads into an empty database, and this one already has people or "
                "org units: create a fresh one (make bench does) and run migrate first."
            )
        started = time.perf_counter()
        seeder = Seeder(SCALES[scale], seed, self.stdout)
        with transaction.atomic():
            seeder.run()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(
            f"seed_bench --scale {scale} --seed {seed}: {seeder.summary()} "
            f"in {time.perf_counter() - started:.1f} s"
        )


def h(expr: str, salt: int) -> str:
    """A deterministic non-negative pseudo-random int (0 … 2^31−1) of an SQL integer
    expression, the salt and the seed (``%(seed)s`` in the statement)."""
    return f"(hashint8(({expr})::bigint * 1000003 + {salt} + %(seed)s::bigint * 7919) & 2147483647)"


class Seeder:
    def __init__(self, scale: Scale, seed: int, out):
        self.scale, self.seed, self.out = scale, seed, out
        self.counts = {}
        self.step_started = time.perf_counter()

    def sql(self, statement: str, **params):
        with connection.cursor() as cursor:
            cursor.execute(statement, {"seed": self.seed, **params})
            return cursor.rowcount

    def note(self, label: str, rows: int | None = None):
        now = time.perf_counter()
        if rows is not None:
            self.counts[label] = rows
        detail = f"{rows:,} rows" if rows is not None else ""
        self.out.write(f"  {label}: {detail} {now - self.step_started:.1f} s")
        self.step_started = now

    def summary(self) -> str:
        keys = ("managers", "retailers", "order lines", "plans", "visits", "shelf lines")
        return ", ".join(f"{self.counts.get(k, 0):,} {k}" for k in keys)

    def run(self):
        self.sql("SET LOCAL maintenance_work_mem = '256MB'")
        self.sql("SET LOCAL synchronous_commit = off")
        self.org_tree()
        self.note("org tree and staff")
        saved = self.drop_keys()
        self.note("keys dropped")
        self.people()
        self.retailers()
        self.orders()
        self.month_facts()
        self.restore_keys(saved)
        self.note("keys and indexes rebuilt")
        for table in BULK_TABLES:
            self.sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )

    # --- the org tree, reference rows and staff: ordinary services, a few hundred rows ---

    def org_tree(self):
        scale = self.scale
        province = None
        if scale.province:
            province = accounts_services.org_unit_create(
                name="省公司", code="BP", kind=OrgKind.PROVINCE
            )
        password = make_password(BENCH_PASSWORD)
        self.password = password
        departments = []  # (department id, company index, managers)
        staff = []
        for c, per_department in enumerate(scale.managers):
            company = accounts_services.org_unit_create(
                name=f"市公司{c + 1:02d}",
                code=f"B{c + 1:02d}",
                kind=OrgKind.COMPANY,
                parent=province,
            )
            staff += [
                User(
                    employee_no=f"BH{c + 1:02d}",
                    name=f"人力{c + 1}",
                    role=Role.HR,
                    org_unit=company,
                ),
                User(
                    employee_no=f"BA{c + 1:02d}",
                    name=f"考评{c + 1}",
                    role=Role.ASSESSMENT_CENTER,
                    org_unit=company,
                ),
                User(
                    employee_no=f"BL{c + 1:02d}",
                    name=f"领导{c + 1}",
                    role=Role.LEADER,
                    org_unit=company,
                ),
            ]
            for m in range(scale.centers):
                center = accounts_services.org_unit_create(
                    name=f"营销中心{c + 1}-{m + 1}",
                    code=f"B{c + 1:02d}-{m + 1}",
                    kind=OrgKind.MARKETING_CENTER,
                    parent=company,
                )
                staff.append(
                    User(
                        employee_no=f"BC{c + 1:02d}{m + 1}",
                        name=f"中心督察{c + 1}-{m + 1}",
                        role=Role.MARKETING_CENTER_SUPERVISOR,
                        org_unit=center,
                    )
                )
                for d in range(scale.departments):
                    department = accounts_services.org_unit_create(
                        name=f"市场部{c + 1}-{m + 1}-{d + 1}",
                        code=f"B{c + 1:02d}-{m + 1}-{d + 1}",
                        kind=OrgKind.SERVICE_DEPARTMENT,
                        parent=center,
                    )
                    departments.append((department.pk, c, per_department))
                    staff.append(
                        User(
                            employee_no=f"BS{c + 1:02d}{m + 1}{d + 1}",
                            name=f"市场部督察{c + 1}-{m + 1}-{d + 1}",
                            role=Role.SERVICE_DEPT_SUPERVISOR,
                            org_unit=department,
                        )
                    )
        top = province or company
        staff += [
            User(employee_no="BL00", name="领导", role=Role.LEADER, org_unit=top),
            User(employee_no="BADMIN", name="管理员", role=Role.ADMIN, org_unit=top),
        ]
        for user in staff:
            user.password = password
        User.objects.bulk_create(staff)
        # The departments in order, with the managers' numbers they hold (1-based, global).
        self.sql(
            "CREATE TEMP TABLE bench_department (n int, department_id bigint, company_n int, "
            "managers int, first_manager int) ON COMMIT DROP"
        )
        first = 1
        rows = []
        for n, (department_id, company_n, managers) in enumerate(departments, start=1):
            rows.append((n, department_id, company_n, managers, first))
            first += managers
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_department VALUES (%s, %s, %s, %s, %s)", rows)
        self.managers = first - 1
        self.retailer_count = self.managers * scale.retailers

    # --- bulk load: keys off, load, keys back on ---

    def drop_keys(self):
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check the staff rows now
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype "
                "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') "
                "ORDER BY contype DESC, conname",
                [BULK_TABLES],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
                "AND c.contype IN ('p', 'u')) ORDER BY 1",
                [BULK_TABLES],
            )
            indexes = cursor.fetchall()
            for table, name, _definition, _kind in constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {name}")
        return constraints, indexes

    def restore_keys(self, saved):
        constraints, indexes = saved
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)
            # Unique keys before foreign keys ('u' sorts after 'f': reversed).
            for table, name, definition, _kind in sorted(constraints, key=lambda c: c[3] != "u"):
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    # --- the big tables ---

    def people(self):
        rows = self.sql(
            """
            INSERT INTO accounts_user (id, password, is_superuser, employee_no, name, phone, role,
                hire_date, is_active, is_staff, date_joined, org_unit_id, must_change_password)
            SELECT 1000000 + g, %(password)s, false, 'BM' || lpad(g::text, 5, '0'),
                '经理' || g, '', 'customer_manager',
                DATE '2018-01-01' + """
            + h("g", 1)
            + """ %% 2500, true, false, now(), d.department_id, false
            FROM bench_department d,
                 generate_series(d.first_manager, d.first_manager + d.managers - 1) g
            ORDER BY g
            """,
            password=self.password,
        )
        self.note("managers", rows)
        self.sql(
            """
            INSERT INTO accounts_territory (id, code, name, latitude, longitude, is_active,
                department_id, manager_id)
            SELECT g, 'BT' || lpad(g::text, 5, '0'), '片区' || g,
                round((31.5 + (g %% 60) * 0.02)::numeric, 6),
                round((118.0 + (g / 60) * 0.03)::numeric, 6), true, d.department_id, 1000000 + g
            FROM bench_department d,
                 generate_series(d.first_manager, d.first_manager + d.managers - 1) g
            ORDER BY g
            """
        )
        self.note("territories")

    def retailers(self):
        per = self.scale.retailers
        environments = (
            "ARRAY['business_center', 'transport_hub', 'residential', 'residential', "
            "'residential', 'school_hospital', 'urban_fringe', 'rural_town', 'remote_rural']"
        )
        formats = "ARRAY['Z', 'Z', 'Z', 'B', 'B', 'S', 'N', 'Y', 'F', 'Q']"
        rows = self.sql(
            f"""
            INSERT INTO retailers_retailer (id, license_no, shop_name, owner_name, phone, address,
                latitude, longitude, market_type, retail_format, environment, potential, status,
                grade_tier, abc_class, class_pinned, created_at, updated_at, territory_id)
            SELECT r, '32' || lpad(r::text, 10, '0'), '零售户' || r, '店主' || r,
                '139' || lpad(r::text, 8, '0'), '地址' || r || '号',
                round(t.latitude + (({h("r", 2)} %% 2001) - 1000) * 0.00001, 6),
                round(t.longitude + (({h("r", 3)} %% 2001) - 1000) * 0.00001, 6),
                CASE WHEN {h("r", 4)} %% 10 < 6 THEN 'C' ELSE 'X' END,
                ({formats})[1 + {h("r", 5)} %% 10],
                ({environments})[1 + {h("r", 6)} %% 9],
                CASE WHEN {h("r", 7)} %% 5 = 0 THEN NULL ELSE 1 + {h("r", 7)} %% 5 END,
                CASE WHEN {h("r", 8)} %% 100 = 0 THEN 'suspended' ELSE 'active' END,
                1 + {h("r", 9)} %% 30,
                CASE WHEN {h("r", 10)} %% 10 < 2 THEN 'A' WHEN {h("r", 10)} %% 10 < 5 THEN 'B'
                     ELSE 'C' END,
                false, now(), now(), t.id
            FROM accounts_territory t, generate_series((t.id - 1) * {per} + 1, t.id * {per}) r
            ORDER BY r
            """
        )
        self.note("retailers", rows)
        self.sql(
            """
            INSERT INTO retailers_retailerassignment (id, valid_from, valid_to, manager_id,
                retailer_id, territory_id)
            SELECT r.id, DATE '2024-01-01', NULL, t.manager_id, r.id, t.id
            FROM retailers_retailer r JOIN accounts_territory t ON t.id = r.territory_id
            ORDER BY r.id
            """
        )
        # Every retailer active since 2024; the suspended ones since 16 October.
        rows = self.sql(
            """
            INSERT INTO retailers_retailerstatuschange (id, status, effective_from, note,
                created_at, recorded_by_id, retailer_id)
            SELECT r.id, 'active', DATE '2024-01-01', '', now(), NULL, r.id
            FROM retailers_retailer r ORDER BY r.id
            """
        )
        rows += self.sql(
            """
            INSERT INTO retailers_retailerstatuschange (id, status, effective_from, note,
                created_at, recorded_by_id, retailer_id)
            SELECT %(offset)s + r.id, 'suspended', DATE '2026-10-16', '', now(), NULL, r.id
            FROM retailers_retailer r WHERE r.status = 'suspended' ORDER BY r.id
            """,
            offset=self.retailer_count,
        )
        self.note("assignments and status history", rows)
        rows = self.sql(
            f"""
            INSERT INTO retailers_violation (id, occurred_on, severity, description, created_at,
                recorded_by_id, retailer_id)
            SELECT r.id, DATE '2026-01-01' + {h("r.id", 11)} %% 300,
                CASE WHEN {h("r.id", 12)} %% 4 = 0 THEN 'serious' ELSE 'minor' END,
                '违规', now(), NULL, r.id
            FROM retailers_retailer r WHERE {h("r.id", 13)} %% 50 = 0 ORDER BY r.id
            """
        )
        self.note("violations", rows)

    def orders(self):
        self.sql(
            f"""
            INSERT INTO retailers_brand (id, code, name, manufacturer, price_class,
                wholesale_price, launch_date, is_active)
            SELECT b, 'BB' || lpad(b::text, 6, '0'), '品牌' || b, '卷烟厂' || (b %% 7),
                1 + b %% 5, 40 + ({h("b", 20)} %% 400),
                CASE WHEN b <= {NEW_BRANDS} THEN DATE '2026-01-01' + b * 30
                     ELSE DATE '2015-01-01' END, true
            FROM generate_series(1, {BRANDS}) b
            """
        )
        self.sql("SELECT setval(pg_get_serial_sequence('retailers_brand', 'id'), %(n)s)", n=BRANDS)
        self.sql(
            f"""
            INSERT INTO retailers_keybrandmonth (month, brand_id)
            SELECT m, b FROM generate_series(1, {KEY_BRANDS}) b,
                unnest(ARRAY[DATE '2026-08-01', DATE '2026-09-01', DATE '2026-10-01']) m
            """
        )
        total = 0
        for index, month in enumerate(ORDER_MONTHS):
            # 0–7 lines per retailer and month (4 on average); big shops buy more.
            total += self.sql(
                f"""
                INSERT INTO retailers_orderline (order_date, quantity, amount, source_order_no,
                    settled_on_time, brand_id, retailer_id, arrived_at)
                SELECT o.day, o.quantity, o.quantity * b.wholesale_price, o.number, o.settled,
                    o.brand, o.retailer,
                    -- The nightly order import: a line arrives at 08:00 (Beijing) the next
                    -- day, long before its month is published (DOMAIN §10.7).
                    ((o.day + 1) + TIME '08:00') AT TIME ZONE 'Asia/Shanghai'
                FROM (
                    SELECT r.id AS retailer, s,
                        %(month)s::date + {h("r.id * 8 + s", 30 + index)} %% 28 AS day,
                        1 + {h("r.id * 8 + s", 40 + index)} %% (4 + 4 * (r.id %% 7)) AS quantity,
                        1 + ({h("r.id", 50 + index)} + s * 7) %% {BRANDS} AS brand,
                        'BO' || to_char(%(month)s::date, 'YYMM') || '-' || r.id || '-' || s
                            AS number,
                        {h("r.id * 8 + s", 60 + index)} %% 10 <> 0 AS settled
                    FROM retailers_retailer r, generate_series(0, 7) s
                    WHERE s < {h("r.id", 70 + index)} %% 9
                ) o JOIN retailers_brand b ON b.id = o.brand
                ORDER BY o.retailer, o.s
                """,
                month=month,
            )
        self.note("order lines", total)

    def month_facts(self):
        month = BENCH_MONTH
        self.sql(
            """
            INSERT INTO retailers_salestarget (month, total_boxes, key_brand_boxes, manager_id)
            SELECT %(month)s, 20 + (m.id %% 20), 3, m.id
            FROM accounts_user m WHERE m.role = 'customer_manager' ORDER BY m.id
            """,
            month=month,
        )
        self.sql(
            f"""
            INSERT INTO retailers_shelftarget (month, rate, brand_id, org_unit_id, territory_id)
            SELECT %(month)s, 0.6, b, c.id, NULL
            FROM generate_series(1, {NEW_BRANDS}) b,
                accounts_orgunit c WHERE c.kind = 'company'
            """,
            month=month,
        )
        # Plans: A four windows, B two, C one (DOMAIN §3), for the retailers active on the 1st.
        rows = self.sql(
            f"""
            INSERT INTO visits_visitplan (month, window_start, window_end, planned_class,
                scheduled_for, route_position, dropped, created_at, manager_id, retailer_id,
                territory_id)
            SELECT %(month)s, %(month)s::date + w.first - 1, %(month)s::date + w.last - 1,
                r.abc_class,
                %(month)s::date + w.first - 1 + {h("r.id * 4 + w.n", 80)} %% (w.last - w.first + 1),
                {h("r.id * 4 + w.n", 81)} %% 40, false, now(), t.manager_id, r.id, t.id
            FROM retailers_retailer r
            JOIN accounts_territory t ON t.id = r.territory_id
            JOIN (VALUES ('A', 0, 1, 7), ('A', 1, 8, 14), ('A', 2, 15, 21), ('A', 3, 22, 31),
                         ('B', 0, 1, 15), ('B', 1, 16, 31), ('C', 0, 1, 31))
                 AS w (klass, n, first, last) ON w.klass = r.abc_class
            ORDER BY r.id, w.n
            """,
            month=month,
        )
        self.note("plans", rows)
        shanghai = "AT TIME ZONE 'Asia/Shanghai'"
        visit_columns = (
            "client_id, checked_in_at, check_in_date, checked_out_at, latitude, longitude, "
            "accuracy_m, location_status, distance_m, flag_far, flag_short, flag_rapid, "
            "flag_no_location, notes, status, reviewed_at, review_note, received_at, manager_id, "
            "retailer_id, reviewed_by_id, territory_id, plan_id, external_id, source, content_hash"
        )
        # ~90% of the planned visits are made, on their day; 1% of visits are short (flagged).
        rows = self.sql(
            f"""
            INSERT INTO visits_visit ({visit_columns})
            SELECT md5('bench-v' || %(seed)s || '-' || p.id)::uuid, v.at, p.scheduled_for,
                v.at + (CASE WHEN v.short THEN 2 ELSE 5 + {h("p.id", 91)} %% 20 END)
                    * interval '1 minute',
                r.latitude, r.longitude, 15, 'ok', {h("p.id", 92)} %% 120, false, v.short, false,
                false, '', 'valid', NULL, '', v.at + interval '30 minutes', p.manager_id,
                p.retailer_id, NULL, p.territory_id, p.id, '', 'phone', ''
            FROM visits_visitplan p
            JOIN retailers_retailer r ON r.id = p.retailer_id
            CROSS JOIN LATERAL (
                SELECT (p.scheduled_for + time '08:30' + p.route_position * interval '12 minutes')
                    {shanghai} AS at,
                    {h("p.id", 93)} %% 100 = 0 AS short
            ) v
            WHERE p.month = %(month)s AND {h("p.id", 90)} %% 10 <> 0
            ORDER BY p.id
            """,
            month=month,
        )
        extra = round(self.scale.extra_visits * self.retailer_count)
        rows += self.sql(
            f"""
            INSERT INTO visits_visit ({visit_columns})
            SELECT md5('bench-x' || %(seed)s || '-' || x.n)::uuid, x.at, (x.at {shanghai})::date,
                x.at + (8 + x.n %% 15) * interval '1 minute', r.latitude, r.longitude, 20, 'ok',
                x.n %% 90, false, false, false, false, '', 'valid', NULL, '',
                x.at + interval '1 hour', t.manager_id, r.id, NULL, t.id, NULL, '', 'phone', ''
            FROM (
                SELECT n, 1 + {h("n", 94)} %% %(retailers)s AS retailer,
                    ((%(month)s::date + {h("n", 95)} %% 31) + time '14:00'
                        + ({h("n", 96)} %% 240) * interval '1 minute') {shanghai} AS at
                FROM generate_series(1, %(extra)s) n
            ) x
            JOIN retailers_retailer r ON r.id = x.retailer
            JOIN accounts_territory t ON t.id = r.territory_id
            ORDER BY x.n
            """,
            month=month,
            extra=extra,
            retailers=self.retailer_count,
        )
        self.note("visits", rows)
        rows = self.sql(
            f"""
            INSERT INTO visits_shelfobservation (observed_at, on_shelf, retail_price, stock_level,
                brand_id, retailer_id, visit_id)
            SELECT v.checked_in_at, {h("v.id * 4 + j", 101)} %% 100 < 55 + 8 * j,
                round(b.wholesale_price / 10 * 1.15, 2),
                (ARRAY['none', 'low', 'normal', 'normal', 'high'])
                    [1 + {h("v.id * 4 + j", 102)} %% 5],
                b.id, v.retailer_id, v.id
            FROM visits_visit v, generate_series(0, 3) j,
                LATERAL (SELECT 1 + ({h("v.retailer_id", 100)} + j * 13) %% {BRANDS} AS id) pick
            JOIN retailers_brand b ON b.id = pick.id
            ORDER BY v.id, j
            """
        )
        self.note("shelf lines", rows)
        self.small_facts(month)

    def small_facts(self, month):
        shanghai = "AT TIME ZONE 'Asia/Shanghai'"
        kinds = (
            "ARRAY['price', 'brand', 'group', 'occasion', 'counterfeit', 'delivery', "
            "'phone_order', 'inspector', 'suggestion', 'other']"
        )
        self.sql(
            f"""
            INSERT INTO visits_informationitem (kind, content, client_id, reported_at, validity,
                reviewed_at, lead_status, lead_note, reported_by_id, retailer_id, reviewed_by_id,
                territory_id, visit_id)
            SELECT ({kinds})[1 + {h("t.id * 16 + i", 110)} %% 10], '市场信息' || i,
                md5('bench-i' || %(seed)s || '-' || t.id || '-' || i)::uuid,
                ((%(month)s::date + {h("t.id * 16 + i", 111)} %% 31) + time '16:00') {shanghai},
                CASE WHEN {h("t.id * 16 + i", 112)} %% 10 = 0 THEN 'invalid' ELSE 'pending' END,
                NULL, '', '', t.manager_id, NULL, NULL, t.id, NULL
            FROM accounts_territory t, generate_series(0, 13) i
            WHERE i < {h("t.id", 113)} %% 14
            ORDER BY t.id, i
            """,
            month=month,
        )
        self.sql(
            f"""
            INSERT INTO visits_satisfactionsurvey (score, surveyed_on, channel, note, created_at,
                recorded_by_id, retailer_id)
            SELECT 2 + {h("r.id", 121)} %% 4, %(month)s::date + {h("r.id", 122)} %% 28, 'phone', '',
                now(), s.id, r.id
            FROM retailers_retailer r
            JOIN accounts_territory t ON t.id = r.territory_id
            JOIN accounts_user s ON s.org_unit_id = t.department_id
                AND s.role = 'service_dept_supervisor'
            WHERE {h("r.id", 120)} %% 20 = 0
            ORDER BY r.id
            """,
            month=month,
        )
        # A few complaints: opened in the month, most closed in time, some substantiated.
        self.sql(
            f"""
            INSERT INTO visits_complaint (client_id, content, opened_at, respond_by, resolve_by,
                status, first_response_at, resolved_at, closed_at, resolution, substantiated,
                opened_by_id, retailer_id, territory_id, visit_id)
            SELECT md5('bench-c' || %(seed)s || '-' || c.rid)::uuid, '投诉', c.at,
                c.at + interval '24 hours', c.at + interval '72 hours', 'closed',
                c.at + interval '2 hours', c.at + interval '30 hours', c.at + interval '40 hours',
                '已处理', {h("c.rid", 131)} %% 3 = 0, s.id, c.rid, c.tid, NULL
            FROM (
                SELECT r.id AS rid, r.territory_id AS tid, t.department_id,
                    ((%(month)s::date + {h("r.id", 132)} %% 25) + time '10:00') {shanghai} AS at
                FROM retailers_retailer r JOIN accounts_territory t ON t.id = r.territory_id
                WHERE {h("r.id", 130)} %% 500 = 0
            ) c
            JOIN accounts_user s ON s.org_unit_id = c.department_id
                AND s.role = 'service_dept_supervisor'
            ORDER BY c.rid
            """,
            month=month,
        )
        # Work plans: the monthly plan (due the 5th) and the weekly plans (due Fridays).
        self.sql(
            f"""
            INSERT INTO visits_workplan (kind, period_start, due_at, content, submitted_at,
                manager_id)
            SELECT 'monthly', %(month)s, ((%(month)s::date + 4) + time '17:00') {shanghai},
                '月计划', CASE WHEN {h("m.id", 140)} %% 10 = 0 THEN NULL
                    ELSE ((%(month)s::date + 2) + time '10:00') {shanghai} END, m.id
            FROM accounts_user m WHERE m.role = 'customer_manager' ORDER BY m.id
            """,
            month=month,
        )
        self.sql(
            f"""
            INSERT INTO visits_workplan (kind, period_start, due_at, content, submitted_at,
                manager_id)
            SELECT 'weekly', w.monday, ((w.monday - 3) + time '17:00') {shanghai}, '周计划',
                CASE WHEN {h("m.id * 8 + w.n", 141)} %% 12 = 0 THEN NULL
                    ELSE ((w.monday - 4) + time '15:00') {shanghai} END, m.id
            FROM accounts_user m,
                (SELECT n, DATE '2026-10-05' + n * 7 AS monday FROM generate_series(0, 3) n) w
            WHERE m.role = 'customer_manager' ORDER BY m.id, w.n
            """,
        )
        # Level-3 inspections: every manager twice by the department supervisor, some with a
        # deduction; bonus points for a few.
        self.sql(
            f"""
            INSERT INTO assessment_inspection (level, inspected_on, month, adjusts_month,
                item_code, points, reason, photo, withdrawn, created_at, inspector_id, manager_id,
                retailer_id, visit_id)
            SELECT 3, %(month)s::date + 5 + i * 10, %(month)s, NULL,
                (ARRAY['visits', 'info', 'discipline', 'new_shelf'])
                    [1 + {h("m.id * 2 + i", 150)} %% 4],
                1 + {h("m.id * 2 + i", 151)} %% 3, '抽查', '', false, now(), s.id, m.id, NULL, NULL
            FROM accounts_user m
            JOIN accounts_user s ON s.org_unit_id = m.org_unit_id
                AND s.role = 'service_dept_supervisor',
                generate_series(0, 1) i
            WHERE m.role = 'customer_manager'
            ORDER BY m.id, i
            """,
            month=month,
        )
        self.sql(
            f"""
            INSERT INTO assessment_bonuspoint (month, adjusts_month, points, reason, created_at,
                granted_by_id, manager_id)
            SELECT %(month)s, NULL, 1 + {h("m.id", 161)} %% 3, '假烟线索', now(), s.id, m.id
            FROM accounts_user m
            JOIN accounts_user s ON s.org_unit_id = m.org_unit_id
                AND s.role = 'service_dept_supervisor'
            WHERE m.role = 'customer_manager' AND {h("m.id", 160)} %% 10 = 0
            ORDER BY m.id
            """,
            month=month,
        )
        self.note("information, surveys, complaints, work plans, inspections, bonus")
