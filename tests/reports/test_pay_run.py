"""The pay run end to end: published scores + credited sales + tiers → exact bonuses;
maker/checker; re-runs; set-wise inputs (DOMAIN.md §5–§6)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.models import Role, User
from assessment.models import AssessmentMonth, ManagerScore
from assessment.services import month_close, month_publish, month_start_review
from reports.models import ManagerTier, PayLine, PayRun, PayRunStatus
from reports.services import pay as services
from tests.factories import (
    BrandFactory,
    OrderLineFactory,
    RetailerFactory,
    TerritoryFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are translated (zh-hans by default); the tests compare the English msgids."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


OCT = date(2026, 10, 1)
SCORES = {"a1": "88.00", "a2": "95.00", "b1": "90.00", "b2": "103.00"}
# Hand-computed (DOMAIN defaults):
# A1 five star (row in force from 2026-07): 10 箱 一类 × 40 + 1.332 箱 四类 × 12 = 415.984;
#    × 0.88 × 1.3 = 475.885696 → 475.89; + 1000 = 1475.89.
# A2 no tier row, hired 2026-03 → probation: 5 箱 三类 × 20 = 100 × 0.95 × 0.8 = 76.00 + 0.
# B1 no tier row, hire date unknown → one star: 4 箱 五类 × 8 = 32 × 0.9 × 0.9 = 25.92 + 200.
# B2 two star, no sales, score 103 → the allowance alone: 400.00.
EXPECTED = {
    "a1": Decimal("1475.89"),
    "a2": Decimal("76.00"),
    "b1": Decimal("225.92"),
    "b2": Decimal("400.00"),
}


def managers(org):
    return {"a1": org.a.cm, "a2": org.a.cm2, "b1": org.b.cm, "b2": org.b.cm2}


def publish(month, totals):
    """Close, review and publish ``month``; then pin the totals to known values."""
    month_close(month=month)
    month_start_review(month=month, now=timezone.now() - timedelta(days=6))  # window over
    month_publish(month=month)
    for manager, total in totals.items():
        ManagerScore.objects.filter(assessment__month=month, manager=manager).update(
            total=Decimal(total)
        )


@pytest.fixture
def october(org):
    one, three, four, five = (BrandFactory(price_class=c) for c in (1, 3, 4, 5))
    shop_a1 = RetailerFactory(territory=org.a.territory)
    shop_a2 = RetailerFactory(territory=org.a.territory2)
    shop_b1 = RetailerFactory(territory=org.b.territory)
    OrderLineFactory(retailer=shop_a1, brand=one, order_date=date(2026, 10, 1), quantity=2000)
    OrderLineFactory(retailer=shop_a1, brand=one, order_date=date(2026, 10, 31), quantity=500)
    OrderLineFactory(retailer=shop_a1, brand=four, order_date=date(2026, 10, 9), quantity=333)
    OrderLineFactory(retailer=shop_a1, brand=one, order_date=date(2026, 9, 30), quantity=9999)
    OrderLineFactory(retailer=shop_a1, brand=one, order_date=date(2026, 11, 1), quantity=9999)
    OrderLineFactory(retailer=shop_a2, brand=three, order_date=date(2026, 10, 5), quantity=1250)
    OrderLineFactory(retailer=shop_b1, brand=five, order_date=date(2026, 10, 6), quantity=1000)
    ManagerTier.objects.create(manager=org.a.cm, tier="one_star", effective_from=date(2025, 1, 1))
    ManagerTier.objects.create(manager=org.a.cm, tier="five_star", effective_from=date(2026, 7, 1))
    ManagerTier.objects.create(manager=org.a.cm, tier="two_star", effective_from=date(2026, 11, 1))
    ManagerTier.objects.create(manager=org.b.cm2, tier="two_star", effective_from=date(2026, 1, 1))
    User.objects.filter(pk=org.a.cm2.pk).update(hire_date=date(2026, 3, 1))
    m = managers(org)
    publish(OCT, {m[key]: total for key, total in SCORES.items()})
    return m


def arrived_before_publication():
    """The lines a test adds after ``publish`` count as known when October was published
    (a month's own run counts only those: DOMAIN §10.7)."""
    AssessmentMonth.objects.filter(month=OCT).update(published_at=timezone.now())


def bonuses(run):
    return dict(PayLine.objects.filter(run=run).values_list("manager_id", "bonus"))


def test_prepare_computes_exact_bonuses(org, october):
    run = services.pay_run_prepare(month=OCT, user=org.hr)
    assert (run.month, run.status, run.prepared_by) == (OCT, PayRunStatus.PREPARED, org.hr)
    assert bonuses(run) == {october[key].pk: EXPECTED[key] for key in EXPECTED}
    a1 = PayLine.objects.get(run=run, manager=org.a.cm)
    assert (a1.cartons_1, a1.cartons_4, a1.cartons_3) == (2500, 333, 0)
    assert a1.piece_pay == Decimal("415.9840")
    assert (a1.score, a1.score_coefficient) == (Decimal("88.00"), Decimal("0.8800"))
    assert (a1.tier, a1.tier_coefficient, a1.allowance) == ("five_star", Decimal("1.3"), 1000)
    assert (a1.center_name, a1.department_name, a1.territory_name) == (
        "A营销部",
        "A第一客户服务部",
        "A一号片区",
    )
    assert "共 1,475.89 元" in a1.explanation["text"]
    assert "round(" not in a1.explanation["text"]
    tiers = dict(PayLine.objects.filter(run=run).values_list("manager_id", "tier"))
    assert tiers[org.a.cm2.pk] == "probation"
    assert tiers[org.b.cm.pk] == "one_star"
    b2 = PayLine.objects.get(run=run, manager=org.b.cm2)
    assert b2.score_coefficient == Decimal("1.03")


def test_returns_net_per_price_class_floored_at_zero(org, october):
    """DOMAIN §10.5. A1 returns in October 250 条 of its September 一类 line: 一类 nets
    2500 − 250 = 2250 → 9 箱 × 40 + 1.332 箱 × 12 = 375.984 × 0.88 × 1.3 = 430.125696 →
    430.13 + 1000 = 1430.13. A2 returns in October 1500 条 of a September 三类 line: 三类
    nets 1250 − 1500 < 0 → 0, and its 一类 sale of 250 is unaffected: 1 箱 × 40 = 40 × 0.95
    × 0.8 = 30.40 (without the floor: (40 − 1 × 20) × 0.76 = 15.20)."""
    shop_a1 = org.a.territory.retailers.get()
    shop_a2 = org.a.territory2.retailers.get()
    line = OrderLineFactory
    one = shop_a1.order_lines.get(order_date=date(2026, 9, 30))
    three = line(
        retailer=shop_a2,
        brand=BrandFactory(price_class=3),
        order_date=date(2026, 9, 2),
        quantity=2000,
    )
    for original, quantity, day in ((one, 250, 12), (three, 1500, 20)):
        line(
            retailer=original.retailer,
            brand=original.brand,
            order_date=date(2026, 10, day),
            quantity=-quantity,
            amount=-original.brand.wholesale_price * quantity,
            returns_line=original,
        )
    line(retailer=shop_a2, brand=one.brand, order_date=date(2026, 10, 7), quantity=250)
    arrived_before_publication()

    run = services.pay_run_prepare(month=OCT, user=org.hr)
    paid = bonuses(run)
    assert paid[org.a.cm.pk] == Decimal("1430.13")
    assert paid[org.a.cm2.pk] == Decimal("30.40")
    a2 = PayLine.objects.get(run=run, manager=org.a.cm2)
    assert (a2.cartons_1, a2.cartons_3) == (250, 0)


def test_default_tier_from_hire_date():
    assert services.default_tier(date(2025, 11, 1), OCT) == "probation"
    assert services.default_tier(date(2025, 10, 31), OCT) == "one_star"
    assert services.default_tier(None, OCT) == "one_star"


def test_refuses_unpublished_month(org):
    month_close(month=OCT)
    with pytest.raises(ValidationError, match="not published"):
        services.pay_run_prepare(month=OCT, user=org.hr)
    month_start_review(month=OCT)
    with pytest.raises(ValidationError, match="not published"):
        services.pay_run_prepare(month=OCT, user=org.hr)
    assert not PayRun.objects.exists()


def test_only_hr_or_admin_prepare(org, october):
    for user in (org.assessor, org.a.cm, org.a.center_supervisor):
        with pytest.raises(PermissionDenied):
            services.pay_run_prepare(month=OCT, user=user)
    assert services.pay_run_prepare(month=OCT, user=org.admin).prepared_by == org.admin


def test_rerun_replaces_lines(org, october):
    run = services.pay_run_prepare(month=OCT, user=org.hr)
    first_ids = set(PayLine.objects.values_list("pk", flat=True))
    ManagerScore.objects.filter(manager=org.b.cm2).update(total=Decimal("50.00"))
    again = services.pay_run_prepare(month=OCT, user=org.admin)
    assert again.pk == run.pk and again.prepared_by == org.admin
    assert PayRun.objects.count() == 1
    assert PayLine.objects.count() == 4
    assert first_ids.isdisjoint(PayLine.objects.values_list("pk", flat=True))
    assert bonuses(again)[org.b.cm2.pk] == Decimal("400.00")  # zero sales: allowance alone
    assert bonuses(again)[org.a.cm.pk] == EXPECTED["a1"]


def test_maker_checker(org, october):
    run = services.pay_run_prepare(month=OCT, user=org.hr)
    with pytest.raises(ValidationError, match="someone other"):
        services.pay_run_approve(run=run, user=org.hr)
    with pytest.raises(PermissionDenied):
        services.pay_run_approve(run=run, user=org.assessor)
    run.refresh_from_db()
    assert run.status == PayRunStatus.PREPARED
    # The database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        PayRun.objects.filter(pk=run.pk).update(status=PayRunStatus.APPROVED, approved_by=org.hr)
    approved = services.pay_run_approve(run=run, user=org.admin)
    assert (approved.status, approved.approved_by) == (PayRunStatus.APPROVED, org.admin)
    assert approved.approved_at is not None
    entry = LogEntry.objects.get_for_object(approved).order_by("-timestamp", "-pk").first()
    assert entry.changes_dict["status"] == ["prepared", "approved"]
    with pytest.raises(ValidationError, match="already approved"):
        services.pay_run_approve(run=run, user=org.admin)


def test_approved_run_refuses_rerun(org, october):
    run = services.pay_run_prepare(month=OCT, user=org.hr)
    services.pay_run_approve(run=run, user=org.admin)
    before = bonuses(run)
    ManagerScore.objects.filter(manager=org.b.cm2).update(total=Decimal("50.00"))
    with pytest.raises(ValidationError, match="approved and final"):
        services.pay_run_prepare(month=OCT, user=org.hr)
    assert bonuses(run) == before


def _add_managers(org, count):
    assessment = AssessmentMonth.objects.get(month=OCT)
    brand = BrandFactory(price_class=2)
    for n in range(count):
        manager = UserFactory(role=Role.CUSTOMER_MANAGER, org_unit=org.b.department)
        territory = TerritoryFactory(department=org.b.department, manager=manager)
        shop = RetailerFactory(territory=territory)
        OrderLineFactory(retailer=shop, brand=brand, order_date=date(2026, 10, 20), quantity=250)
        if n % 2:
            ManagerTier.objects.create(manager=manager, tier="three_star", effective_from=OCT)
        ManagerScore.objects.create(
            assessment=assessment,
            manager=manager,
            territory=territory,
            bonus_raw=0,
            bonus=0,
            total=Decimal("80.00"),
            sales_boxes=1,
        )


def test_prepare_query_count_does_not_grow_with_managers(org, october):
    services.pay_run_prepare(month=OCT, user=org.hr)
    with CaptureQueriesContext(connection) as few:
        services.pay_run_prepare(month=OCT, user=org.hr)
    _add_managers(org, 12)
    arrived_before_publication()
    with CaptureQueriesContext(connection) as many:
        run = services.pay_run_prepare(month=OCT, user=org.hr)
    assert PayLine.objects.filter(run=run).count() == 16
    assert len(many) == len(few), [q["sql"] for q in many]
    # 1 箱 二类 × 30 × 0.8 × 1.1 = 26.40 + 600 (three star, from October).
    assert PayLine.objects.filter(run=run, bonus=Decimal("626.40")).count() == 6


def test_commands_prepare_and_approve(org, october):
    call_command("run_pay", "2026-10", "--user", org.hr.employee_no)
    run = PayRun.objects.get(month=OCT)
    assert bonuses(run)[org.a.cm.pk] == EXPECTED["a1"]
    with pytest.raises(CommandError, match="someone other"):
        call_command("approve_pay", "2026-10", "--user", org.hr.employee_no)
    call_command("approve_pay", "2026-10", "--user", org.admin.employee_no)
    run.refresh_from_db()
    assert run.status == PayRunStatus.APPROVED
    with pytest.raises(CommandError, match="approved and final"):
        call_command("run_pay", "2026-10", "--user", org.hr.employee_no)
    with pytest.raises(CommandError, match="No user"):
        call_command("run_pay", "2026-10", "--user", "nobody")


def test_task_calls_the_service(org, october, celery_eager):
    from reports.tasks import run_pay

    result = run_pay.delay("2026-10-01", org.hr.pk).get()
    assert result == {"month": "2026-10-01", "run": PayRun.objects.get().pk, "lines": 4}
    assert bonuses(PayRun.objects.get())[org.a.cm2.pk] == EXPECTED["a2"]
