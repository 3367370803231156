"""The order inbox (DOMAIN.md §9): order files dropped into a folder are imported by the
scheduled task, moved to done/ or failed/ with their report, recorded, and an alert says
when none has arrived for the configured number of days."""

import os
import time
from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import Role
from imports.kinds import ImportKind, import_file
from reports.alerts import order_file_overdue
from reports.models import AlertRules
from reports.selectors.alerts import ORDER_FILES, alerts_for
from retailers.models import OrderFileDrop, OrderFileStatus, OrderLine
from retailers.tasks import import_order_inbox
from tests.factories import UserFactory

from .conftest import SAMPLES

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def catalogue(sample_org):
    for kind, name in ((ImportKind.BRANDS, "brands.csv"), (ImportKind.RETAILERS, "retailers.csv")):
        assert import_file(kind, SAMPLES / name, on=date(2026, 10, 1)).ok
    return sample_org


@pytest.fixture
def inbox(tmp_path, settings):
    folder = tmp_path / "inbox"
    folder.mkdir()
    settings.ORDERS_INBOX_DIR = str(folder)
    settings.ORDERS_INBOX_STABLE_SECONDS = 60
    return folder


def drop(folder, name, lines, age=3600):
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def run() -> str:
    out = StringIO()
    call_command("import_order_inbox", stdout=out)
    return out.getvalue()


@pytest.fixture
def files(catalogue, inbox):
    header, *lines = (SAMPLES / "orders.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 21
    drop(inbox, "orders-1.csv", [header, *lines[:12]], age=7200)
    drop(inbox, "orders-2.csv", [header, *lines[12:]], age=3600)
    bad = lines[0].replace("329901100001", "329999999999").replace("DD2026100101", "DD9")
    drop(inbox, "bad.csv", [header, bad], age=1800)
    drop(inbox, "notes.txt", ["not an order file"])
    drop(inbox, "writing.csv", [header, lines[0]], age=0)  # still being written
    return inbox


def test_files_imported_moved_and_recorded(files):
    out = run()
    assert [line.split(":")[0] for line in out.splitlines()] == [
        "orders-1.csv",
        "orders-2.csv",
        "bad.csv",
    ]
    assert OrderLine.objects.count() == 21
    assert sorted(p.name for p in (files / "done").iterdir()) == [
        "orders-1.csv",
        "orders-1.csv.report.txt",
        "orders-2.csv",
        "orders-2.csv.report.txt",
    ]
    assert sorted(p.name for p in (files / "failed").iterdir()) == ["bad.csv", "bad.csv.report.txt"]
    assert sorted(p.name for p in files.iterdir() if p.is_file()) == ["notes.txt", "writing.csv"]
    drops = {d.name: d for d in OrderFileDrop.objects.all()}
    assert {n: (d.status, d.rows, d.created) for n, d in drops.items()} == {
        "orders-1.csv": (OrderFileStatus.DONE, 12, 12),
        "orders-2.csv": (OrderFileStatus.DONE, 9, 9),  # the return too
        "bad.csv": (OrderFileStatus.FAILED, 1, 0),
    }
    report = (files / "failed" / "bad.csv.report.txt").read_text(encoding="utf-8")
    assert "329999999999" in report
    assert report.strip() == drops["bad.csv"].report
    assert drops["orders-1.csv"].received_at < drops["orders-2.csv"].received_at

    # A second run: nothing waiting, nothing changes.
    assert run() == f"No order file waiting in {files} (nothing changed).\n"
    assert OrderLine.objects.count() == 21
    assert OrderFileDrop.objects.count() == 3


def test_a_file_dropped_twice_changes_nothing(files, celery_eager):
    assert [r["status"] for r in import_order_inbox.delay().get()] == ["done", "done", "failed"]
    again = (files / "done" / "orders-1.csv").read_text(encoding="utf-8").splitlines()
    drop(files, "orders-1.csv", again)
    assert import_order_inbox.delay().get() == [
        {"file": "orders-1.csv", "status": "done", "rows": 12}
    ]
    assert OrderLine.objects.count() == 21
    latest = OrderFileDrop.objects.order_by("-imported_at", "-pk").first()
    assert (latest.created, latest.moved_to.endswith("orders-1.1.csv")) == (0, True)
    assert (files / "done" / "orders-1.1.csv.report.txt").exists()


def test_the_inbox_off(catalogue, settings):
    settings.ORDERS_INBOX_DIR = ""
    assert import_order_inbox() == []
    with pytest.raises(CommandError, match="ORDERS_INBOX_DIR"):
        run()


def test_overdue_rule():
    day = date(2026, 10, 20)
    assert order_file_overdue(last_received=date(2026, 10, 18), day=day, expected_days=2)
    assert not order_file_overdue(last_received=date(2026, 10, 19), day=day, expected_days=2)
    assert order_file_overdue(last_received=None, day=day, expected_days=2)
    assert not order_file_overdue(last_received=None, day=day, expected_days=0)


def record(received_at, status=OrderFileStatus.DONE):
    return OrderFileDrop.objects.create(
        name="orders.csv", moved_to="done/orders.csv", received_at=received_at, status=status
    )


def section(user, day):
    return alerts_for(user, month=day.replace(day=1), today=day).get(ORDER_FILES)


def test_alert_when_no_file_arrived(sample_org, inbox):
    admin = sample_org.admin
    leader = UserFactory(role=Role.LEADER, org_unit=sample_org.company)
    assessor = UserFactory(role=Role.ASSESSMENT_CENTER, org_unit=sample_org.company)
    day = date(2026, 10, 20)
    [never] = section(admin, day)
    assert (never.company, never.last_file, never.expected_days) == (sample_org.company, None, 2)

    old = record(datetime(2026, 10, 17, 22, tzinfo=TZ))
    record(datetime(2026, 10, 19, 9, tzinfo=TZ), status=OrderFileStatus.FAILED)  # not imported
    [alert] = section(admin, day)
    assert (alert.last_file, alert.last_received) == (old, date(2026, 10, 17))
    assert len(section(leader, day)) == 1
    assert section(assessor, day) is None  # not their section

    record(datetime(2026, 10, 19, 9, tzinfo=TZ))
    assert section(admin, day) == []
    assert len(section(admin, date(2026, 10, 21))) == 1  # two days later

    rules = AlertRules.objects.get(company__isnull=True)
    rules.order_file_expected_days = 0
    rules.save()
    assert section(admin, date(2026, 10, 25)) == []


def test_no_alert_when_the_inbox_is_off(sample_org, settings):
    settings.ORDERS_INBOX_DIR = ""
    assert section(sample_org.admin, date(2026, 10, 20)) == []


def test_alert_on_the_page(client, sample_org, inbox):
    record(datetime(2026, 10, 1, 9, tzinfo=TZ))
    client.force_login(sample_org.admin)
    response = client.get(reverse("reports:alerts"))
    assert response.status_code == 200
    assert 'data-testid="count-order_files">1<' in response.content.decode()
