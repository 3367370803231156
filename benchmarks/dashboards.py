"""Benchmark of the dashboards (not a test): rollup refresh and page server times.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python benchmarks/dashboards.py --managers 200      # a city
    ... --managers 2000                                                  # a province

It creates a throwaway database next to the one DATABASE_URL names (``test_<name>``, every
migration applied), builds a month with the month-close generator (``benchmarks/close_month.py``:
N managers in 20 centers, 20 retailers each, orders, plans, visits, information, surveys,
inspections), times ``kpi_refresh`` of that month, copies its rows back over 24 months (the
history a 12-month trend and last year's figures read), then requests the dashboard page and
the dashboard API for the company, a center, a department and a manager: the median server
time of 5 requests each (Django's test client, in process) and the number of queries.
Record ``uptime`` next to the figures: the machine is shared.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghijklmnopqrstu")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

import random  # noqa: E402

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from accounts.models import OrgKind, OrgUnit, Role, User  # noqa: E402
from benchmarks.close_month import MONTH, build  # noqa: E402
from reports.models import ManagerMonthKpi  # noqa: E402
from reports.services.dashboards import kpi_refresh  # noqa: E402
from retailers.models import add_months  # noqa: E402


def history(months: int) -> int:
    """Copy the month's rows to the ``months`` months before it (trend and last year)."""
    rows = list(ManagerMonthKpi.objects.filter(month=MONTH))
    copies = []
    for n in range(1, months + 1):
        for row in rows:
            row.pk, row.month = None, add_months(MONTH, -n)
            copies.append(
                ManagerMonthKpi(
                    **{f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
                )
            )
    ManagerMonthKpi.objects.bulk_create(copies, batch_size=5000)
    return len(copies)


def timed(client, url, runs=5):
    times, queries, status = [], 0, None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        queries, status = len(ctx.captured_queries), response.status_code
    return statistics.median(times), queries, status


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--managers", type=int, default=200)
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
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            summary = kpi_refresh(month=MONTH)
            seconds = time.perf_counter() - started
        print(
            f"kpi_refresh: {summary['managers']} managers in {seconds:.2f} s, "
            f"{len(ctx.captured_queries)} queries"
        )
        print(f"history: {history(24)} rows copied over 24 months")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        company = OrgUnit.objects.get(kind=OrgKind.COMPANY)
        center = OrgUnit.objects.filter(kind=OrgKind.MARKETING_CENTER).order_by("code").first()
        department = OrgUnit.objects.filter(parent=center).order_by("code").first()
        manager = User.objects.filter(role=Role.CUSTOMER_MANAGER, org_unit=department).first()
        admin = User.objects.create_superuser("B-ADMIN", "x", name="基准管理员")
        admin.org_unit = company
        admin.save(update_fields=["org_unit"])
        client = Client()
        client.force_login(admin)
        scopes = [
            ("company", f"unit={company.pk}"),
            ("center", f"unit={center.pk}"),
            ("department", f"unit={department.pk}"),
            ("manager", f"manager={manager.pk}"),
        ]
        month = f"month={MONTH:%Y-%m}"
        try:
            page = reverse("reports:dashboard")
        except NoReverseMatch:
            page = None
        for name, scope in scopes:
            for label, url in (
                ("page", f"{page}?{scope}&{month}" if page else None),
                ("api kpis", f"/api/v1/dashboard/kpis/?{scope}&{month}"),
                ("api children", f"/api/v1/dashboard/children/?{scope}&{month}"),
                ("api trend", f"/api/v1/dashboard/trend/?{scope}&{month}"),
            ):
                if url is None:
                    continue
                ms, queries, status = timed(client, url)
                print(f"{name:10} {label:12} {ms:7.1f} ms  {queries:3} queries  HTTP {status}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
