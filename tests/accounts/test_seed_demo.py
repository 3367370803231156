import hashlib

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import OrgKind, OrgUnit, Role, Territory, User
from retailers import demo as retailer_demo
from retailers.models import Retailer

pytestmark = pytest.mark.django_db

GOLDEN_FIRST_USER = ("100001", "武博", "customer_manager")
GOLDEN_FIRST_SHOP = ("329901000001", "兴隆便民店", "张桂英")
GOLDEN_DIGEST = "b78b1e7ffe3130a4478f4886a5fc85a722f995240f999f5fa84b0aafe1b206e3"
# The digest before the leaders (领导) were added: everyone else and every shop are unchanged.
GOLDEN_DIGEST_WITHOUT_LEADERS = "7159af0ba74a3b15c0401631e23bf9ec8afb405f788945b12d04c2ec49b6f2df"
GOLDEN_LEADERS = ["400001", "410101", "410201", "420111", "420121", "420211", "420221"]


def seed(*args):
    from io import StringIO

    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot():
    return list(
        User.objects.order_by("employee_no").values_list("employee_no", "name", "role", "phone")
    )


def test_small_demo_company(settings, monkeypatch):
    # The org and its people; a few retailers per territory keep the test quick (the golden
    # digest below checks the full small demo).
    monkeypatch.setitem(retailer_demo.RETAILERS_PER_TERRITORY, "small", 3)
    output = seed("--size", "small", "--seed", "7")
    assert OrgUnit.objects.filter(kind=OrgKind.MARKETING_CENTER).count() == 2
    assert OrgUnit.objects.filter(kind=OrgKind.SERVICE_DEPARTMENT).count() == 4
    assert Territory.objects.filter(manager__isnull=False).count() == 12
    counts = {role: User.objects.filter(role=role).count() for role in Role}
    assert counts == {
        Role.CUSTOMER_MANAGER: 12,
        Role.SERVICE_DEPT_SUPERVISOR: 4,
        Role.MARKETING_CENTER_SUPERVISOR: 2,
        Role.ASSESSMENT_CENTER: 2,
        Role.HR: 2,
        Role.ADMIN: 1,
        Role.LEADER: 7,  # the company, 2 centers, 4 departments
    }
    assert settings.DEMO_PASSWORD in output
    manager = User.objects.get(employee_no="100001")
    assert manager.check_password(settings.DEMO_PASSWORD)
    leader = User.objects.get(employee_no="400001")
    assert (leader.role, leader.org_unit.kind) == (Role.LEADER, OrgKind.COMPANY)
    assert leader.check_password(settings.DEMO_PASSWORD)
    assert User.objects.get(employee_no="420211").org_unit.code == "3299-02-01"
    assert manager.territory.department == manager.org_unit
    # Chinese names and phone numbers, as users would expect.
    assert all("\u4e00" <= ch <= "\u9fff" for ch in manager.name)
    assert manager.phone.startswith("1") and len(manager.phone) == 11
    # Territories have a centre near the fictional city, departments an address.
    for territory in Territory.objects.select_related("department"):
        assert 31 < territory.latitude < 33 and 118 < territory.longitude < 120
        assert territory.department.address.startswith("东江市")
    # Every demo user passes the model's own validation.
    for user in User.objects.all():
        user.full_clean()


def test_demo_is_deterministic_for_a_seed():
    """The same seed gives the same company on any machine and any day (pinned Faker).

    The digest covers people and retailers, which do not depend on today's date; if a
    Faker upgrade changes it, check the new demo and update the digest.

    The leaders (领导) were added last, with their own seeded name stream: the digest of
    everything but the leaders is still the one from before they existed, so no other
    user's number, name or phone and no shop changed; only ``GOLDEN_DIGEST`` moved.
    """
    seed("--seed", "11")
    people = snapshot()
    shops = list(
        Retailer.objects.order_by("license_no").values_list(
            "license_no",
            "shop_name",
            "owner_name",
            "retail_format",
            "environment",
            "territory__code",
        )
    )
    digest = hashlib.sha256(repr((people, shops)).encode()).hexdigest()
    assert (people[0][:3], shops[0][:3]) == (GOLDEN_FIRST_USER, GOLDEN_FIRST_SHOP)
    assert digest == GOLDEN_DIGEST
    others = [row for row in people if row[2] != Role.LEADER]
    assert hashlib.sha256(repr((others, shops)).encode()).hexdigest() == (
        GOLDEN_DIGEST_WITHOUT_LEADERS
    )
    assert [row[0] for row in people if row[2] == Role.LEADER] == GOLDEN_LEADERS


def test_city_size(monkeypatch):
    # The org tree at city scale; a couple of retailers per territory keep the test quick.
    monkeypatch.setitem(retailer_demo.RETAILERS_PER_TERRITORY, "city", 2)
    seed("--size", "city")
    assert User.objects.filter(role=Role.CUSTOMER_MANAGER).count() == 200
    assert Territory.objects.values("name").distinct().count() == 200


def test_refuses_a_database_with_data_and_if_empty_skips(monkeypatch):
    monkeypatch.setitem(retailer_demo.RETAILERS_PER_TERRITORY, "small", 2)
    seed()
    before = User.objects.count()
    with pytest.raises(CommandError, match="already has users"):
        seed()
    assert "not loaded" in seed("--if-empty")
    assert User.objects.count() == before


