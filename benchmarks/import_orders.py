"""Benchmark of the order-line import (not a test): throughput of the PostgreSQL bulk path.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python benchmarks/import_orders.py --lines 1000000

It creates a throwaway database next to the one DATABASE_URL names (``test_<name>``, with
every migration applied), adds 50,000 retailers and 200 brands, writes a CSV of ``--lines``
order lines to a temporary directory, imports it, imports it again (every line unchanged),
prints lines per second, elapsed time and the peak resident memory of this process, and
drops the database. ``--method insert`` measures the chunked path used on SQLite.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
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
from accounts.models import OrgKind  # noqa: E402
from imports.kinds import import_file  # noqa: E402
from retailers.imports.orders import OrderImporter  # noqa: E402
from retailers.models import Brand, Retailer  # noqa: E402

RETAILERS = 50_000
BRANDS = 200
TERRITORIES = 100
LINES_PER_ORDER = 5


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def seed():
    company = accounts_services.org_unit_create(
        name="基准测试公司", code="B0", kind=OrgKind.COMPANY
    )
    center = accounts_services.org_unit_create(
        name="基准营销部", code="B0-01", kind=OrgKind.MARKETING_CENTER, parent=company
    )
    department = accounts_services.org_unit_create(
        name="基准客户服务部", code="B0-01-01", kind=OrgKind.SERVICE_DEPARTMENT, parent=center
    )
    territories = [
        accounts_services.territory_create(
            code=f"B0-01-01-{t:03d}", name=f"基准片区{t}", department=department
        )
        for t in range(TERRITORIES)
    ]
    Brand.objects.bulk_create(
        Brand(
            code=f"69{b:011d}",
            name=f"基准牌{b}",
            manufacturer="基准卷烟厂",
            price_class=b % 5 + 1,
            wholesale_price=Decimal(40 + b),
        )
        for b in range(BRANDS)
    )
    Retailer.objects.bulk_create(
        (
            Retailer(
                license_no=f"3299{r:08d}",
                shop_name=f"基准商店{r}",
                owner_name="基准",
                address="基准路",
                market_type="C",
                retail_format="Z",
                environment="residential",
                territory=territories[r % TERRITORIES],
            )
            for r in range(RETAILERS)
        ),
        batch_size=5000,
    )


def write_orders(path: Path, lines: int):
    """``lines`` order lines, five brands per order, dated over six months."""
    first = date(2026, 5, 1)
    days = [(first + timedelta(days=d)).isoformat() for d in range(183)]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("订单号,许可证号,规格编码,订单日期,数量（条）,金额（元）,按时结算\n")
        buffer = []
        for n in range(lines):
            order, position = divmod(n, LINES_PER_ORDER)
            brand = (order * 7 + position * 37) % BRANDS
            quantity = (n * 13) % 50 + 1
            buffer.append(
                f"DD{order:010d},3299{(order * 31) % RETAILERS:08d},69{brand:011d},"
                f"{days[order % 183]},{quantity},{(40 + brand) * quantity}.00,"
                f"{'否' if n % 17 == 0 else '是'}\n"
            )
            if len(buffer) == 10_000:
                out.write("".join(buffer))
                buffer = []
        out.write("".join(buffer))


def timed(label, path, method, lines):
    start = time.perf_counter()
    report = import_file("orders", path, method=method)
    elapsed = time.perf_counter() - start
    if not report.ok:
        for line in report.lines()[:20]:
            print(line)
        raise SystemExit(f"{label}: the import failed")
    print(
        f"{label}: {lines:,} lines in {elapsed:.1f} s = {lines / elapsed:,.0f} lines/s "
        f"(created {report.created:,}, unchanged {report.unchanged:,}); "
        f"peak RSS so far {peak_rss_mb():.0f} MB"
    )
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--method", choices=["copy", "insert"], default=None)
    args = parser.parse_args()
    if connection.vendor != "postgresql" and args.method != "insert":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (or use --method insert).")

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        seed()
        method = args.method or ("copy" if OrderImporter.can_copy() else "insert")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "orders.csv"
            start = time.perf_counter()
            write_orders(path, args.lines)
            print(
                f"generated {args.lines:,} lines ({path.stat().st_size / 1e6:.0f} MB) in "
                f"{time.perf_counter() - start:.1f} s; {os.cpu_count()} CPUs, "
                f"{connection.vendor}, method {method}; peak RSS {peak_rss_mb():.0f} MB"
            )
            timed("first import", path, method, args.lines)
            timed("re-import", path, method, args.lines)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
