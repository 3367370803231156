"""Bounded load test of the visit POST (not a test): concurrent logged-in phones on gunicorn.

    .venv/bin/python benchmarks/load_visits.py --db bench_city [--workers 2] [--phones 20]
        [--seconds 30] [--shelf 4]

Needs a database seeded by ``manage.py seed_bench`` (``make bench BENCH_ARGS=--keep`` leaves
``bench_<scale>``). Starts gunicorn (``--workers`` sync workers, DEBUG off) on that database,
logs in ``--phones`` customer managers through the login page (session cookie and CSRF token,
as a phone does), and lets each post visits with ``--shelf`` shelf lines to its own retailers
for ``--seconds`` seconds. Prints the throughput, the p50/p95/p99 latency seen by the phones,
and the requests per second per worker core: the requests divided by the CPU time the
gunicorn workers spent (read from /proc), so the load client's own CPU cost (measured and
printed too) is not counted against the server; ×4 projects a 4-core application server (with
PostgreSQL on its own machine). The CPU time of the workers' PostgreSQL backends is printed
beside it.
"""

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg2
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ROOT, child_env, database_url

BENCH_PASSWORD = "bench-pass-2026"  # accounts/management/commands/seed_bench.py
TZ = ZoneInfo("Asia/Shanghai")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def database_backends(db: str) -> list[int]:
    """The PostgreSQL backends serving ``db`` (the gunicorn workers keep theirs: CONN_MAX_AGE)."""
    connection = psycopg2.connect(database_url(db))
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [db],
            )
            return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


def total_cpu(pids) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            total += cpu_seconds(pid)
    return total


def phones_and_shops(db: str, phones: int):
    connection = psycopg2.connect(database_url(db))
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT u.employee_no, r.id, r.latitude, r.longitude "
                "FROM accounts_user u JOIN accounts_territory t ON t.manager_id = u.id "
                "JOIN retailers_retailer r ON r.territory_id = t.id AND r.status = 'active' "
                "WHERE u.role = 'customer_manager' AND u.id IN (SELECT id FROM accounts_user "
                "WHERE role = 'customer_manager' ORDER BY id LIMIT %s) ORDER BY u.id, r.id",
                [phones],
            )
            shops = {}
            for employee_no, pk, lat, lng in cursor.fetchall():
                shops.setdefault(employee_no, []).append((pk, lat, lng))
            cursor.execute("SELECT id FROM retailers_brand ORDER BY id LIMIT 20")
            brands = [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()
    return shops, brands


def login(base: str, employee_no: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/login/", timeout=30)
    response = session.post(
        f"{base}/login/",
        data={
            "username": employee_no,
            "password": BENCH_PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        timeout=30,
        allow_redirects=False,
    )
    if response.status_code != 302:
        raise SystemExit(f"login of {employee_no} failed: HTTP {response.status_code}")
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    return session


def phone(session, base, shops, brands, shelf, deadline, latencies, errors, number):
    at = datetime.now(TZ).replace(microsecond=0) - timedelta(hours=3)
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        pk, lat, lng = shops[n % len(shops)]
        start = at - timedelta(minutes=(n * 7 + number) % 600, seconds=n)
        body = {
            "client_id": str(uuid.uuid4()),
            "retailer": pk,
            "checked_in_at": start.isoformat(),
            "checked_out_at": (start + timedelta(minutes=6)).isoformat(),
            "latitude": str(lat),
            "longitude": str(lng),
            "location_status": "ok",
            "shelf": [
                {"brand": brands[(n + i) % len(brands)], "on_shelf": i % 2 == 0}
                for i in range(shelf)
            ],
        }
        started = time.perf_counter()
        try:
            response = session.post(f"{base}/api/v1/visits/", json=body, timeout=60)
            ok = response.status_code == 201
        except requests.RequestException:
            ok = False
        if ok:
            latencies.append((time.perf_counter() - started) * 1000)
        else:
            errors.append(1)


def percentile(values, share):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(share * len(values)) - 1))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench_city")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--phones", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--shelf", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    shops, brands = phones_and_shops(args.db, args.phones)
    if len(shops) < args.phones:
        raise SystemExit(f"{args.db} has {len(shops)} managers with shops: seed it first")
    env = child_env(args.db)
    env["AXES_ENABLED"] = "0"  # twenty logins from one address are not an attack here
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(120):
            try:
                if requests.get(f"{base}/login/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        sessions = {no: login(base, no) for no in list(shops)[: args.phones]}
        for session in sessions.values():  # warm each worker's connection and caches
            session.get(f"{base}/healthz", timeout=30)
        latencies, errors = [], []
        workers = worker_pids(server.pid)
        backends = database_backends(args.db)
        server_cpu = total_cpu(workers)
        database_cpu = total_cpu(backends)
        client_cpu = time.process_time()
        uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        started = time.perf_counter()
        deadline = started + args.seconds
        threads = [
            threading.Thread(
                target=phone,
                args=(s, base, shops[no], brands, args.shelf, deadline, latencies, errors, i),
            )
            for i, (no, s) in enumerate(sessions.items())
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        server_cpu = total_cpu(workers) - server_cpu
        database_cpu = total_cpu(backends) - database_cpu
    finally:
        server.terminate()
        server.wait(timeout=30)
    done = len(latencies)
    print(
        f"visit POST load: {args.phones} phones, {args.workers} gunicorn workers, "
        f"{args.shelf} shelf lines, {wall:.1f} s, database {args.db}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs"
    )
    print(f"uptime at start: {uptime}")
    if not done:
        raise SystemExit(f"no request succeeded ({len(errors)} errors)")
    print(f"requests: {done} ok, {len(errors)} failed; throughput {done / wall:.1f} requests/s")
    print(
        f"latency ms: p50 {statistics.median(latencies):.0f}, "
        f"p95 {percentile(latencies, 0.95):.0f}, p99 {percentile(latencies, 0.99):.0f}, "
        f"max {max(latencies):.0f}"
    )
    per_core = done / server_cpu if server_cpu else float("nan")
    print(
        f"CPU: gunicorn workers {server_cpu:.1f} s, their PostgreSQL backends "
        f"{database_cpu:.1f} s, load client {client_cpu:.1f} s ({client_cpu / wall:.2f} cores); "
        f"per request {1000 * server_cpu / done:.1f} ms app + {1000 * database_cpu / done:.1f} ms "
        f"database"
    )
    print(
        f"requests/s per worker core (requests ÷ worker CPU seconds): {per_core:.0f}; "
        f"projected on a 4-core application server: {4 * per_core:.0f}/s"
    )


if __name__ == "__main__":
    main()
