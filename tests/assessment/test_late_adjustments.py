"""Late data of a published month: 调整 lines in the next open month and 补发/扣回 in its pay
run, hand-computed from DOMAIN.md §4, §5, §10.5–§10.8 with the default scheme and pay rules.

The base case, manager A1 (org.a.cm), no tier row and no hire date → 一星 (0.9, 200 元):
October: sales target 10 箱, 8 箱 一类 sold → sales 25 × 8 ÷ 10 = 20.00; key brand no target
10 (不适用); no new brand 15 (不适用); no planned visit 15 (不适用); 0 information items →
0.00; no survey 10 (不适用); discipline 15. Total 85.00; pay 8 × 40 = 320 × 0.85 × 0.9 =
244.80 + 200 = 444.80.
November (no data): 25 + 10 + 15 + 15 + 0 + 10 + 15 = 90.00; pay: the allowance, 200.00.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Role
from assessment.adjustments import note_late
from assessment.models import (
    AssessmentMonth,
    ItemScore,
    LateEntry,
    LateKind,
    ManagerScore,
    ScoreAdjustment,
)
from assessment.services import (
    bonus_grant,
    inspection_record,
    month_close,
    month_publish,
    month_start_review,
)
from reports.models import PayAdjustment, PayLine
from reports.pay import PayRules, late_pay
from reports.services.pay import pay_run_approve, pay_run_prepare
from retailers.models import SalesTarget
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory
from visits.models import Complaint, Visit, VisitPlan, VisitStatus

TZ = ZoneInfo("Asia/Shanghai")
OCT, NOV, DEC = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)
EARLY = datetime(2026, 11, 2, 9, 0, tzinfo=TZ)  # lines of the month arrived then


def publish(month):
    """Close, review (window over) and publish ``month`` an hour ago; what arrives from now
    on is late data of it."""
    month_close(month=month)
    month_start_review(month=month, now=timezone.now() - timedelta(days=6))
    month_publish(month=month, now=timezone.now() - timedelta(hours=1))


def score_of(manager, month):
    return ManagerScore.objects.get(manager=manager, assessment__month=month)


def lines_of(manager):
    return list(
        ScoreAdjustment.objects.filter(manager=manager).values_list(
            "assessment__month", "source_month", "points"
        )
    )


def late_lines(company, day, note="订单行"):
    note_late(kind=LateKind.ORDER_LINES, company=company, day=day, note=note)


@pytest.fixture
def base(org):
    return late_base(org)


def late_base(org):
    """October published (A1 85.00); ``late_order`` then adds late lines to it."""
    cm = org.a.cm
    org.shop = RetailerFactory(territory=org.a.territory)
    org.one = BrandFactory(price_class=1)
    SalesTarget.objects.create(manager=cm, month=OCT, total_boxes=Decimal("10"))
    org.sold = OrderLineFactory(
        retailer=org.shop, brand=org.one, order_date=date(2026, 10, 5), quantity=2000
    )
    OrderLineFactory._meta.model.objects.update(arrived_at=EARLY)
    publish(OCT)
    return org


def late_order(org, quantity, day=date(2026, 10, 20), **extra):
    line = OrderLineFactory(
        retailer=org.shop,
        brand=org.one,
        order_date=day,
        quantity=quantity,
        amount=org.one.wholesale_price * quantity,
        **extra,
    )
    late_lines(org.company, day)
    return line


@pytest.mark.django_db
def test_late_order_lines_adjust_the_score_and_are_paid_as_back_pay(base):
    org = base
    october = score_of(org.a.cm, OCT)
    assert (october.total, october.base_total) == (Decimal("85.00"), Decimal("85.00"))
    run = pay_run_prepare(month=OCT, user=org.hr)
    pay_run_approve(run=run, user=org.admin)
    assert PayLine.objects.get(run=run, manager=org.a.cm).bonus == Decimal("444.80")

    late_order(org, 500)  # 2 箱 一类 more: 10 箱, sales 25 × 10 ÷ 10 = 25.00
    month_close(month=NOV)
    assert lines_of(org.a.cm) == [(NOV, OCT, Decimal("5.00"))]
    november = score_of(org.a.cm, NOV)
    assert (november.base_total, november.adjustment, november.total) == (
        Decimal("90.00"),
        Decimal("5.00"),
        Decimal("95.00"),
    )
    line = ScoreAdjustment.objects.get(manager=org.a.cm)
    assert "调整（2026-10）" in line.explanation["text"]
    assert "销量任务 20.00 → 25.00" in line.explanation["text"]
    assert line.explanation["late_cartons"] == 500
    # October is never rewritten; the approved run neither.
    assert score_of(org.a.cm, OCT).total == Decimal("85.00")
    assert PayLine.objects.get(run=run, manager=org.a.cm).bonus == Decimal("444.80")

    publish(NOV)
    november_run = pay_run_prepare(month=NOV, user=org.hr)
    # 补发: (10 − 8) 箱 × 40 = 80 × 0.85 (October as published) × 0.9 = 61.20.
    back = PayAdjustment.objects.get(run=november_run, manager=org.a.cm)
    assert (back.source_month, back.late_piece_pay, back.amount) == (
        OCT,
        Decimal("80.0000"),
        Decimal("61.20"),
    )
    assert back.explanation["text"].startswith("补发（2026-10）")
    paid = PayLine.objects.get(run=november_run, manager=org.a.cm)
    assert (paid.piece_pay, paid.adjustment, paid.bonus) == (
        Decimal("0"),
        Decimal("61.20"),
        Decimal("261.20"),  # the allowance 200 + 61.20
    )


@pytest.mark.django_db
def test_a_return_after_publication_is_recovered(base):
    """A return of 750 条 of the October line, dated 2026-10-25, arriving after publication:
    October nets 1,250 条 = 5 箱 → sales 12.50 (−7.50); pay (5 − 8) × 40 = −120 × 0.85 ×
    0.9 = −91.80 (扣回)."""
    org = base
    run = pay_run_prepare(month=OCT, user=org.hr)
    pay_run_approve(run=run, user=org.admin)
    late_order(org, -750, day=date(2026, 10, 25), returns_line=org.sold)
    month_close(month=NOV)
    assert lines_of(org.a.cm) == [(NOV, OCT, Decimal("-7.50"))]
    assert score_of(org.a.cm, NOV).total == Decimal("82.50")
    publish(NOV)
    november_run = pay_run_prepare(month=NOV, user=org.hr)
    back = PayAdjustment.objects.get(run=november_run, manager=org.a.cm)
    assert back.amount == Decimal("-91.80")
    assert back.explanation["text"].startswith("扣回（2026-10）")
    assert PayLine.objects.get(run=november_run, manager=org.a.cm).bonus == Decimal("108.20")


@pytest.mark.django_db
def test_own_run_counts_only_lines_known_at_publication(base):
    org = base
    late_order(org, 500)
    run = pay_run_prepare(month=OCT, user=org.hr)
    line = PayLine.objects.get(run=run, manager=org.a.cm)
    assert (line.cartons_1, line.bonus) == (2000, Decimal("444.80"))


def test_late_pay_rounds_once_half_up_on_the_absolute_value():
    rules = PayRules.from_data(
        piece_rates={"1": 40},
        score_mode="linear",
        score_bands=[],
        tiers={"one_star": {"coefficient": 1, "allowance": 0}},
    )
    # 25 条 一类 fewer: −4.00 × 0.25125 × 1 = −1.005 → −1.01 (not −1.00).
    result = late_pay(
        month=OCT,
        with_late={1: 0},
        as_published={1: 25},
        score_coefficient=Decimal("0.25125"),
        tier_coefficient=Decimal("1"),
        paid_before=Decimal(0),
        rules=rules,
    )
    assert (result.late_piece_pay, result.amount) == (Decimal("-4.00"), Decimal("-1.01"))


@pytest.fixture
def visited(org):
    """A1 has two planned visits in October, both completed: visits 15.00; with 8 information
    items and no target: 25 + 10 + 15 + 15 + 10 + 10 + 15 = 100.00."""
    cm = org.a.cm
    for day in (10, 12):
        shop = RetailerFactory(territory=org.a.territory)
        VisitPlan.objects.create(
            manager=cm,
            territory=shop.territory,
            retailer=shop,
            month=OCT,
            window_start=OCT,
            window_end=date(2026, 10, 31),
            planned_class="C",
            scheduled_for=date(2026, 10, day),
        )
        at = datetime(2026, 10, day, 10, tzinfo=TZ)
        Visit.objects.create(
            manager=cm,
            retailer=shop,
            territory=shop.territory,
            checked_in_at=at,
            check_in_date=at.date(),
            checked_out_at=at + timedelta(hours=1),
        )
    from visits.models import InformationItem

    for n in range(8):
        InformationItem.objects.create(
            kind="price",
            content=f"信息{n}",
            reported_by=cm,
            territory=org.a.territory,
            reported_at=datetime(2026, 10, 1 + n, 9, tzinfo=TZ),
        )
    publish(OCT)
    return org


@pytest.mark.django_db
def test_visit_invalidated_after_publication_is_a_negative_adjustment(visited):
    org = visited
    assert score_of(org.a.cm, OCT).total == Decimal("100.00")
    visit = Visit.objects.filter(manager=org.a.cm).order_by("pk").first()
    Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.INVALID)
    for _ in range(2):  # reviewed twice: one late row, counted once
        note_late(
            kind=LateKind.VISIT_REVIEW,
            company=org.company,
            day=visit.check_in_date,
            manager_id=org.a.cm.pk,
            object_id=visit.pk,
            note="走访标记为无效",
        )
    assert LateEntry.objects.count() == 1
    month_close(month=NOV)
    # 1 of 2 planned visits completed: 15 × 1 ÷ 2 = 7.50 → −7.50.
    assert lines_of(org.a.cm) == [(NOV, OCT, Decimal("-7.50"))]
    line = ScoreAdjustment.objects.get()
    assert "走访计划完成率 15.00 → 7.50" in line.explanation["text"]
    # Idempotent: closing November again gives the same single line.
    month_close(month=NOV)
    assert lines_of(org.a.cm) == [(NOV, OCT, Decimal("-7.50"))]


@pytest.mark.django_db
def test_late_complaint_whose_deadline_fell_in_the_published_month(visited):
    """Entered after publication, its 72 h deadline (2026-10-30) passed unresolved: overdue,
    charged to A1 (assigned on that day): discipline 15 → 14, −1.00."""
    org = visited
    shop = org.a.territory.retailers.first()
    opened = datetime(2026, 10, 27, 10, tzinfo=TZ)
    complaint = Complaint.objects.create(
        retailer=shop,
        territory=shop.territory,
        content="送货不及时",
        opened_at=opened,
        opened_by=org.a.dept_supervisor,
        respond_by=opened + timedelta(hours=24),
        resolve_by=opened + timedelta(hours=72),
    )
    note_late(
        kind=LateKind.COMPLAINT,
        company=org.company,
        day=date(2026, 10, 30),
        manager_id=org.a.cm.pk,
        object_id=complaint.pk,
        note="投诉超时",
    )
    month_close(month=NOV)
    assert lines_of(org.a.cm) == [(NOV, OCT, Decimal("-1.00"))]


@pytest.mark.django_db
def test_one_month_adjusted_in_two_open_months_one_after_the_other(base):
    org = base
    late_order(org, 250)  # 9 箱: sales 22.50, +2.50
    month_close(month=NOV)
    publish(NOV)
    run = pay_run_prepare(month=NOV, user=org.hr)
    # 1 箱 × 40 × 0.85 × 0.9 = 30.60
    assert PayAdjustment.objects.get(run=run).amount == Decimal("30.60")
    pay_run_approve(run=run, user=org.admin)

    late_order(org, 250)  # 10 箱: sales 25.00; recomputed 90 − published 85 − carried 2.50
    month_close(month=DEC)
    assert lines_of(org.a.cm) == [
        (NOV, OCT, Decimal("2.50")),
        (DEC, OCT, Decimal("2.50")),
    ]
    december = ScoreAdjustment.objects.get(assessment__month=DEC)
    assert december.carried_before == Decimal("2.50")
    assert "此前的调整已计 +2.50 分" in december.explanation["text"]
    publish(DEC)
    run = pay_run_prepare(month=DEC, user=org.hr)
    # 2 箱 × 40 × 0.765 = 61.20, less the 30.60 paid in November.
    back = PayAdjustment.objects.get(run=run)
    assert (back.paid_before, back.amount) == (Decimal("30.60"), Decimal("30.60"))


@pytest.mark.django_db
def test_two_published_months_adjusted_into_one_open_month(base):
    org = base
    publish(NOV)
    late_order(org, 500)  # October: +5.00
    inspection_record(
        inspector=org.a.dept_supervisor,
        manager_id=org.a.cm.pk,
        inspected_on=date(2026, 11, 20),
        item_code="discipline",
        points=Decimal("3"),
        reason="工作日志缺失",
    )  # November: discipline 15 → 12, −3.00
    month_close(month=DEC)
    assert lines_of(org.a.cm) == [
        (DEC, OCT, Decimal("5.00")),
        (DEC, NOV, Decimal("-3.00")),
    ]
    assert score_of(org.a.cm, DEC).adjustment == Decimal("2.00")


@pytest.mark.django_db
def test_the_receiving_total_is_clamped_to_105(base):
    """November 95.00 (5 bonus points, no information item). October's late data: 2 箱 more
    (sales 20 → 25, +5), bonus 9 points (capped at 5, +5), 8 information items reported
    offline (info 0 → 10, +10): +20.00 → 115, clamped to 105; the 10 points above are lost."""
    org = base
    from visits.models import InformationItem

    bonus_grant(
        user=org.a.dept_supervisor,
        manager_id=org.a.cm.pk,
        day=date(2026, 11, 3),
        points=Decimal("5"),
        reason="假烟线索查实",
    )
    late_order(org, 500)
    bonus_grant(
        user=org.a.dept_supervisor,
        manager_id=org.a.cm.pk,
        day=date(2026, 10, 28),
        points=Decimal("9"),
        reason="查获大案",
    )
    for n in range(8):
        item = InformationItem.objects.create(
            kind="price",
            content=f"信息{n}",
            reported_by=org.a.cm,
            territory=org.a.territory,
            reported_at=datetime(2026, 10, 10 + n, 9, tzinfo=TZ),
        )
        note_late(
            kind=LateKind.INFO_ITEM,
            company=org.company,
            day=date(2026, 10, 10 + n),
            manager_id=org.a.cm.pk,
            object_id=item.pk,
            note="价格信息",
        )
    month_close(month=NOV)
    november = score_of(org.a.cm, NOV)
    assert (november.base_total, november.adjustment, november.total) == (
        Decimal("95.00"),
        Decimal("20.00"),
        Decimal("105.00"),
    )


@pytest.mark.django_db
def test_a_late_bonus_above_the_cap_adds_only_up_to_the_cap(base):
    org = base
    bonus_grant(
        user=org.a.dept_supervisor,
        manager_id=org.a.cm.pk,
        day=date(2026, 10, 28),
        points=Decimal("7"),
        reason="查获大案",
    )
    entry = LateEntry.objects.get()
    assert (entry.kind, entry.month, entry.month_state) == (LateKind.BONUS, OCT, "published")
    month_close(month=NOV)
    assert lines_of(org.a.cm) == [(NOV, OCT, Decimal("5.00"))]


@pytest.mark.django_db
def test_the_receiving_total_is_clamped_at_zero(base):
    org = base
    # November: every item deducted to 0 → 0.00.
    for code, points in (
        ("sales", 25),
        ("key_brand", 10),
        ("new_shelf", 15),
        ("visits", 15),
        ("satisfaction", 10),
        ("discipline", 15),
    ):
        inspection_record(
            inspector=org.a.dept_supervisor,
            manager_id=org.a.cm.pk,
            inspected_on=date(2026, 11, 10),
            item_code=code,
            points=Decimal(points),
            reason="严重违纪",
        )
    late_order(org, -750, day=date(2026, 10, 25), returns_line=org.sold)  # −7.50
    month_close(month=NOV)
    november = score_of(org.a.cm, NOV)
    assert (november.base_total, november.adjustment, november.total) == (
        Decimal("0.00"),
        Decimal("-7.50"),
        Decimal("0.00"),
    )


@pytest.mark.django_db
def test_the_published_month_is_byte_identical_and_data_of_a_review_month_waits(base):
    org = base

    def october_rows():
        scores = list(ManagerScore.objects.filter(assessment__month=OCT).order_by("pk").values())
        items = list(ItemScore.objects.filter(score__assessment__month=OCT).order_by("pk").values())
        month = AssessmentMonth.objects.filter(month=OCT).values().get()
        return scores, items, month

    before = october_rows()
    late_order(org, 500)
    month_close(month=NOV)
    month_close(month=NOV)
    assert october_rows() == before

    # November in review: data dated in it is applied after its publication, in December.
    month_start_review(month=NOV, now=timezone.now() - timedelta(days=6))
    inspection_record(
        inspector=org.a.dept_supervisor,
        manager_id=org.a.cm.pk,
        inspected_on=date(2026, 11, 20),
        item_code="discipline",
        points=Decimal("2"),
        reason="迟到",
    )
    assert LateEntry.objects.get(kind=LateKind.INSPECTION).month_state == "review"
    assert score_of(org.a.cm, NOV).items.get(code="discipline").points == Decimal("15.00")
    month_publish(month=NOV, now=timezone.now() - timedelta(minutes=30))
    month_close(month=DEC)
    assert lines_of(org.a.cm) == [(NOV, OCT, Decimal("5.00")), (DEC, NOV, Decimal("-2.00"))]


@pytest.mark.django_db
def test_no_later_month_records_the_line_and_pays_it_alone(base):
    """A1 leaves after October (deactivated, shops handed to nobody): the 调整 line is kept
    for the record only and the 补发 is paid in November's run as a line of its own."""
    org = base
    from retailers.models import RetailerAssignment

    RetailerAssignment.objects.filter(manager=org.a.cm).update(valid_to=NOV)
    type(org.a.cm).objects.filter(pk=org.a.cm.pk).update(is_active=False)
    late_order(org, 500)
    month_close(month=NOV)
    line = ScoreAdjustment.objects.get(manager=org.a.cm)
    assert (line.points, line.recorded_only) == (Decimal("5.00"), True)
    assert not ManagerScore.objects.filter(manager=org.a.cm, assessment__month=NOV).exists()
    publish(NOV)
    run = pay_run_prepare(month=NOV, user=org.hr)
    paid = PayLine.objects.get(run=run, manager=org.a.cm)
    assert (paid.allowance, paid.adjustment, paid.bonus) == (
        Decimal("0"),
        Decimal("61.20"),
        Decimal("61.20"),
    )
    assert org.a.cm.role == Role.CUSTOMER_MANAGER


