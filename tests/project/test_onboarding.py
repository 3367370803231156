"""Day one from files alone (README "Bringing a company in"): the sample files of
retailers/samples/ into an empty database, in the guide's order, by the same commands IT runs;
the month's plans by command; a manager from the staff file logs in with the one-time code
from the codes sheet, is made to set a password, and sees today's route. Running every file
again changes nothing.

"Today" is fixed at Tuesday 2026-12-01 09:00 (Asia/Shanghai), so the route does not depend
on the day the suite runs.
"""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import OrgUnit, Territory, User
from retailers.models import OrderLine, Retailer, RetailerStatus, Violation
from tests.retailers.conftest import SAMPLES
from visits.models import ShelfObservation, Visit, VisitPlan

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
EFFECTIVE = "2026-10-01"  # assignments (and the file's statuses) from this day

# The guide's order: (command, sample file, extra arguments).
FILES = [
    ("import_org_units", "org_units.csv", []),
    ("import_staff", "staff.csv", []),
    ("import_territories", "territories.csv", []),
    ("import_brands", "brands.csv", []),
    ("import_retailers", "retailers.csv", ["--effective-date", EFFECTIVE]),
    ("import_retailer_statuses", "retailer_statuses.csv", []),
    ("import_violations", "violations.csv", []),
    ("import_orders", "orders.csv", []),
    ("import_targets", "targets_sales.csv", []),
    ("import_targets", "targets_shelf.csv", []),
    ("import_handovers", "handovers.csv", []),
    ("import_holidays", "holidays.csv", []),
    ("import_visits", "visits.csv", []),
]
PROJECT_APPS = ("accounts", "retailers", "visits", "assessment", "reports", "imports", "jobs")


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW.date()


def run(command, *args):
    """A command's output, in English whatever the last request activated."""
    out = io.StringIO()
    with translation.override("en"):
        call_command(command, *args, stdout=out)
    return out.getvalue()


def fingerprint():
    """Every row of the project's tables (what a second run must leave as it was)."""
    rows = {}
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.proxy or model._meta.label == "accounts.InitialCodeSheet":
                continue
            rows[model._meta.label] = list(model.objects.order_by("pk").values_list())
    return rows


def test_a_company_from_the_sample_files_alone(client, today, tmp_path, celery_eager, monkeypatch):
    assert not OrgUnit.objects.exists() and not User.objects.exists()
    codes_file = tmp_path / "codes.xlsx"
    for command, name, extra in FILES:
        args = [str(SAMPLES / name), *extra]
        if command == "import_staff":
            args += ["--codes-out", str(codes_file)]
        output = run(command, *args)
        assert "nothing was imported" not in output, (name, output)

    # What the files describe.
    assert OrgUnit.objects.count() == 5
    assert User.objects.filter(is_active=True).count() == 13
    assert Territory.objects.count() == 4
    assert Retailer.objects.count() == 8
    assert Retailer.objects.get(license_no="329901100003").status == RetailerStatus.CANCELLED
    assert Violation.objects.count() == 4
    assert OrderLine.objects.count() == 21  # 20 sale lines and one return
    assert Visit.objects.filter(source="imported").count() == 17
    assert ShelfObservation.objects.count() == 21

    # The month's classes and plans, by the commands IT runs (or the scheduler).
    assert "retailers classified" in run("classify_retailers", "2026-12")
    run("generate_plans", "2026-12")
    manager = User.objects.get(employee_no="100001")
    plans = VisitPlan.objects.filter(manager=manager, month=today.replace(day=1), dropped=False)
    assert plans.exists()

    # The manager logs in with the code from the sheet and must set a password first.
    codes = pd.read_excel(codes_file, dtype=str)
    code = codes.loc[codes["工号"] == "100001", "初始密码"].item()
    assert len(codes) == 13 and len(code) == 10
    login = client.post(reverse("login"), {"username": "100001", "password": code})
    assert login.status_code == 302
    home = client.get(reverse("visits:today"))
    assert home.status_code == 302 and home["Location"].startswith(
        reverse("accounts:password_change")
    )
    changed = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": code,
            "new_password1": "Dj-2026-qiuzhi",
            "new_password2": "Dj-2026-qiuzhi",
        },
    )
    assert changed.status_code == 302
    manager.refresh_from_db()
    assert not manager.must_change_password

    # Today's route: the first day with stops of the month, as the scheduler spread them.
    first_day = min(plans.values_list("scheduled_for", flat=True))
    day_now = datetime.combine(first_day, NOW.timetz())
    monkeypatch.setattr(timezone, "now", lambda: day_now)
    route = client.get(reverse("visits:today"))
    assert route.status_code == 200
    page = route.content.decode()
    for plan in plans.filter(scheduled_for=first_day).select_related("retailer"):
        assert plan.retailer.shop_name in page

    # Every file again: nothing changes.
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    before = fingerprint()
    for command, name, extra in FILES:
        args = [str(SAMPLES / name), *extra]
        output = run(command, *args)
        assert " 0 created, 0 updated" in output, (name, output)
    run("classify_retailers", "2026-12")
    run("generate_plans", "2026-12")
    assert fingerprint() == before
