"""Territory handovers (交接) and coverings (代管): dated assignments, and every fact, plan and
completion follows the manager assigned on its date (DOMAIN §10.1–3)."""

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from accounts.models import Role, Territory
from assessment.models import AssessmentMonth, ManagerScore, MonthState
from assessment.selectors import gather_inputs
from retailers.models import HandoverKind, RetailerAssignment, TerritoryHandover
from retailers.selectors import credited_cartons
from retailers.services import (
    assignments_sync,
    handovers_apply,
    manager_leave,
    territory_cover,
    territory_handover,
)
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory, UserFactory
from visits.models import SatisfactionSurvey, SurveyChannel, Visit, VisitPlan, VisitStatus
from visits.selectors.feedback import complaint_counts, satisfaction_by_manager
from visits.selectors.plans import plan_completion_counts
from visits.services import feedback as visit_services
from visits.services.plans import plans_generate

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
NOV = date(2026, 11, 1)
DEC = date(2026, 12, 1)
HANDOVER_DAY = date(2026, 11, 16)


def day(d):
    return date(2026, 11, d)


@pytest.fixture
def org_h(org):
    """org.a.territory (manager org.a.cm) with an A, a B and a C retailer; a newcomer
    without a territory in the same department."""
    territory = org.a.territory
    org.shops = {
        klass: RetailerFactory(territory=territory, abc_class=klass) for klass in ("A", "B", "C")
    }
    org.newcomer = UserFactory(
        employee_no="1A99", name="新经理", role=Role.CUSTOMER_MANAGER, org_unit=org.a.department
    )
    return org


def visit(manager, retailer, on, status=VisitStatus.VALID):
    at = datetime.combine(on, time(10), TZ)
    return Visit.objects.create(
        manager=manager,
        retailer=retailer,
        territory=retailer.territory,
        checked_in_at=at,
        check_in_date=on,
        checked_out_at=at.replace(hour=11),
        status=status,
    )


def periods(retailer):
    return list(
        RetailerAssignment.objects.filter(retailer=retailer)
        .order_by("valid_from")
        .values_list("manager__employee_no", "valid_from", "valid_to")
    )


def windows(retailer):
    return [
        (p.window_start.day, p.window_end.day, p.manager.employee_no)
        for p in VisitPlan.objects.filter(retailer=retailer).order_by("window_start")
    ]


def test_handover_closes_and_opens_assignments(org_h):
    old, new = org_h.a.cm, org_h.newcomer
    record = territory_handover(
        territory=org_h.a.territory,
        to_manager=new,
        effective_from=HANDOVER_DAY,
        user=org_h.admin,
        note="调岗",
        today=day(20),
    )
    assert (record.kind, record.from_manager, record.to_manager) == (
        HandoverKind.HANDOVER,
        old,
        new,
    )
    assert record.applied_at is not None
    for shop in org_h.shops.values():
        assert periods(shop) == [
            (old.employee_no, date(2020, 1, 1), HANDOVER_DAY),
            (new.employee_no, HANDOVER_DAY, None),
        ]
    org_h.a.territory.refresh_from_db()
    assert org_h.a.territory.manager == new
    # The open assignments agree with the territory: a later sync changes nothing.
    assert assignments_sync(on=day(25)) == 0
    assert len(periods(org_h.shops["A"])) == 2


def test_sales_are_credited_by_order_date(org_h):
    old, new = org_h.a.cm, org_h.newcomer
    territory_handover(
        territory=org_h.a.territory, to_manager=new, effective_from=HANDOVER_DAY, today=day(20)
    )
    a, b, c = org_h.shops["A"], org_h.shops["B"], org_h.shops["C"]
    brand = BrandFactory()
    for shop, on, quantity in (
        (a, day(10), 30),  # old
        (a, day(15), 12),  # old: the day before the handover
        (a, day(16), 20),  # new: the handover day
        (b, day(20), 7),  # new
        (c, day(30), 3),  # new
    ):
        OrderLineFactory(retailer=shop, brand=brand, order_date=on, quantity=quantity)
    assert credited_cartons(start=NOV, end=DEC) == {old.pk: 42, new.pk: 30}


