"""Backups that restore: deploy/backup.sh, then deploy/restore.sh into a fresh database, give
the same published month, pay lines and bonus sheet (PostgreSQL pass only)."""

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import psycopg2
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from assessment.services import month_close, month_publish, month_start_review
from reports.models import ManagerTier
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
OCT = date(2026, 10, 1)
DEPLOY = Path(settings.BASE_DIR) / "deploy"


def url(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def rows(database_url: str, sql: str) -> list[tuple]:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


SCORES = (
    "SELECT u.employee_no, s.total FROM assessment_managerscore s "
    "JOIN accounts_user u ON u.id = s.manager_id ORDER BY 1"
)
PAY = (
    "SELECT u.employee_no, l.piece_pay, l.bonus FROM reports_payline l "
    "JOIN accounts_user u ON u.id = l.manager_id ORDER BY 1"
)


def test_a_backup_restores_into_a_fresh_database(org, tmp_path, settings):
    one = BrandFactory(price_class=1)
    for manager, cartons in ((org.a.cm, 500), (org.b.cm, 1000)):
        OrderLineFactory(
            retailer=RetailerFactory(territory=manager.territory),
            brand=one,
            order_date=date(2026, 10, 12),
            quantity=cartons,
        )
        ManagerTier.objects.create(
            manager=manager, tier="two_star", effective_from=date(2020, 1, 1)
        )
    month_close(month=OCT)
    month_start_review(month=OCT, now=timezone.now() - timedelta(days=6))  # window over
    month_publish(month=OCT)
    call_command("run_pay", "2026-10", "--user", org.hr.employee_no)
    call_command("approve_pay", "2026-10", "--user", org.admin.employee_no)
    media = tmp_path / "media"
    (media / "visits").mkdir(parents=True)
    (media / "visits" / "shelf.jpg").write_bytes(b"\xff\xd8photo")

    source = url(connection.settings_dict["NAME"])
    env = {**os.environ, "DATABASE_URL": source, "MEDIA_ROOT": str(media)}
    done = subprocess.run(
        [str(DEPLOY / "backup.sh")],
        env={**env, "BACKUP_DIR": str(tmp_path / "backups")},
        capture_output=True,
        text=True,
        check=True,
    )
    dump, archive = done.stdout.split()

    fresh = f"restore_{os.getpid()}"
    admin = url("postgres")
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE DATABASE "{fresh}"')
    try:
        restored_media = tmp_path / "restored-media"
        subprocess.run(
            [str(DEPLOY / "restore.sh"), dump, archive],
            env={**env, "DATABASE_URL": url(fresh), "MEDIA_ROOT": str(restored_media)},
            capture_output=True,
            text=True,
            check=True,
        )
        assert rows(url(fresh), SCORES) == rows(source, SCORES) != []
        assert rows(url(fresh), PAY) == rows(source, PAY) != []
        assert (restored_media / "visits" / "shelf.jpg").read_bytes() == b"\xff\xd8photo"

        # The bonus sheet, made by the product from each database, is the same.
        sheets = {}
        for name, database_url in (("source", source), ("restored", url(fresh))):
            out = tmp_path / f"{name}.xlsx"
            subprocess.run(
                [sys.executable, "manage.py", "export_bonus_sheet", "2026-10", "--out", str(out)],
                cwd=settings.BASE_DIR,
                env={**env, "DATABASE_URL": database_url, "DEBUG": "0"},
                capture_output=True,
                text=True,
                check=True,
            )
            sheets[name] = pd.read_excel(out, sheet_name=None)
        assert list(sheets["restored"]) == list(sheets["source"])
        for sheet, frame in sheets["source"].items():
            pd.testing.assert_frame_equal(sheets["restored"][sheet], frame)
    finally:
        conn.cursor().execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
        conn.close()
