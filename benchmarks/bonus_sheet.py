"""Benchmark of the HR bonus sheet (not a test): time ``write_bonus_sheet_xlsx`` for N managers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/benchsheet \\
        .venv/bin/python benchmarks/bonus_sheet.py --managers 2000

It creates a throwaway database next to the one DATABASE_URL names (``test_<name>``, every
migration applied), builds a pay run of N managers in 5 marketing centers (one PayLine each),
writes the workbook (and the CSV) to a temporary file a few times, prints the best and the
median seconds, the number of queries and the file size, and drops the database.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghijklmnopqrstu")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import OrgKind, OrgUnit, Role, User  # noqa: E402
from reports.models import PayLine, PayRun, PayRunStatus, PayScheme, Tier  # noqa: E402
from reports.sheets import write_bonus_sheet_csv, write_bonus_sheet_xlsx  # noqa: E402

MONTH = date(2026, 10, 1)
CENTERS = 5
RATES = (40, 30, 20, 12, 8)
TIERS = {
    Tier.PROBATION: ("0.8", "0"),
    Tier.ONE: ("0.9", "200"),
    Tier.TWO: ("1.0", "400"),
    Tier.THREE: ("1.1", "600"),
    Tier.FOUR: ("1.2", "800"),
    Tier.FIVE: ("1.3", "1000"),
}


def build(managers: int, rng: random.Random) -> PayRun:
    company = OrgUnit.objects.create(name="市公司", code="P0", kind=OrgKind.COMPANY)
    hr = User.objects.create(employee_no="H1", name="人事专员", role=Role.HR, org_unit=company)
    admin = User.objects.create(
        employee_no="A1", name="系统管理员", role=Role.ADMIN, org_unit=company
    )
    users = User.objects.bulk_create(
        User(
            employee_no=f"M{m:05d}",
            name=f"经理{m}",
            role=Role.CUSTOMER_MANAGER,
            org_unit=company,
        )
        for m in range(managers)
    )
    run = PayRun.objects.create(
        company=company,
        month=MONTH,
        scheme=PayScheme.objects.order_by("effective_from").first(),
        prepared_by=hr,
        prepared_at=timezone.now(),
        status=PayRunStatus.APPROVED,
        approved_by=admin,
        approved_at=timezone.now(),
    )
    lines = []
    for m, user in enumerate(users):
        cartons = [rng.randint(0, 3000) for _ in RATES]
        piece = sum(Decimal(c) * r / 250 for c, r in zip(cartons, RATES, strict=True))
        score = Decimal(rng.randint(6000, 10500)) / 100
        tier = rng.choice(list(TIERS))
        coefficient, allowance = (Decimal(v) for v in TIERS[tier])
        bonus = (piece * score / 100 * coefficient).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        ) + allowance
        center = m % CENTERS
        lines.append(
            PayLine(
                run=run,
                manager=user,
                center_name=f"第{center + 1}营销中心",
                department_name=f"第{center + 1}-{m % 4 + 1}客户服务部",
                territory_name=f"片区{m}",
                tier=tier,
                **{f"cartons_{n}": c for n, c in enumerate(cartons, start=1)},
                piece_pay=piece,
                score=score,
                score_coefficient=score / 100,
                tier_coefficient=coefficient,
                allowance=allowance,
                bonus=bonus,
            )
        )
    PayLine.objects.bulk_create(lines, batch_size=2000)
    return PayRun.objects.select_related("prepared_by", "approved_by").get(pk=run.pk)


def measure(write, run, path, repeat):
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            write(run, path)
            times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), len(queries), path.stat().st_size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--managers", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run = build(args.managers, random.Random(7))
        print(f"built a pay run of {args.managers} managers in {CENTERS} centers")
        with tempfile.TemporaryDirectory() as folder:
            for label, write, name in (
                ("xlsx", write_bonus_sheet_xlsx, "sheet.xlsx"),
                ("csv", write_bonus_sheet_csv, "sheet.csv"),
            ):
                best, median, queries, size = measure(write, run, Path(folder) / name, args.repeat)
                print(
                    f"{label}: best {best:.2f} s, median {median:.2f} s over {args.repeat} runs, "
                    f"{queries} queries, {size / 1024:.0f} KB"
                )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