def test_province_size(monkeypatch):
    """Three city companies under one province, each with its own month state and pay run."""
    from assessment.models import AssessmentMonth, MonthState
    from reports.models import PayRun, PayRunStatus

    monkeypatch.setitem(retailer_demo.RETAILERS_PER_TERRITORY, "province", 4)
    seed("--size", "province")
    province = OrgUnit.objects.get(kind=OrgKind.PROVINCE)
    cities = list(OrgUnit.objects.companies())
    assert [c.code for c in cities] == ["3201", "3202", "3203"]
    assert all(c.parent == province for c in cities)
    admin = User.objects.get(employee_no="900001")
    assert admin.org_unit == province
    assert User.objects.get(employee_no="720001").company == cities[1]  # HR of the second city
    assert User.objects.filter(role=Role.CUSTOMER_MANAGER).count() == 36
    # Leaders: the province, each city, 6 centers and 12 departments.
    leaders = dict(
        User.objects.filter(role=Role.LEADER).values_list("employee_no", "org_unit__code")
    )
    assert len(leaders) == 1 + 3 + 6 + 12
    assert leaders["400001"] == "32"
    assert [leaders[f"4{n}0001"] for n in (1, 2, 3)] == ["3201", "3202", "3203"]
    assert leaders["410301"] == "3202-01"  # center 03 is the second city's first
    assert leaders["420621"] == "3203-02-02"  # center 06, its second department
    last = AssessmentMonth.objects.order_by("-month").values_list("month", flat=True).first()
    states = dict(AssessmentMonth.objects.filter(month=last).values_list("company__code", "state"))
    assert states == {
        "3201": MonthState.REVIEW,
        "3202": MonthState.REVIEW,
        "3203": MonthState.DRAFT,
    }
    # Every published month of every city is paid: the same months in each city.
    runs = PayRun.objects.filter(status=PayRunStatus.APPROVED)
    months = sorted(set(runs.values_list("month", flat=True)))
    assert len(months) >= 3 and max(months) < last
    assert sorted(runs.values_list("company__code", flat=True)) == sorted(
        ["3201", "3202", "3203"] * len(months)
    )
    assert not AssessmentMonth.objects.exclude(month=last).exclude(state=MonthState.PUBLISHED)
    # Licence numbers and addresses follow each retailer's city.
    shop = Retailer.objects.filter(territory__department__company=cities[2]).first()
    assert shop.license_no.startswith("3203") and shop.address.startswith("南湖市")


def assert_months_in_order(today):
    """DOMAIN §4: every month with data before the one in review is published (with its pay
    run); none is a draft or never assessed (未考核), so the months page has no gap."""
    from assessment.demo import published_months
    from assessment.models import AssessmentMonth, MonthState
    from assessment.selectors import month_rows, months_blocking_review
    from reports.models import PayRun, PayRunStatus
    from retailers.models import add_months, month_start

    review = add_months(month_start(today), -1)
    company = OrgUnit.objects.sole_company()
    rows = {row.month: row.state for row in month_rows(company, today=today)}
    published = published_months(today)
    assert 3 <= len(published) <= 5 and add_months(published[-1], 1) == review
    assert rows == {review: MonthState.REVIEW} | dict.fromkeys(published, MonthState.PUBLISHED)
    assert months_blocking_review(review, company) == []
    assert published[0].month in (1, 4, 7, 10)  # a quarter's first: its tiers were reviewed
    publishers = AssessmentMonth.objects.filter(company=company, state=MonthState.PUBLISHED)
    assert set(publishers.values_list("published_by__role", flat=True)) == {Role.ASSESSMENT_CENTER}
    runs = PayRun.objects.filter(company=company, status=PayRunStatus.APPROVED)
    assert sorted(runs.values_list("month", flat=True)) == published


def test_progress_lines_and_months_in_order(monkeypatch):
    monkeypatch.setitem(retailer_demo.RETAILERS_PER_TERRITORY, "small", 2)
    output = seed("--seed", "5")
    lines = output.splitlines()
    phases = [line.split(":")[0].strip() for line in lines if line.endswith(" s)")]
    assert phases == ["accounts", "retailers", "visits", "assessment", "reports"]
    retailers_line = next(line for line in lines if line.startswith("  retailers:"))
    assert f"{Retailer.objects.count():,} " in retailers_line  # 12 territories × 2
    assert any(line.startswith("Demo seeded in ") for line in lines)
    assert_months_in_order(timezone.localdate())


def test_months_in_order_in_a_quarters_first_month(monkeypatch):
    """Last month closes a quarter: its quarter is not reviewed yet, the one before is (the
    seed used to publish last month too, and failed: it was already in review)."""
    from types import SimpleNamespace

    from accounts.management.commands import seed_demo

    today = timezone.localdate()
    first_of_quarter = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    clock = SimpleNamespace(localdate=lambda: first_of_quarter, now=timezone.now)
    monkeypatch.setattr(seed_demo, "timezone", clock)
    monkeypatch.setitem(retailer_demo.RETAILERS_PER_TERRITORY, "small", 1)
    seed("--verbosity", "0")
    assert_months_in_order(first_of_quarter)


def test_quiet_at_verbosity_zero(monkeypatch):
    monkeypatch.setitem(retailer_demo.RETAILERS_PER_TERRITORY, "small", 1)
    output = seed("--verbosity", "0")
    assert " s)" not in output and "Demo seeded" not in output
