"""The benchmark harness of issue #12 (not a test): ``make bench SCALE=city|province``.

    .venv/bin/python benchmarks/bench.py --scale city [--keep] [--reuse] [--requests 200]

1. (Re)creates the PostgreSQL database ``bench_<scale>`` next to the one ``DATABASE_URL`` names
   (default ``postgres://postgres@127.0.0.1:5432/``), migrates it and seeds it with
   ``manage.py seed_bench`` (timed). ``--reuse`` keeps an already seeded database.
2. Runs every monthly job in its own process (so the peak resident memory is the job's),
   counting its queries: classification and plan generation of November (every city), the
   上柜率 refresh of October, the month close of October for every city in sequence and for
   the largest city alone, then review and publication (untimed), the pay run and the bonus
   sheet of every city. Each job is followed by a digest of the rows it wrote (md5 of the
   key columns, ordered) so runs on the same seed can be compared.
3. Runs the plain-SQL floor where one exists: the same figures in one SQL statement
   (the classification input aggregate and ranks; the close's credited sales; the
   territory × brand shelf counts).
4. Runs the page benchmark: list pages for a leader and visit POSTs for a manager through
   the Django test client (in process; p50/p95 server time and queries per request).
5. Runs December's classification and plans split into parts (each city's ranking, each
   marketing center's scoring, each center's plans) on a real Celery worker with two
   processes through Redis (``BENCH_REDIS_URL``, default db 14 of 127.0.0.1:6379; its own
   queue), as the beat does: wall time from queuing to the last part done.
6. Prints ONE table with the load average beside each figure, and the budgets of issue #12
   (province figures; a city run shows the same budgets for reference).

Only public service functions are called, so the harness keeps working when their internals
change. A job is run as ``bench.py --job NAME --db DB`` (a child process printing one JSON
line).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BENCH_MONTH = "2026-10-01"
NEXT_MONTH = "2026-11-01"

# Budgets of issue #12 (province, 2 cores): seconds, and the floor ratio where one is set.
BUDGETS = {
    "seed": 600,
    "classification": 60,
    "plans": 60,
    "shelf_rates": 30,
    "close_all": 30,
    "close_largest": 30,
    "pay": 10,
}
FLOOR_RATIO_BUDGET = {"classification": 2.0}
RSS_BUDGET_MB = 500
POST_P95_BUDGET_MS = 30


def base_url() -> str:
    return os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def database_url(name: str) -> str:
    parts = urlsplit(base_url())
    return urlunsplit(parts._replace(path=f"/{name}"))


def child_env(db: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(db),
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=env.get(
            "SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghijklmnopqrstu"
        ),
        DEBUG="0",
        LOG_LEVEL="WARNING",
        PASSWORD_CHANGE_REQUIRED="0",
        REDIS_URL="",
        CACHE_URL="",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
    )
    return env


def load() -> str:
    return "{:.1f}/{:.1f}".format(*os.getloadavg()[:2])


# --- the parent: database, seed, jobs, table ---


def admin_connection():
    import psycopg2

    parts = urlsplit(base_url())
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    return connection


def admin(*statements):
    connection = admin_connection()
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


def recreate(db: str):
    admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f'CREATE DATABASE "{db}"')


def drop(db: str):
    admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def manage(db: str, *args) -> float:
    started = time.perf_counter()
    subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args], env=child_env(db), cwd=ROOT, check=True
    )
    return time.perf_counter() - started


def run_job(db: str, job: str, requests: int) -> dict:
    started_load = load()
    done = subprocess.run(
        [PYTHON, __file__, "--job", job, "--db", db, "--requests", str(requests)],
        env=child_env(db),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("[{")]
    if done.returncode != 0 or not lines:
        sys.stderr.write(done.stderr[-3000:])
        return {"job": job, "error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    results = json.loads(lines[-1])
    for row in results:
        row["load"] = f"{started_load} → {load()}"
    return results


def fmt_s(seconds):
    return "—" if seconds is None else f"{seconds:.2f}"


def verdict(name, row):
    budget = BUDGETS.get(name)
    parts = []
    if budget is not None:
        parts.append(f"≤ {budget:g} s " + ("met" if row["seconds"] <= budget else "MISSED"))
    ratio_budget = FLOOR_RATIO_BUDGET.get(name)
    if ratio_budget is not None and row.get("ratio") is not None:
        ok = row["ratio"] <= ratio_budget
        parts.append(f"≤ {ratio_budget:g}× floor " + ("met" if ok else "MISSED"))
    if row.get("rss_mb") is not None and name in BUDGETS:
        parts.append(
            f"≤ {RSS_BUDGET_MB} MB " + ("met" if row["rss_mb"] <= RSS_BUDGET_MB else "MISSED")
        )
    if row.get("p95_ms") is not None and name == "visit_post":
        ok = row["p95_ms"] <= POST_P95_BUDGET_MS
        parts.append(f"p95 ≤ {POST_P95_BUDGET_MS} ms " + ("met" if ok else "MISSED"))
    return "; ".join(parts)


def print_table(rows, header):
    print()
    print(header)
    columns = [
        "job",
        "time s",
        "queries",
        "peak MB",
        "floor s",
        "× floor",
        "p50/p95 ms",
        "load 1/5 min",
        "budget",
    ]
    table = []
    for row in rows:
        if "error" in row:
            table.append([row["job"], "ERROR", "", "", "", "", "", "", row["error"][:80]])
            continue
        table.append(
            [
                row["job"],
                fmt_s(row.get("seconds")),
                str(row.get("queries", "")),
                "" if row.get("rss_mb") is None else f"{row['rss_mb']:.0f}",
                fmt_s(row.get("floor_seconds")),
                "" if row.get("ratio") is None else f"{row['ratio']:.2f}",
                "" if row.get("p50_ms") is None else f"{row['p50_ms']:.0f}/{row['p95_ms']:.0f}",
                row.get("load", ""),
                verdict(row["job"].split(" ")[0], row),
            ]
        )
    widths = [max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(columns)]
    line = " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    print(line)
    print("-|-".join("-" * w for w in widths))
    for r in table:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    for row in rows:
        if row.get("note"):
            print(f"{row['job']}: {row['note']}")
    digests = [(row["job"], row["digest"]) for row in rows if row.get("digest")]
    if digests:
        print()
        print("digests (md5 of the rows each job wrote, ordered):")
        for job, digest in digests:
            print(f"  {job}: {digest}")


JOBS = [
    "classification",
    "plans",
    "shelf_rates",
    "close_all",
    "close_largest",
    "publish",
    "pay",
    "pages",
    "split",
]


def parent(args):
    db = args.db or f"bench_{args.scale}"
    rows = []
    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    if not args.reuse:
        print(f"creating {db} and migrating …", flush=True)
        recreate(db)
        manage(db, "migrate", "--noinput", "-v0")
        manage(db, "collectstatic", "--noinput", "-v0")
        print(f"seeding {db} (--scale {args.scale} --seed {args.seed}) …", flush=True)
        started_load = load()
        seconds = manage(db, "seed_bench", "--scale", args.scale, "--seed", str(args.seed))
        rows.append({"job": "seed", "seconds": seconds, "load": f"{started_load} → {load()}"})
    jobs = args.only.split(",") if args.only else JOBS
    for job in jobs:
        print(f"running {job} …", flush=True)
        result = run_job(db, job, args.requests)
        rows += result if isinstance(result, list) else [result]
    uptime_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    header = (
        f"make bench SCALE={args.scale} (seed {args.seed}) on {db}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs\n"
        f"uptime before: {uptime_before}\nuptime after:  {uptime_after}"
    )
    print_table([r for r in rows if r.get("job") != "publish" or "error" in r], header)
    if not args.keep:
        drop(db)


# --- the child: one job in this process ---


def child(args):  # one branch per job, each short
    sys.path.insert(0, str(ROOT))
    os.environ.update({k: v for k, v in child_env(args.db).items() if k not in os.environ})
    if args.job == "split":
        # Real workers through Redis, on a queue of this run's own.
        os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
        os.environ["CELERY_QUEUE"] = f"bench-split-{os.getpid()}"
    import django

    django.setup()
    from datetime import date, datetime, timedelta

    from django.db import connection

    counter = {"queries": 0}

    def count(execute, sql, params, many, context):
        counter["queries"] += 1
        return execute(sql, params, many, context)

    def run_floor(floor):
        statements, params = floor
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for statement in statements.split(";"):
                if statement.strip():
                    cursor.execute(statement, params)
        return time.perf_counter() - started

    def measure(name, function, floor=None, digest=None):
        floor_times = [run_floor(floor)] if floor is not None else []
        counter["queries"] = 0
        with connection.execute_wrapper(count):
            started = time.perf_counter()
            function()
            seconds = time.perf_counter() - started
        row = {"job": name, "seconds": seconds, "queries": counter["queries"]}
        if floor is not None:
            # Run after the job too (the same warm cache); the faster of the two counts.
            floor_times.append(run_floor(floor))
            row["floor_seconds"] = min(floor_times)
            row["ratio"] = seconds / row["floor_seconds"] if row["floor_seconds"] else None
        if digest is not None:
            with connection.cursor() as cursor:
                cursor.execute(digest[0], digest[1])
                row["digest"] = cursor.fetchone()[0]
        row["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return row

    from accounts.models import OrgUnit, Role, User

    bench_month = date.fromisoformat(BENCH_MONTH)
    next_month = date.fromisoformat(NEXT_MONTH)
    companies = list(OrgUnit.objects.companies())
    cities = f"{len(companies)} {'city' if len(companies) == 1 else 'cities'}"
    job = args.job
    results = []
    if job == "classification":
        from django.db import transaction

        from retailers.services import classification_run

        # The floor with the job's writes, before the job and rolled back (it leaves dead
        # rows behind, which can only slow the job down).
        with transaction.atomic():
            write_floor = run_floor((CLASSIFICATION_WRITE_FLOOR, {"first": next_month}))
            transaction.set_rollback(True)
        results.append(
            measure(
                "classification (every city)",
                lambda: classification_run(month=next_month),
                floor=(CLASSIFICATION_FLOOR, {"first": next_month}),
                digest=(CLASSIFICATION_DIGEST, [next_month]),
            )
        )
        # The floor computes the same figures: check that it agrees with the job's records.
        with connection.cursor() as cursor:
            cursor.execute(CLASSIFICATION_FLOOR.split(";")[0], {"first": next_month})
            cursor.execute(
                "SELECT count(*), count(*) FILTER (WHERE f.class = c.final_class "
                "AND f.total = c.total_score) FROM bench_classification_floor f "
                "JOIN retailers_classificationrecord c ON c.retailer_id = f.id AND c.month = %s",
                [next_month],
            )
            total, same = cursor.fetchone()
        row = results[-1]
        row["note"] = (
            f"the floor gives the same class and score for {same:,} of {total:,}; the floor "
            f"with the same writes (records, classes, key checks; rolled back) takes "
            f"{write_floor:.2f} s, and the job {row['seconds'] / write_floor:.2f}× that"
        )
    elif job == "plans":
        from visits.services.plans import plans_generate

        results.append(
            measure(
                "plans (every city)",
                lambda: plans_generate(month=next_month, today=next_month),
                digest=(PLANS_DIGEST, [next_month]),
            )
        )
    elif job == "shelf_rates":
        from visits.services.rates import shelf_rates_refresh

        results.append(
            measure(
                "shelf_rates (上柜率 refresh)",
                lambda: shelf_rates_refresh(month=bench_month),
                floor=(SHELF_FLOOR, {"first": bench_month}),
                digest=(
                    "SELECT md5(string_agg(concat_ws(':', level, scope_id, brand_id, abc_class, "
                    "active_retailers, observed_on_shelf, ordered), ',' ORDER BY level, scope_id, "
                    "brand_id, abc_class)) FROM visits_shelfraterollup WHERE month = %s",
                    [bench_month],
                ),
            )
        )
    elif job in ("close_all", "close_largest"):
        from assessment.services import month_close

        digest = (
            "SELECT md5(string_agg(s.manager_id || ':' || s.total, ',' ORDER BY s.manager_id)) "
            "FROM assessment_managerscore s JOIN assessment_assessmentmonth m "
            "ON m.id = s.assessment_id WHERE m.month = %s",
            [bench_month],
        )
        if job == "close_all":

            def close_all():
                for company in companies:
                    month_close(month=bench_month, company=company)

            results.append(
                measure(
                    f"close_all ({cities} in sequence)",
                    close_all,
                    floor=(CLOSE_FLOOR, {"first": bench_month}),
                    digest=digest,
                )
            )
        else:
            largest = max(
                companies,
                key=lambda c: (
                    User.objects.filter(role=Role.CUSTOMER_MANAGER, org_unit__company=c).count(),
                    -c.pk,
                ),
            )
            results.append(
                measure(
                    f"close_largest ({largest.code})",
                    lambda: month_close(month=bench_month, company=largest),
                    digest=digest,
                )
            )
    elif job == "publish":
        from django.utils import timezone

        from assessment.models import AssessmentMonth, MonthState
        from assessment.services import month_publish, month_start_review

        opened = timezone.make_aware(datetime(2026, 11, 3, 9, 0))

        def publish():
            for company in companies:
                state = AssessmentMonth.objects.get(month=bench_month, company=company).state
                if state == MonthState.PUBLISHED:
                    continue  # a kept database, published by an earlier run
                month_start_review(month=bench_month, company=company, now=opened)
                month_publish(month=bench_month, company=company, now=opened + timedelta(days=6))

        results.append(measure("publish", publish))
    elif job == "pay":
        import tempfile

        from reports.services.exports import bonus_sheet_write
        from reports.services.pay import pay_run_prepare

        out = Path(tempfile.mkdtemp(prefix="bench-sheets-"))

        def pay():
            for company in companies:
                hr = User.objects.get(role=Role.HR, org_unit=company)
                run = pay_run_prepare(month=bench_month, user=hr, company=company)
                bonus_sheet_write(run, out / f"{company.code}.xlsx", file_format="xlsx")

        results.append(
            measure(
                f"pay (run + bonus sheet, {cities})",
                pay,
                digest=(
                    "SELECT md5(string_agg(l.manager_id || ':' || l.bonus, ',' "
                    "ORDER BY l.manager_id)) FROM reports_payline l "
                    "JOIN reports_payrun r ON r.id = l.run_id WHERE r.month = %s",
                    [bench_month],
                ),
            )
        )
    elif job == "pages":
        results += pages(args.requests, connection, count, counter)
    elif job == "split":
        results += split_on_workers(companies)
    print(json.dumps(results, default=str))


# The digests of the classification's and the plans' rows of a month (md5, in key order).
CLASSIFICATION_DIGEST = (
    "SELECT md5(string_agg(retailer_id || ':' || final_class || ':' || total_score, ',' "
    "ORDER BY retailer_id)) FROM retailers_classificationrecord WHERE month = %s"
)
PLANS_DIGEST = (
    "SELECT md5(string_agg(retailer_id || ':' || window_start || ':' || manager_id || ':' "
    "|| dropped, ',' ORDER BY retailer_id, window_start)) FROM visits_visitplan WHERE month = %s"
)
SPLIT_MONTH = "2026-12-01"
SPLIT_PROCESSES = 2


def split_on_workers(companies) -> list[dict]:
    """December's classification and plans as the beat runs them: split into parts (each
    city's ranking, then each marketing center's scoring; each center's plans) on a real
    Celery worker with ``SPLIT_PROCESSES`` processes, through Redis (``BENCH_REDIS_URL``,
    default db 14 of the local server) on a queue of its own. Wall time from queuing to the
    last part done, and the digests of the rows written."""
    from datetime import date

    from django.db import connection
    from django.utils import timezone

    from accounts.models import OrgUnit
    from config.celery import app
    from jobs.models import ACTIVE, JobKind, JobRun, JobStatus
    from retailers.tasks import classify_retailers
    from visits.tasks import generate_visit_plans

    month = date.fromisoformat(SPLIT_MONTH)
    worker = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            f"--concurrency={SPLIT_PROCESSES}",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
            "-n",
            f"bench-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    def wait(what, check, timeout=1800):
        deadline = time.monotonic() + timeout
        while not check():
            if worker.poll() is not None:
                raise RuntimeError(f"the worker stopped: {worker.stderr.read()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"not within {timeout} s: {what}")
            time.sleep(0.2)

    def parts_done(kind) -> bool:
        # This run's parts only: a kept database holds an earlier run's finished ones.
        jobs = JobRun.objects.filter(kind=kind, month=month, created_at__gte=since[kind])
        failed = jobs.filter(status=JobStatus.FAILED).values_list("error", flat=True).first()
        if failed:
            raise RuntimeError(f"a {kind} part failed: {failed}")
        if kind == JobKind.CLASSIFY:
            cities = jobs.filter(unit__isnull=True)
            if cities.count() < len(companies) or cities.filter(status__in=ACTIVE).exists():
                return False
            expected = len(companies) + sum(len(j.result["centers"]) for j in cities)
        else:
            expected = OrgUnit.objects.centers(companies).count()
        return jobs.count() == expected and not jobs.filter(status__in=ACTIVE).exists()

    rows, since = [], {}
    try:
        wait("the worker to answer", lambda: bool(app.control.ping(timeout=0.5)), 120)
        for kind, name, start, digest in (
            (JobKind.CLASSIFY, "classification", classify_retailers, CLASSIFICATION_DIGEST),
            (JobKind.PLANS, "plans", generate_visit_plans, PLANS_DIGEST),
        ):
            since[kind] = timezone.now()
            started = time.perf_counter()
            start(SPLIT_MONTH)
            wait(f"the {name} parts", lambda kind=kind: parts_done(kind))
            seconds = time.perf_counter() - started
            parts = list(
                JobRun.objects.filter(
                    kind=kind, month=month, created_at__gte=since[kind]
                ).values_list("started_at", "finished_at")
            )
            busy = sum((end - start).total_seconds() for start, end in parts)
            with connection.cursor() as cursor:
                cursor.execute(digest, [month])
                rows.append(
                    {
                        "job": f"{name}, split ({len(parts)} parts, {SPLIT_PROCESSES} processes)",
                        "seconds": seconds,
                        "digest": cursor.fetchone()[0],
                        "note": f"the parts' own times add up to {busy:.1f} s",
                    }
                )
    finally:
        worker.terminate()
        worker.wait(60)
    return rows


def pages(requests: int, connection, count, counter) -> list:
    """List pages for the top leader and visit POSTs for one manager, in process."""
    import uuid
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from accounts.models import Role, User
    from retailers.models import Retailer

    leader = User.objects.filter(role=Role.LEADER, employee_no="BL00").first()
    manager = User.objects.filter(role=Role.CUSTOMER_MANAGER).order_by("pk").first()
    rows = []
    client = Client()
    client.force_login(leader)
    for name in ("visits:list", "retailers:list", "visit-list", "retailer-list"):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        rows.append(
            _timed(
                f"page {url} (leader)",
                requests // 10 or 1,
                lambda u=url: client.get(u),
                connection,
                count,
                counter,
            )
        )
    phone = Client()
    phone.force_login(manager)
    shops = list(
        Retailer.objects.filter(territory__manager=manager).values_list(
            "pk", "latitude", "longitude"
        )[:50]
    )
    brands = list(range(1, 5))
    url = reverse("visit-list")
    at = datetime.now(ZoneInfo("Asia/Shanghai")).replace(microsecond=0) - timedelta(hours=2)
    state = {"n": 0}

    def post():
        state["n"] += 1
        pk, lat, lng = shops[state["n"] % len(shops)]
        start = at - timedelta(minutes=3 * state["n"])
        body = {
            "client_id": str(uuid.uuid4()),
            "retailer": pk,
            "checked_in_at": start.isoformat(),
            "checked_out_at": (start + timedelta(minutes=8)).isoformat(),
            "latitude": str(lat),
            "longitude": str(lng),
            "location_status": "ok",
            "shelf": [
                {"brand": b, "on_shelf": b % 2 == 0, "stock_level": "normal"} for b in brands
            ],
        }
        response = phone.post(url, body, content_type="application/json")
        assert response.status_code == 201, response.content[:300]
        return response

    rows.append(_timed("visit_post (4 shelf lines)", requests, post, connection, count, counter))
    return rows


def _timed(name, n, request, connection, count, counter):
    times, queries = [], []
    request()  # warm up (templates, caches)
    for _ in range(n):
        counter["queries"] = 0
        with connection.execute_wrapper(count):
            started = time.perf_counter()
            request()
            times.append((time.perf_counter() - started) * 1000)
        queries.append(counter["queries"])
    times.sort()
    return {
        "job": name,
        "seconds": sum(times) / 1000,
        "queries": f"{min(queries)}–{max(queries)}/req"
        if min(queries) != max(queries)
        else f"{queries[0]}/req",
        "p50_ms": statistics.median(times),
        "p95_ms": times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)],
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# The plain-SQL floors: the same figures as one statement each.

# Classification: the same figures as the job, in SQL with DOMAIN.md's default rule set, written
# to a temporary table: per active retailer of each city, the factor scores (scale: the rank
# of the average monthly 条 of the three months before the 1st among the city's retailers of
# the same market type; environment; potential; compliance from the violations of the 12
# months before; credit: the on-time share), the weighted total and the class.
CLASSIFICATION_FLOOR = """
CREATE TEMP TABLE bench_classification_floor AS
WITH sales AS (
    SELECT retailer_id, sum(quantity) / 3.0 AS cartons, count(*) AS lines,
           count(*) FILTER (WHERE settled_on_time) AS on_time
    FROM retailers_orderline
    WHERE order_date >= %(first)s::date - interval '3 months' AND order_date < %(first)s::date
    GROUP BY retailer_id
), violations AS (
    SELECT retailer_id, count(*) FILTER (WHERE severity = 'minor') AS minor,
           count(*) FILTER (WHERE severity = 'serious') AS serious
    FROM retailers_violation
    WHERE occurred_on >= %(first)s::date - interval '12 months' AND occurred_on < %(first)s::date
    GROUP BY retailer_id
), scored AS (
    SELECT r.id,
        CASE WHEN count(*) OVER w = 1 THEN 100
             ELSE 100 * PERCENT_RANK() OVER (w ORDER BY coalesce(s.cartons, 0)) END AS scale,
        CASE r.environment WHEN 'business_center' THEN 100 WHEN 'transport_hub' THEN 90
             WHEN 'residential' THEN 70 WHEN 'school_hospital' THEN 60
             WHEN 'urban_fringe' THEN 50 WHEN 'rural_town' THEN 40 ELSE 20 END AS environment,
        (coalesce(r.potential, 3) - 1) / 4.0 * 100 AS potential,
        greatest(0, 100 - 10 * coalesce(v.minor, 0) - 30 * coalesce(v.serious, 0)) AS compliance,
        CASE WHEN s.lines > 0 THEN 100.0 * s.on_time / s.lines ELSE 50 END AS credit,
        coalesce(v.serious, 0) AS serious
    FROM retailers_retailer r
    JOIN accounts_territory t ON t.id = r.territory_id
    JOIN accounts_orgunit d ON d.id = t.department_id
    LEFT JOIN sales s ON s.retailer_id = r.id
    LEFT JOIN violations v ON v.retailer_id = r.id
    WHERE r.status = 'active'
    WINDOW w AS (PARTITION BY d.company_id, r.market_type)
)
SELECT id, total, CASE WHEN serious > 0 OR total < 50 THEN 'C' WHEN total >= 75 THEN 'A'
                       ELSE 'B' END AS class
