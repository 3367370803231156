"""Month close end to end on hand-computed cases of the default scheme (DOMAIN.md §4)."""

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from assessment.models import (
    AssessmentMonth,
    Inspection,
    ItemScore,
    ManagerScore,
    ScoreAdjustment,
)
from assessment.services import (
    MonthBusy,
    appeal_decide,
    appeal_file,
    bonus_grant,
    inspection_record,
    month_close,
    month_publish,
    month_start_review,
)
from retailers.models import Brand, KeyBrandMonth, SalesTarget, ShelfTarget
from tests.factories import (
    BrandFactory,
    OrderLineFactory,
    RetailerFactory,
    TerritoryFactory,
    UserFactory,
)
from visits.models import (
    InformationItem,
    SatisfactionSurvey,
    ShelfObservation,
    Visit,
    VisitPlan,
)

TZ = ZoneInfo("Asia/Shanghai")
OCT = date(2026, 10, 1)


def at(day, hour=10):
    return datetime.combine(day, datetime.min.time(), TZ).replace(hour=hour)


def visit(manager, retailer, day):
    return Visit.objects.create(
        manager=manager,
        retailer=retailer,
        territory=retailer.territory,
        checked_in_at=at(day),
        check_in_date=day,
        checked_out_at=at(day, 11),
    )


@pytest.fixture
def october(org):
    """Manager A1 above target everywhere; A2, B1 and B2 with no targets (不适用)."""
    cm = org.a.cm
    shop1 = RetailerFactory(territory=org.a.territory, abc_class="C")
    shop2 = RetailerFactory(territory=org.a.territory, abc_class="C")
    plain, key = BrandFactory(price_class=3), BrandFactory(price_class=1)
    new = BrandFactory(launch_date=date(2026, 9, 1))
    KeyBrandMonth.objects.create(brand=key, month=OCT)
    ShelfTarget.objects.create(brand=new, month=OCT, org_unit=org.company, rate=Decimal("0.5"))
    SalesTarget.objects.create(
        manager=cm, month=OCT, total_boxes=Decimal("10"), key_brand_boxes=Decimal("2")
    )
    # 12 箱 in October (2,250 plain + 750 key 条), 3 箱 of them key; September does not count.
    OrderLineFactory(retailer=shop1, brand=plain, order_date=date(2026, 10, 5), quantity=2250)
    OrderLineFactory(retailer=shop2, brand=key, order_date=date(2026, 10, 31), quantity=750)
    OrderLineFactory(retailer=shop2, brand=key, order_date=date(2026, 9, 30), quantity=9999)
    for shop, day in ((shop1, date(2026, 10, 10)), (shop2, date(2026, 10, 12))):
        VisitPlan.objects.create(
            manager=cm,
            territory=shop.territory,
            retailer=shop,
            month=OCT,
            window_start=OCT,
            window_end=date(2026, 10, 31),
            planned_class="C",
            scheduled_for=day,
        )
        observed = visit(cm, shop, day)
        ShelfObservation.objects.create(
            visit=observed,
            retailer=shop,
            observed_at=observed.checked_in_at,
            brand=new,
            on_shelf=True,
        )
    for n in range(8):
        InformationItem.objects.create(
            kind="price",
            content=f"信息{n}",
            reported_by=cm,
            territory=org.a.territory,
            reported_at=at(date(2026, 10, 1 + n)),
        )
    for score in (5, 5):
        SatisfactionSurvey.objects.create(
            retailer=shop1,
            score=score,
            surveyed_on=date(2026, 10, 20),
            channel="phone",
            recorded_by=org.assessor,
        )
    bonus_grant(
        user=org.a.dept_supervisor,
        manager_id=cm.pk,
        day=date(2026, 10, 20),
        points=Decimal(3),
        reason="假烟线索查实",
    )
    # B1: 4 information items; deductions at all three levels.
    for n in range(4):
        InformationItem.objects.create(
            kind="brand",
            content=f"B信息{n}",
            reported_by=org.b.cm,
            territory=org.b.territory,
            reported_at=at(date(2026, 10, 3 + n)),
        )
    inspection_record(
        inspector=org.b.dept_supervisor,
        manager_id=org.b.cm.pk,
        inspected_on=date(2026, 10, 8),
        item_code="info",
        points=Decimal(6),
        reason="信息不实",
    )
    inspection_record(
        inspector=org.b.center_supervisor,
        manager_id=org.b.cm.pk,
        inspected_on=date(2026, 10, 9),
        item_code="info",
        points=Decimal(5),
        reason="重复上报",
    )
    inspection_record(
        inspector=org.assessor,
        manager_id=org.b.cm.pk,
        inspected_on=date(2026, 10, 10),
        item_code="discipline",
        points=Decimal(3),
        reason="着装不规范",
    )
    # B2: bonus over the cap.
    for points in (4, 3):
        bonus_grant(
            user=org.b.center_supervisor,
            manager_id=org.b.cm2.pk,
            day=date(2026, 10, 15),
            points=Decimal(points),
            reason="加分",
        )
    return org