@pytest.mark.django_db
def test_a_carried_deduction_is_appealed_in_the_review_of_the_receiving_month(base):
    """DOMAIN §10.11: the late deduction reached November as part of its 调整 line (−2.00);
    A1 appeals it while November is in review; accepted, the line becomes 0."""
    from assessment.services import appeal_decide, appeal_file

    org = base
    late = inspection_record(
        inspector=org.a.dept_supervisor,
        manager_id=org.a.cm.pk,
        inspected_on=date(2026, 10, 30),
        item_code="discipline",
        points=Decimal(2),
        reason="补录：十月工作日志缺失",
    )
    month_close(month=NOV)
    month_start_review(month=NOV, now=timezone.now())
    assert score_of(org.a.cm, NOV).total == Decimal("88.00")
    appeal = appeal_file(inspection=late, user=org.a.cm, reason="日志已按时提交")
    assert appeal.month == NOV
    appeal_decide(appeal=appeal, user=org.a.center_supervisor, accept=True, reason="核实无误")
    assert lines_of(org.a.cm) == [(NOV, OCT, Decimal("0.00"))]
    assert score_of(org.a.cm, NOV).total == Decimal("90.00")


@pytest.mark.django_db
def test_pages_show_the_adjustment_to_everyone_concerned(base, client):
    org = base
    late_order(org, 500)
    month_close(month=NOV)
    publish(NOV)
    run = pay_run_prepare(month=NOV, user=org.hr)
    pay_run_approve(run=run, user=org.admin)

    client.force_login(org.a.cm)
    page = client.get("/assessment/my-score/?month=2026-11-01").content.decode()
    assert "调整（2026-10）" in page and "+5.00" in page
    page = client.get("/assessment/my-score/?month=2026-10-01").content.decode()
    assert 'id="later-adjustments"' in page and "2026-11" in page
    page = client.get("/pay/mine/?month=2026-11").content.decode()
    assert 'id="pay-adjustment"' in page and "补发（2026-10）" in page and "61.20" in page
    assert client.get("/assessment/adjustments/").status_code == 404

    for user in (org.assessor, org.hr):
        client.force_login(user)
        page = client.get(
            f"/assessment/adjustments/?company={org.company.pk}&month=2026-11-01"
        ).content.decode()
        assert f'id="adjustment-{ScoreAdjustment.objects.get().pk}"' in page
        assert "补发（2026-10）" in page
    client.force_login(org.a.dept_supervisor)
    assert client.get("/assessment/adjustments/").status_code == 404