FROM (
    SELECT id, serious, round((0.40 * scale + 0.15 * environment + 0.15 * potential
        + 0.20 * compliance + 0.10 * credit)::numeric, 2) AS total
    FROM scored
) totals;
DROP TABLE bench_classification_floor
"""

# The floor with the job's writes: the same figures, then one record per retailer (every
# column written; the factor scores as 0; an upsert, as the job's, so a kept and already
# classified database (``--reuse``) is measured too), the retailers' changed classes, and the
# deferred key checks. Run in a transaction that is rolled back.
CLASSIFICATION_WRITE_FLOOR = (
    CLASSIFICATION_FLOOR.split(";")[0]
    + """;
INSERT INTO retailers_classificationrecord (
    retailer_id, month, rule_set_id, scale_score, environment_score, potential_score,
    compliance_score, credit_score, total_score, average_monthly_cartons, serious_violations,
    computed_class, previous_class, final_class, pinned, created_at)
SELECT f.id, %(first)s, (SELECT min(id) FROM retailers_classificationruleset), 0, 0, 0, 0, 0,
       f.total, 0, 0, f.class, r.abc_class, f.class, false, now()
FROM bench_classification_floor f JOIN retailers_retailer r ON r.id = f.id
ON CONFLICT (retailer_id, month) DO UPDATE SET rule_set_id = EXCLUDED.rule_set_id,
    scale_score = EXCLUDED.scale_score, environment_score = EXCLUDED.environment_score,
    potential_score = EXCLUDED.potential_score, compliance_score = EXCLUDED.compliance_score,
    credit_score = EXCLUDED.credit_score, total_score = EXCLUDED.total_score,
    average_monthly_cartons = EXCLUDED.average_monthly_cartons,
    serious_violations = EXCLUDED.serious_violations,
    computed_class = EXCLUDED.computed_class, final_class = EXCLUDED.final_class,
    pinned = EXCLUDED.pinned, created_at = EXCLUDED.created_at;