def items(manager):
    score = ManagerScore.objects.get(manager=manager, assessment__month=OCT)
    return score, {i.code: i.points for i in score.items.all()}


@pytest.mark.django_db
def test_hand_computed_scores(october):
    org = october
    assert month_close(month=OCT) == {"month": "2026-10-01", "company": "C0", "managers": 4}

    score, points = items(org.a.cm)
    assert score.sales_boxes == Decimal("12.0000")
    assert points == {
        "sales": Decimal("25.00"),
        "key_brand": Decimal("10.00"),
        "new_shelf": Decimal("15.00"),
        "visits": Decimal("15.00"),
        "info": Decimal("10.00"),
        "satisfaction": Decimal("10.00"),
        "discipline": Decimal("15.00"),
    }
    assert (score.bonus, score.total) == (Decimal("3.00"), Decimal("103.00"))

    # No target, no survey, no plan, no new brand in an empty territory: 不适用 → full points.
    score, points = items(org.a.cm2)
    assert points["info"] == Decimal("0.00")
    assert score.total == Decimal("90.00")
    na = {i.code for i in score.items.all() if not i.applicable}
    assert na == {"sales", "key_brand", "new_shelf", "visits", "satisfaction"}

    # info earned 10 × 4 ÷ 8 = 5, deductions 6 + 5 → 0 (not −6); discipline 15 − 3 = 12.
    score, points = items(org.b.cm)
    assert (points["info"], points["discipline"]) == (Decimal("0.00"), Decimal("12.00"))
    info = score.items.get(code="info")
    assert (info.earned, info.deductions) == (Decimal("5.0000"), Decimal("11.00"))
    assert score.total == Decimal("87.00")

    # Bonus 4 + 3 = 7 → capped at 5.
    score, _ = items(org.b.cm2)
    assert (score.bonus_raw, score.bonus, score.total) == (
        Decimal("7.00"),
        Decimal("5.00"),
        Decimal("95.00"),
    )


@pytest.mark.django_db
def test_explanations_name_inputs_and_evidence(october):
    month_close(month=OCT)
    score, _ = items(october.b.cm)
    info = score.items.get(code="info").explanation
    inspection_ids = sorted(
        Inspection.objects.filter(manager=october.b.cm, item_code="info").values_list(
            "pk", flat=True
        )
    )
    assert sorted(info["evidence"]["inspections"]) == inspection_ids
    assert info["text"]
    sales = items(october.a.cm)[0].items.get(code="sales").explanation
    assert "12" in sales["formula"] and "10" in sales["formula"]
    new_shelf = items(october.a.cm)[0].items.get(code="new_shelf").explanation
    new_brand = Brand.objects.get(launch_date=date(2026, 9, 1))
    assert new_brand.name in new_shelf["text"]  # named, not just an id


@pytest.mark.django_db
def test_reclose_is_idempotent(october):
    month_close(month=OCT)
    before = sorted(ManagerScore.objects.values_list("manager_id", "total", "bonus"))
    rows = ItemScore.objects.count()
    month_close(month=OCT)
    assert sorted(ManagerScore.objects.values_list("manager_id", "total", "bonus")) == before
    assert ItemScore.objects.count() == rows == 4 * 7


@pytest.mark.django_db
def test_close_query_count_does_not_grow_with_managers(october):
    month_close(month=OCT)  # both measured closes replace existing rows
    with CaptureQueriesContext(connection) as small:
        month_close(month=OCT)
    for _ in range(6):
        manager = UserFactory(role=Role.CUSTOMER_MANAGER, org_unit=october.a.department)
        territory = TerritoryFactory(department=october.a.department, manager=manager)
        RetailerFactory(territory=territory)
    with CaptureQueriesContext(connection) as large:
        month_close(month=OCT)
    assert ManagerScore.objects.count() == 10
    assert len(large) == len(small)


@pytest.mark.django_db
def test_states_and_locks(october):
    org = october
    month_close(month=OCT)
    with pytest.raises(ValidationError, match="只有复核中的月份可以发布"):
        month_publish(month=OCT)
    month_start_review(month=OCT, now=datetime.now(TZ) - timedelta(days=6))
    with pytest.raises(ValidationError):
        month_close(month=OCT)  # only a draft is recomputed
    month_publish(month=OCT, user=org.assessor)
    with pytest.raises(ValidationError) as excinfo:
        month_close(month=OCT)
    assert "2026-10" in excinfo.value.messages[0]
    with pytest.raises(CommandError):
        call_command("close_month", "2026-10")