@pytest.mark.django_db
def test_dashboards_show_published_figures_with_their_adjustment_lines(base):
    """October's sales stay 8 箱 as published (the 2 late 箱 are not added to it); November's
    average score 95.00 (A1) includes the +5.00 adjustment line, shown apart."""
    from reports.selectors import dashboards
    from reports.services.dashboards import kpi_refresh

    org = base
    late_order(org, 500)
    kpi_refresh(month=OCT)
    month_close(month=NOV)
    publish(NOV)
    kpi_refresh(month=NOV)
    scope = dashboards.scope_for(org.admin, manager_id=org.a.cm.pk)
    october = dashboards.kpis(scope, OCT).current
    assert (october.sales_boxes, october.score_mean) == (Decimal("8.00"), Decimal("85.00"))
    november = dashboards.kpis(scope, NOV).current
    assert (november.score_mean, november.score_adjustment_mean) == (
        Decimal("95.00"),
        Decimal("5.00"),
    )


@pytest.mark.django_db
def test_the_audit_trail_records_each_line_in_words(base, client):
    org = base
    late_order(org, 500)
    month_close(month=NOV)
    publish(NOV)
    pay_run_prepare(month=NOV, user=org.hr)
    from auditlog.models import LogEntry

    logged = {entry.content_type.model for entry in LogEntry.objects.all()}
    assert {"lateentry", "scoreadjustment", "payadjustment"} <= logged
    client.force_login(org.assessor)
    page = client.get("/assessment/audit/").content.decode()
    assert "调整（2026-10）：2026年10月的考核发布后收到迟到数据" in page
    assert "'items'" not in page and "recomputed" not in page