UPDATE retailers_retailer r SET abc_class = f.class FROM bench_classification_floor f
WHERE f.id = r.id AND NOT r.class_pinned AND r.abc_class <> f.class;
SET CONSTRAINTS ALL IMMEDIATE
"""
)

# The close's credited sales: 条 per manager and price class of the month, credited to the
# manager assigned to the retailer on the order date.
CLOSE_FLOOR = """
SELECT count(*) FROM (
    SELECT a.manager_id, b.price_class, sum(o.quantity)
    FROM retailers_orderline o
    JOIN retailers_retailerassignment a ON a.retailer_id = o.retailer_id
        AND a.valid_from <= o.order_date AND (a.valid_to IS NULL OR a.valid_to > o.order_date)
    JOIN retailers_brand b ON b.id = o.brand_id
    WHERE o.order_date >= %(first)s AND o.order_date < %(first)s::date + interval '1 month'
    GROUP BY a.manager_id, b.price_class
) sales
"""

# 上柜率 at territory × brand: retailers whose latest valid observation of the month says on
# shelf, and retailers with an order line of the brand.
SHELF_FLOOR = """
SELECT count(*) FROM (
    SELECT r.territory_id, f.brand_id, count(*) FILTER (WHERE f.on_shelf), count(*)
    FROM (
        SELECT DISTINCT ON (s.retailer_id, s.brand_id) s.retailer_id, s.brand_id, s.on_shelf
        FROM visits_shelfobservation s JOIN visits_visit v ON v.id = s.visit_id
        WHERE v.status = 'valid' AND v.check_in_date >= %(first)s
            AND v.check_in_date < %(first)s::date + interval '1 month'
        ORDER BY s.retailer_id, s.brand_id, s.observed_at DESC
    ) f JOIN retailers_retailer r ON r.id = f.retailer_id
    GROUP BY r.territory_id, f.brand_id
) counts
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="city")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="database name (default bench_<scale>)")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--requests", type=int, default=200, help="visit POSTs (pages: a tenth)")
    parser.add_argument(
        "--only",
        help=f"comma-separated jobs to run (default all: {','.join(JOBS)}); with --reuse, e.g. "
        "to time a rewritten job again (a published October refuses the close)",
    )
    parser.add_argument("--job", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        child(args)
    else:
        parent(args)


if __name__ == "__main__":
    main()