@pytest.mark.django_db
def test_late_inspection_after_publish_is_next_month_adjustment(october):
    """A deduction dated in a published month stays in that month, is late data of it, and
    reaches the next open month as its 调整 line; October is never rewritten (DOMAIN §4)."""
    org = october
    month_close(month=OCT)
    month_start_review(month=OCT, now=datetime.now(TZ) - timedelta(days=6))
    month_publish(month=OCT)
    total = ManagerScore.objects.get(manager=org.a.cm, assessment__month=OCT).total
    late = inspection_record(
        inspector=org.a.dept_supervisor,
        manager_id=org.a.cm.pk,
        inspected_on=date(2026, 10, 30),
        item_code="visits",
        points=Decimal(2),
        reason="补录：十月走访记录不实",
    )
    assert (late.month, late.adjusts_month) == (OCT, None)
    assert (late.late.month, late.late.kind, late.late.carried_in) == (OCT, "inspection", None)
    assert ManagerScore.objects.get(manager=org.a.cm, assessment__month=OCT).total == total
    month_close(month=date(2026, 11, 1))
    november = ManagerScore.objects.get(manager=org.a.cm, assessment__month=date(2026, 11, 1))
    # Not a deduction of November: October's visits item 15 → 13, so 103 → 101: −2.
    assert november.items.get(code="visits").deductions == Decimal("0.00")
    line = ScoreAdjustment.objects.get(manager=org.a.cm)
    assert (line.source_month, line.points) == (OCT, Decimal("-2.00"))
    assert (line.published_total, line.recomputed_total) == (Decimal("103.00"), Decimal("101.00"))
    assert november.adjustment == Decimal("-2.00")
    assert november.total == november.base_total - 2
    assert ManagerScore.objects.get(manager=org.a.cm, assessment__month=OCT).total == total


@pytest.mark.django_db
def test_appeal_accepted_changes_the_score_rejected_does_not(october):
    org = october
    month_close(month=OCT)
    month_start_review(month=OCT, now=datetime.now(TZ))
    info_level3 = Inspection.objects.get(manager=org.b.cm, level=3)
    discipline_level1 = Inspection.objects.get(manager=org.b.cm, level=1)
    first = appeal_file(inspection=discipline_level1, user=org.b.cm, reason="当天着装符合规定")
    appeal_decide(appeal=first, user=org.admin, accept=False, reason="有照片为证")
    assert ManagerScore.objects.get(manager=org.b.cm, assessment__month=OCT).total == Decimal(
        "87.00"
    )

    second = appeal_file(inspection=info_level3, user=org.b.cm, reason="信息经核实属实")
    with pytest.raises(PermissionDenied):  # the inspector's own level cannot decide
        appeal_decide(appeal=second, user=org.b.dept_supervisor, accept=True, reason="x")
    appeal_decide(appeal=second, user=org.b.center_supervisor, accept=True, reason="核实无误")
    score = ManagerScore.objects.get(manager=org.b.cm, assessment__month=OCT)
    # info: 5 earned − the 5 points still deducted = 0, so this withdrawal leaves 87.
    assert score.items.get(code="info").deductions == Decimal("5.00")
    assert score.items.get(code="info").points == Decimal("0.00")
    assert ManagerScore.objects.filter(assessment__month=OCT).count() == 4


@pytest.mark.django_db
def test_accepted_appeal_raises_the_total(october):
    org = october
    month_close(month=OCT)
    month_start_review(month=OCT)
    discipline = Inspection.objects.get(manager=org.b.cm, level=1)
    appeal = appeal_file(inspection=discipline, user=org.b.cm, reason="已整改")
    with pytest.raises(ValidationError, match="还有 1 条申诉待处理"):
        month_publish(month=OCT, now=datetime.now(TZ) + timedelta(days=6))
    appeal_decide(appeal=appeal, user=org.admin, accept=True, reason="同意")
    score = ManagerScore.objects.get(manager=org.b.cm, assessment__month=OCT)
    assert score.items.get(code="discipline").points == Decimal("15.00")
    assert score.total == Decimal("90.00")


@pytest.mark.django_db
def test_inspector_only_inside_subtree(october):
    org = october
    with pytest.raises(User.DoesNotExist):
        inspection_record(
            inspector=org.b.dept_supervisor,
            manager_id=org.a.cm.pk,
            inspected_on=date(2026, 10, 8),
            item_code="info",
            points=Decimal(1),
            reason="x",
        )
    assert not Inspection.objects.filter(manager=org.a.cm).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_close_is_refused(october):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises writers itself)")
    month_close(month=OCT)
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        from django.db import connections

        with transaction.atomic():
            AssessmentMonth.objects.select_for_update().get(month=OCT)
            locked.set()
            release.wait(10)
        connections.close_all()

    thread = threading.Thread(target=hold_lock)
    thread.start()
    locked.wait(10)
    try:
        with pytest.raises(MonthBusy):
            month_close(month=OCT)
    finally:
        release.set()
        thread.join()
    assert ManagerScore.objects.filter(assessment__month=OCT).count() == 4