def test_plan_windows_and_completion_across_a_handover(org_h):
    old, new = org_h.a.cm, org_h.newcomer
    # The plans exist before the handover is recorded (generated on the 1st).
    plans_generate(month=NOV, today=NOV)
    a, b, c = org_h.shops["A"], org_h.shops["B"], org_h.shops["C"]
    assert {p.manager for p in VisitPlan.objects.all()} == {old}
    territory_handover(
        territory=org_h.a.territory, to_manager=new, effective_from=HANDOVER_DAY, today=day(12)
    )
    o, n = old.employee_no, new.employee_no
    assert windows(a) == [(1, 7, o), (8, 14, o), (15, 21, n), (22, 30, n)]
    assert windows(b) == [(1, 15, o), (16, 30, n)]
    assert windows(c) == [(1, 30, n)]
    # Planned afresh with the handover already recorded: the same owners.
    VisitPlan.objects.all().delete()
    plans_generate(month=NOV, today=NOV)
    assert windows(a) == [(1, 7, o), (8, 14, o), (15, 21, n), (22, 30, n)]
    assert windows(b) == [(1, 15, o), (16, 30, n)]
    assert windows(c) == [(1, 30, n)]

    visit(old, a, day(10))  # old manager before the handover: completes A 8–14
    visit(old, a, day(20))  # old manager after the handover: completes nothing
    visit(old, c, day(20))  # same for C's whole-month window
    visit(old, b, day(15))  # before the handover, inside B 1–15 (old's): completes it
    visit(new, b, day(18))  # new manager inside B 16–30: completes it
    assert plan_completion_counts(month=NOV) == {
        old.pk: {"planned": 3, "completed": 2},
        new.pk: {"planned": 4, "completed": 1},
    }
    # A visit by the old manager on the 15th, inside A 15–21 (new's window), counts: he was
    # the assigned manager that day.
    visit(old, a, day(15))
    assert plan_completion_counts(month=NOV)[new.pk] == {"planned": 4, "completed": 2}


def test_future_handover_applies_on_its_day(org_h, capsys, english):
    old, new = org_h.a.cm, org_h.newcomer
    territory_handover(
        territory=org_h.a.territory, to_manager=new, effective_from=HANDOVER_DAY, today=day(2)
    )
    org_h.a.territory.refresh_from_db()
    assert org_h.a.territory.manager == old  # not yet
    # A sync before the day leaves the recorded handover alone.
    assignments_sync(on=day(5))
    assert periods(org_h.shops["A"])[-1] == (new.employee_no, HANDOVER_DAY, None)
    assert handovers_apply(today=day(15)) == []
    call_command("apply_handovers", "--today", "2026-11-16")
    assert "1 applied." in capsys.readouterr().out
    org_h.a.territory.refresh_from_db()
    assert org_h.a.territory.manager == new
    call_command("apply_handovers", "--today", "2026-11-17")
    assert "0 applied." in capsys.readouterr().out


def test_covering_period_facts_go_to_the_covering_manager(org_h):
    """org.a.territory2 (manager cm2) is covered by cm from 16 to 30 November."""
    cm, cm2 = org_h.a.cm, org_h.a.cm2
    shop = RetailerFactory(territory=org_h.a.territory2, abc_class="B")
    record = territory_cover(
        territory=org_h.a.territory2, manager=cm, start=HANDOVER_DAY, end=day(30), today=day(20)
    )
    assert record.returns_on == DEC
    assert periods(shop) == [
        (cm2.employee_no, date(2020, 1, 1), HANDOVER_DAY),
        (cm.employee_no, HANDOVER_DAY, DEC),
        (cm2.employee_no, DEC, None),
    ]
    org_h.a.territory2.refresh_from_db()
    assert org_h.a.territory2.manager == cm2  # a covering keeps the territory's manager
    assert assignments_sync(on=day(20)) == 0

    brand = BrandFactory()
    OrderLineFactory(retailer=shop, brand=brand, order_date=day(15), quantity=4)
    OrderLineFactory(retailer=shop, brand=brand, order_date=day(20), quantity=9)
    OrderLineFactory(retailer=shop, brand=brand, order_date=DEC, quantity=2)
    assert credited_cartons(start=NOV, end=DEC) == {cm2.pk: 4, cm.pk: 9}
    assert credited_cartons(start=DEC, end=date(2027, 1, 1)) == {cm2.pk: 2}

    plans_generate(month=NOV, today=NOV)
    assert windows(shop) == [(1, 15, cm2.employee_no), (16, 30, cm.employee_no)]

    for on, score in ((day(10), 2), (day(20), 5), (day(25), 4)):
        SatisfactionSurvey.objects.create(
            retailer=shop,
            score=score,
            surveyed_on=on,
            channel=SurveyChannel.PHONE,
            recorded_by=org_h.assessor,
        )
    assert satisfaction_by_manager(month=NOV) == {
        cm2.pk: (Decimal(2), 1),
        cm.pk: (Decimal("4.5"), 2),
    }

    # Opened 15 Nov 09:00 → 72 h deadline 18 Nov 09:00 (covering): overdue for cm.
    visit_services.complaint_open(
        retailer=shop,
        user=org_h.assessor,
        content="投诉",
        opened_at=datetime(2026, 11, 15, 9, tzinfo=TZ),
    )
    # Opened 12 Nov → deadline 15 Nov (cm2), closed substantiated on 20 Nov (cm).
    complaint = visit_services.complaint_open(
        retailer=shop,
        user=org_h.assessor,
        content="投诉",
        opened_at=datetime(2026, 11, 12, 9, tzinfo=TZ),
    )
    visit_services.complaint_resolve(
        complaint=complaint,
        user=org_h.assessor,
        resolution="已处理",
        now=datetime(2026, 11, 16, 9, tzinfo=TZ),
    )
    visit_services.complaint_close(
        complaint=complaint,
        user=org_h.assessor,
        substantiated=True,
        now=datetime(2026, 11, 20, 9, tzinfo=TZ),
    )
    assert complaint_counts(month=NOV, closed_at=datetime(2026, 12, 1, 18, tzinfo=TZ)) == {
        cm2.pk: {"overdue": 1, "substantiated": 0},
        cm.pk: {"overdue": 1, "substantiated": 1},
    }


def test_refusals(org_h, english):
    old, new = org_h.a.cm, org_h.newcomer
    territory = org_h.a.territory
    AssessmentMonth.objects.create(
        company=org_h.company, month=date(2026, 10, 1), state=MonthState.PUBLISHED
    )
    with pytest.raises(ValidationError, match="2026-10 is Published"):
        territory_handover(territory=territory, to_manager=new, effective_from=date(2026, 10, 20))
    with pytest.raises(ValidationError, match="exists from 2020-01-01"):
        territory_handover(territory=territory, to_manager=new, effective_from=date(2019, 5, 1))
    with pytest.raises(ValidationError, match="active customer manager"):
        territory_handover(territory=territory, to_manager=org_h.assessor, effective_from=DEC)
    # cm2 holds territory2: a whole-territory handover to them is refused.
    with pytest.raises(ValidationError, match="holds territory T-A2"):
        territory_handover(territory=territory, to_manager=org_h.a.cm2, effective_from=DEC)
    territory_cover(
        territory=territory, manager=org_h.a.cm2, start=day(16), end=day(30), today=day(1)
    )
    with pytest.raises(ValidationError, match="already covered"):
        territory_cover(
            territory=territory, manager=new, start=day(30), end=date(2026, 12, 5), today=day(1)
        )
    with pytest.raises(ValidationError, match="covered from 2026-11-16"):
        territory_handover(territory=territory, to_manager=new, effective_from=day(20))
    assert TerritoryHandover.objects.count() == 1
    assert old.is_active


def test_leave_keeps_past_scores_and_assesses_the_months_worked(org_h):
    old, new = org_h.a.cm, org_h.newcomer
    october = AssessmentMonth.objects.create(
        company=org_h.company, month=date(2026, 10, 1), state=MonthState.PUBLISHED
    )
    ManagerScore.objects.create(
        assessment=october,
        manager=old,
        territory=org_h.a.territory,
        bonus_raw=0,
        bonus=0,
        total=Decimal("88.50"),
        sales_boxes=Decimal("1.2"),
    )
    brand = BrandFactory()
    OrderLineFactory(retailer=org_h.shops["A"], brand=brand, order_date=day(10), quantity=50)
    manager_leave(manager=old, on=HANDOVER_DAY, successor=new, user=org_h.admin, today=day(16))
    old.refresh_from_db()
    assert not old.is_active
    assert Territory.objects.get(pk=org_h.a.territory.pk).manager == new
    assert ManagerScore.objects.filter(manager=old, total=Decimal("88.50")).exists()
    november = gather_inputs(NOV, company=org_h.company)
    assert november[old.pk].sales_boxes == Decimal(50) / 250
    assert new.pk in november
    # December: the leaver held nothing and was credited with nothing.
    assert old.pk not in gather_inputs(DEC, company=org_h.company)


def test_leave_with_a_covering_and_a_later_successor(org_h):
    old, cm2, new = org_h.a.cm, org_h.a.cm2, org_h.newcomer
    shop = org_h.shops["A"]
    manager_leave(manager=old, on=HANDOVER_DAY, covering=cm2, today=day(16))
    old.refresh_from_db()
    assert not old.is_active
    territory = Territory.objects.get(pk=org_h.a.territory.pk)
    assert territory.manager is None
    assert periods(shop)[-1] == (cm2.employee_no, HANDOVER_DAY, None)
    assert assignments_sync(on=day(20)) == 0  # the open covering stands
    territory_handover(territory=territory, to_manager=new, effective_from=DEC, today=DEC)
    assert periods(shop)[-2:] == [
        (cm2.employee_no, HANDOVER_DAY, DEC),
        (new.employee_no, DEC, None),
    ]
    covering = TerritoryHandover.objects.get(kind=HandoverKind.COVERING)
    assert covering.until == date(2026, 11, 30)
