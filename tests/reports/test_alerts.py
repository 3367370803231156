"""Alerts (预警, DOMAIN.md §8): each rule at its boundary with hand-computed values, thresholds
taken from the AlertRules rows (a city override changes the result), scoping both ways, the
page and the API, the order rollup and the hooks that keep it current.

The rules are evaluated on a fixed day: ``today=TODAY`` (2026-10-20) makes October the
current month, so October is evaluated on the 20th and September on the 30th.
"""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import OrgKind, Role
from assessment.models import AssessmentMonth, Inspection, ManagerScore, MonthState
from imports.kinds import import_file
from reports import alerts as rules
from reports.models import (
    AlertRules,
    PayRun,
    PayRunStatus,
    PayScheme,
    ProposalStatus,
    RetailerOrderMonth,
    Tier,
    TierProposal,
)
from reports.selectors import alerts as selectors
from reports.selectors.alerts import alert_counts, alerts_for, order_anomaly_rows, sections_for
from reports.services.alerts import orders_rollup_refresh
from reports.tasks import refresh_order_rollup
from retailers.models import OrderLine, RetailerStatus, Violation, add_months
from tests.factories import (
    BrandFactory,
    OrderLineFactory,
    OrgUnitFactory,
    RetailerFactory,
    TerritoryFactory,
    UserFactory,
)
from visits.models import Complaint, ComplaintStatus, Visit, VisitPlan, VisitStatus
from visits.selectors.feedback import local_datetime

pytestmark = pytest.mark.django_db

TODAY = date(2026, 10, 20)
AUG, SEP, OCT = date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)
LONG_AGO = date(2020, 1, 1)


@pytest.fixture
def brand(db):
    return BrandFactory(code="6901000000001")


def shop(territory, on=LONG_AGO, **fields):
    return RetailerFactory(territory=territory, on=on, **fields)


def order(retailer, brand, day, quantity, **fields):
    return OrderLineFactory(
        retailer=retailer, brand=brand, order_date=day, quantity=quantity, **fields
    )


def rows(user, section, month=OCT, today=TODAY):
    return alerts_for(user, month=month, today=today)[section]


def count(user, section, month=OCT, today=TODAY):
    return alert_counts(user, month=month, today=today)[section]


def override(company, **thresholds):
    """A city company's own alert thresholds (all the defaults but ``thresholds``)."""
    version = (AlertRules.objects.order_by("-version").values_list("version", flat=True)[0]) + 1
    return AlertRules.objects.create(
        version=version, company=company, effective_from=date(2026, 1, 1), **thresholds
    )


# --- Pure rules ---------------------------------------------------------------------------------


def test_pure_rules_at_their_boundaries():
    assert rules.evaluation_day(OCT, TODAY) == TODAY
    assert rules.evaluation_day(SEP, TODAY) == date(2026, 9, 30)
    assert rules.evaluation_day(date(2026, 11, 1), TODAY) == TODAY  # a later month: today
    assert rules.last_complete_month(OCT, TODAY) == SEP
    assert rules.last_complete_month(SEP, TODAY) == SEP
    assert rules.shown_month(None, TODAY) == OCT
    assert rules.shown_month(date(2027, 1, 1), TODAY) == OCT
    assert rules.shown_month(date(2026, 9, 14), TODAY) == SEP
    assert rules.months_before(date(2026, 10, 20), 12) == date(2025, 10, 20)
    assert rules.months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert rules.ratio_hundredths(Decimal("0.80")) == 80
    assert rules.anomaly_ratios(79, 100, 300, 300) == (
        Decimal("0.7900"),
        Decimal("1.0000"),
        Decimal("0.7900"),
    )
    assert rules.anomaly_ratios(40, 100, 250, 500)[2] == Decimal("0.8000")
    floor, drop = Decimal("60"), Decimal("10")
    assert rules.score_flags(Decimal("60.00"), None, floor, drop) == (False, False)
    assert rules.score_flags(Decimal("59.99"), None, floor, drop) == (True, False)
    assert rules.score_flags(Decimal("70.00"), Decimal("80.00"), floor, drop) == (False, True)
    assert rules.score_flags(Decimal("70.01"), Decimal("80.00"), floor, drop) == (False, False)
    last = date(2026, 10, 31)
    assert not rules.coverage_gap_raised(
        missing=2, day=date(2026, 10, 30), last_day=last, month_over=False
    )
    assert rules.coverage_gap_raised(missing=2, day=last, last_day=last, month_over=False)
    assert not rules.coverage_gap_raised(missing=1, day=last, last_day=last, month_over=False)
    assert rules.coverage_gap_raised(
        missing=1, day=date(2026, 10, 1), last_day=last, month_over=True
    )
    due = date(2026, 10, 5)
    assert not rules.deadline_missed(deadline=due, done_on=None, day=due)
    assert rules.deadline_missed(deadline=due, done_on=None, day=date(2026, 10, 6))
    assert not rules.deadline_missed(deadline=due, done_on=due, day=date(2026, 10, 6))
    assert rules.deadline_missed(deadline=due, done_on=date(2026, 10, 6), day=date(2026, 10, 7))


# --- The order rollup ---------------------------------------------------------------------------


def rollup():
    return sorted(
        RetailerOrderMonth.objects.values_list(
            "retailer_id", "month", "net_cartons", "last_order_date"
        )
    )


def test_rollup_sums_the_month_and_is_idempotent(org, brand):
    one, two = shop(org.a.territory), shop(org.b.territory)
    order(one, brand, date(2026, 10, 3), 10)
    order(one, brand, date(2026, 10, 17), 5)
    order(one, brand, date(2026, 9, 30), 7)
    order(two, brand, date(2026, 10, 1), 2)
    order(two, brand, date(2026, 11, 1), 99)  # another month, not refreshed

    written = orders_rollup_refresh(months=[date(2026, 10, 9), SEP])
    assert written == {SEP: 1, OCT: 2}
    expected = [
        (one.pk, SEP, 7, date(2026, 9, 30)),
        (one.pk, OCT, 15, date(2026, 10, 17)),
        (two.pk, OCT, 2, date(2026, 10, 1)),
    ]
    assert rollup() == expected
    orders_rollup_refresh(months=[OCT, SEP])
    assert rollup() == expected  # refreshing twice gives the same rows

    OrderLine.objects.filter(retailer=two).delete()
    order(one, brand, date(2026, 10, 25), 1)
    orders_rollup_refresh(months=[OCT])
    assert rollup() == [
        (one.pk, SEP, 7, date(2026, 9, 30)),
        (one.pk, OCT, 16, date(2026, 10, 25)),
    ]


def test_rollup_is_net_of_returns(org, brand):
    one, two = shop(org.a.territory), shop(org.a.territory)
    sold_one = order(one, brand, date(2026, 10, 3), 10)
    sold_two = order(two, brand, date(2026, 9, 28), 4)
    # A return counts on its own date; the latest order is the latest *positive* line.
    order(one, brand, date(2026, 10, 18), -3, amount=Decimal("-3"), returns_line=sold_one)
    order(two, brand, date(2026, 10, 2), -4, amount=Decimal("-4"), returns_line=sold_two)
    orders_rollup_refresh(months=[OCT, SEP])
    assert rollup() == sorted(
        [
            (one.pk, OCT, 7, date(2026, 10, 3)),
            (two.pk, SEP, 4, date(2026, 9, 28)),
            (two.pk, OCT, -4, None),
        ]
    )


def test_task_refreshes_this_and_last_month_by_default(org, brand):
    retailer = shop(org.a.territory)
    today = timezone.localdate()
    order(retailer, brand, today, 3)
    order(retailer, brand, add_months(today, -1), 4)
    result = refresh_order_rollup()
    assert result == {add_months(today, -1).isoformat(): 1, today.replace(day=1).isoformat(): 1}
    assert refresh_order_rollup(months=["2026-10-05"]) == {"2026-10-01": 0}


def test_order_import_queues_the_rollup_after_commit(
    org, brand, tmp_path, celery_eager, django_capture_on_commit_callbacks
):
    retailer = shop(org.a.territory, license_no="320100000001")
    path = tmp_path / "orders.csv"
    path.write_text(
        "订单号,许可证号,规格编码,订单日期,数量（条）,金额（元）,按时结算\n"
        "DD1,320100000001,6901000000001,2026-09-29,5,600,是\n"
        "DD2,320100000001,6901000000001,2026-10-08,3,360,是\n",
        encoding="utf-8",
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = import_file("orders", path)
    assert report.ok and report.created == 2
    assert len(callbacks) == 1
    assert not RetailerOrderMonth.objects.exists()  # nothing before the import commits
    callbacks[0]()
    assert rollup() == [
        (retailer.pk, SEP, 5, date(2026, 9, 29)),
        (retailer.pk, OCT, 3, date(2026, 10, 8)),
    ]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = import_file("orders", path)  # nothing new: nothing queued
        dry = import_file("orders", path, dry_run=True)
    assert again.unchanged == 2 and dry.ok and callbacks == []


# --- 断订: no orders ------------------------------------------------------------------------------


@pytest.fixture
def quiet(org, brand):
    """Retailers of territory A1 with their last order 28 and 27 days before TODAY (the 20th),
    or none, active since 28 or 27 days before."""
    r = SimpleNamespace(
        d28=shop(org.a.territory),
        d27=shop(org.a.territory),
        new28=shop(org.a.territory, on=TODAY - timedelta(days=28)),
        new27=shop(org.a.territory, on=TODAY - timedelta(days=27)),
        suspended=shop(org.a.territory, status=RetailerStatus.SUSPENDED),
        other_dept=shop(org.b.territory),
        back=shop(org.a.territory2),
    )
    order(r.d28, brand, date(2026, 8, 30), 9)
    order(r.d28, brand, TODAY - timedelta(days=28), 4)  # 2026-09-22
    order(r.d27, brand, TODAY - timedelta(days=27), 4)  # 2026-09-23
    order(r.other_dept, brand, date(2026, 9, 1), 1)
    order(r.back, brand, date(2026, 8, 1), 1)
    order(r.back, brand, date(2026, 10, 5), 1)  # ordered again in October
    orders_rollup_refresh(months=[AUG, SEP, OCT])
    return r


def test_no_orders_at_28_days_not_27(org, quiet):
    alerts = rows(org.assessor, "no_orders")
    assert [(a.retailer, a.last_order_date, a.days) for a in alerts] == [
        (quiet.other_dept, date(2026, 9, 1), 49),
        (quiet.d28, date(2026, 9, 22), 28),
        (quiet.new28, None, 28),  # never ordered: counted from its first assignment
    ]
    assert count(org.assessor, "no_orders") == 3


def test_no_orders_of_a_past_month_ignore_later_orders(org, quiet):
    # September, evaluated on the 30th: 'back' last ordered on 08-01 (60 days); its October
    # order is later. d28 (09-22) is 8 days; the new shops were not active 28 days yet.
    alerts = rows(org.assessor, "no_orders", month=SEP)
    assert [(a.retailer, a.days) for a in alerts] == [(quiet.back, 60), (quiet.other_dept, 29)]


def test_no_orders_threshold_is_the_city_rule(org, quiet):
    override(org.company, no_order_days=27)
    assert {a.retailer for a in rows(org.assessor, "no_orders")} == {
        quiet.other_dept,
        quiet.d28,
        quiet.d27,
        quiet.new28,
        quiet.new27,
    }
    override(org.company, no_order_days=30)
    assert [a.retailer for a in rows(org.assessor, "no_orders")] == [quiet.other_dept]


def test_no_orders_scoping(org, quiet):
    assert [a.retailer for a in rows(org.a.dept_supervisor, "no_orders")] == [
        quiet.d28,
        quiet.new28,
    ]
    assert [a.retailer for a in rows(org.b.dept_supervisor, "no_orders")] == [quiet.other_dept]
    assert [a.retailer for a in rows(org.a.cm, "no_orders")] == [quiet.d28, quiet.new28]
    assert rows(org.a.cm2, "no_orders") == []


# --- 订单异动: order anomaly ----------------------------------------------------------------


@pytest.fixture
def anomaly(org, brand):
    """Department A, August → September (complete months for October): the department's
    Σ is 300 → 300 (ratio 1), so a retailer's relative ratio is its own ratio."""
    r = SimpleNamespace(
        at80=shop(org.a.territory),
        at79=shop(org.a.territory),
        balance=shop(org.a.territory2),
        newcomer=shop(org.a.territory2),
        b_low=shop(org.b.territory),
        b_other=shop(org.b.territory),
    )
    for retailer, august, september in (
        (r.at80, 100, 80),
        (r.at79, 100, 79),
        (r.balance, 100, 91),
        (r.newcomer, None, 50),  # no orders in August: left out, but in the department's Σ
        (r.b_low, 100, 10),  # department B: 200 → 110 (0.55); b_low 0.10 ÷ 0.55 = 0.1818
        (r.b_other, 100, 100),
    ):
        if august:
            order(retailer, brand, date(2026, 8, 10), august)
        order(retailer, brand, date(2026, 9, 10), september)
    orders_rollup_refresh(months=[AUG, SEP])
    return r


def test_order_anomaly_below_080_not_at_080(org, anomaly):
    alerts = rows(org.a.dept_supervisor, "order_anomaly")
    assert [
        (
            a.retailer,
            a.manager,
            a.department_name,
            a.this_cartons,
            a.last_cartons,
            a.retailer_ratio,
            a.department_ratio,
            a.relative,
            a.this_month,
            a.last_month,
        )
        for a in alerts
    ] == [
        (
            anomaly.at79,
            org.a.cm,
            org.a.department.name,
            79,
            100,
            Decimal("0.7900"),
            Decimal("1.0000"),
            Decimal("0.7900"),
            SEP,
            AUG,
        )
    ]


def test_order_anomaly_rows_for_the_report(org, anomaly):
    # A past month compares itself with the month before (September with August, as above).
    rows_ = order_anomaly_rows(org.assessor, month=SEP)
    assert [(a.retailer, a.relative) for a in rows_] == [
        (anomaly.b_low, Decimal("0.1818")),
        (anomaly.at79, Decimal("0.7900")),
    ]
    assert rows_[0].department_ratio == Decimal("0.5500")
    assert count(org.assessor, "order_anomaly") == 2


def test_order_anomaly_is_net_of_returns(org, anomaly, brand):
    # at80 returns 1 条 in September: 79 ÷ 100 against the department's 299 ÷ 300.
    sold = OrderLine.objects.filter(retailer=anomaly.at80, quantity__gt=0).earliest("order_date")
    order(anomaly.at80, sold.brand, date(2026, 9, 20), -1, amount=Decimal("-1"), returns_line=sold)
    orders_rollup_refresh(months=[SEP])
    alerts = rows(org.a.dept_supervisor, "order_anomaly")
    assert [(a.retailer, a.this_cartons, a.relative) for a in alerts] == [
        (anomaly.at80, 79, Decimal("0.7926")),  # 0.79 ÷ (299 ÷ 300) = 237 ÷ 299
        (anomaly.at79, 79, Decimal("0.7926")),
    ]
    assert alerts[0].department_this_cartons == 299


def test_order_anomaly_threshold_is_the_city_rule(org, anomaly):
    override(org.company, anomaly_ratio=Decimal("0.79"))  # 0.79 is not below 0.79
    assert rows(org.a.dept_supervisor, "order_anomaly") == []
    override(org.company, anomaly_ratio=Decimal("0.81"))
    assert {a.retailer for a in rows(org.a.dept_supervisor, "order_anomaly")} == {
        anomaly.at80,
        anomaly.at79,
    }


def test_order_anomaly_scoping(org, anomaly):
    assert [a.retailer for a in rows(org.b.dept_supervisor, "order_anomaly")] == [anomaly.b_low]
    # The manager sees their own retailer, judged against the whole department.
    assert [(a.retailer, a.department_ratio) for a in rows(org.a.cm, "order_anomaly")] == [
        (anomaly.at79, Decimal("1.0000"))
    ]
    assert rows(org.a.cm2, "order_anomaly") == []


# --- Violations ---------------------------------------------------------------------------------


def violation(retailer, day):
    return Violation.objects.create(
        retailer=retailer, occurred_on=day, severity="minor", description="无证经营"
    )


def test_violations_two_in_twelve_months_not_one(org):
    two, one, edge = shop(org.a.territory), shop(org.a.territory), shop(org.b.territory)
    violation(two, date(2026, 3, 1))
    violation(two, date(2025, 10, 21))  # inside: after 2025-10-20
    violation(one, date(2026, 5, 1))
    violation(edge, date(2026, 5, 1))
    violation(edge, date(2025, 10, 20))  # 12 months before the 20th: outside
    violation(edge, date(2026, 10, 21))  # after the evaluation day: outside
    alerts = rows(org.assessor, "violations")
    assert [(a.retailer, a.violations, a.latest, a.window_from) for a in alerts] == [
        (two, 2, date(2026, 3, 1), date(2025, 10, 20))
    ]
    assert rows(org.b.dept_supervisor, "violations") == []
    override(org.company, violation_count=1, violation_months=13)
    assert {(a.retailer, a.violations) for a in rows(org.assessor, "violations")} == {
        (two, 2),
        (one, 1),
        (edge, 2),
    }


# --- Missed plans, retailers not visited --------------------------------------------------------


def plan(manager, territory, retailer, start, end, dropped=False):
    return VisitPlan.objects.create(
        manager=manager,
        territory=territory,
        retailer=retailer,
        month=start.replace(day=1),
        window_start=start,
        window_end=end,
        planned_class="B",
        scheduled_for=start,
        dropped=dropped,
    )


def visit(manager, retailer, day, status=VisitStatus.VALID, **fields):
    moment = local_datetime(day, 10)
    return Visit.objects.create(
        manager=manager,
        retailer=retailer,
        territory=retailer.territory,
        checked_in_at=moment,
        checked_out_at=moment + timedelta(minutes=10),
        check_in_date=day,
        status=status,
        **fields,
    )


@pytest.fixture
def plans(org):
    a = org.a
    r = SimpleNamespace(
        ended=shop(a.territory),
        today_end=shop(a.territory),
        done=shop(a.territory),
        dropped=shop(a.territory),
        b_shop=shop(org.b.territory),
        late_sep=shop(a.territory),
    )
    r.ended_plan = plan(a.cm, a.territory, r.ended, date(2026, 10, 8), date(2026, 10, 19))
    plan(a.cm, a.territory, r.today_end, date(2026, 10, 8), date(2026, 10, 20))
    plan(a.cm, a.territory, r.done, date(2026, 10, 1), date(2026, 10, 7))
    visit(a.cm, r.done, date(2026, 10, 7))
    plan(a.cm, a.territory, r.dropped, date(2026, 10, 1), date(2026, 10, 7), dropped=True)
    plan(org.b.cm, org.b.territory, r.b_shop, date(2026, 10, 1), date(2026, 10, 7))
    r.sep_plan = plan(a.cm, a.territory, r.late_sep, date(2026, 9, 16), date(2026, 9, 30))
    visit(a.cm, r.late_sep, date(2026, 10, 1))  # after the window: does not complete it
    return r


def test_missed_plan_when_the_window_has_ended(org, plans):
    assert [p.retailer for p in rows(org.a.cm, "missed_plans")] == [plans.ended]
    assert [p.retailer for p in rows(org.a.dept_supervisor, "missed_plans")] == [plans.ended]
    assert [p.retailer for p in rows(org.b.dept_supervisor, "missed_plans")] == [plans.b_shop]
    assert count(org.assessor, "missed_plans") == 2
    # A day later the window ending on the 20th has ended too.
    assert {p.retailer for p in rows(org.a.cm, "missed_plans", today=date(2026, 10, 21))} == {
        plans.ended,
        plans.today_end,
    }
    # A past month is over: its last window (ending on the 30th) has ended.
    assert rows(org.a.cm, "missed_plans", month=SEP) == [plans.sep_plan]


def test_retailers_not_visited_this_month(org, plans):
    invalid = shop(org.a.territory2)
    visit(org.a.cm2, invalid, date(2026, 10, 3), status=VisitStatus.INVALID)
    orphan_territory = TerritoryFactory(department=org.a.department, manager=None)
    shop(orphan_territory)  # no manager: nobody to send
    shop(org.a.territory, status=RetailerStatus.CANCELLED)
    expected = {plans.ended, plans.today_end, plans.dropped, invalid}  # done, late_sep visited
    assert set(rows(org.a.dept_supervisor, "not_visited")) == expected
    assert count(org.a.dept_supervisor, "not_visited") == 4
    assert rows(org.b.dept_supervisor, "not_visited") == [plans.b_shop]
    # September (to the 30th): late_sep was visited on 10-01 only.
    assert plans.late_sep in rows(org.a.dept_supervisor, "not_visited", month=SEP)
    assert "not_visited" not in alerts_for(org.a.cm, month=OCT, today=TODAY)


# --- Scores -------------------------------------------------------------------------------------


def scores(company, month, totals, state=MonthState.PUBLISHED):
    assessment = AssessmentMonth.objects.create(company=company, month=month, state=state)
    for manager, total in totals.items():
        ManagerScore.objects.create(
            assessment=assessment,
            manager=manager,
            bonus_raw=0,
            bonus=0,
            total=Decimal(total),
            sales_boxes=0,
        )
    return assessment


def test_scores_below_60_or_dropping_10(org):
    a, b = org.a, org.b
    scores(org.company, AUG, {a.cm: "69.99", a.cm2: "65", b.cm: "80", b.cm2: "80"})
    september = scores(
        org.company, SEP, {a.cm: "60.00", a.cm2: "59.99", b.cm: "70.00", b.cm2: "70.01"}
    )
    alerts = rows(org.assessor, "low_scores")  # October: last complete month September
    assert [(s.manager, s.total, s.previous, s.below_floor, s.dropped) for s in alerts] == [
        (a.cm2, Decimal("59.99"), Decimal("65.00"), True, False),
        (b.cm, Decimal("70.00"), Decimal("80.00"), False, True),
    ]
    assert alerts[1].drop == Decimal("10.00")
    assert [s.manager for s in rows(a.dept_supervisor, "low_scores")] == [a.cm2]
    assert rows(org.assessor, "low_scores", month=SEP) == alerts  # a past month: itself
    override(org.company, score_floor=Decimal("60.01"), score_drop=Decimal("9.99"))
    assert [s.manager for s in rows(org.assessor, "low_scores")] == [a.cm2, a.cm, b.cm, b.cm2]
    september.state = MonthState.REVIEW
    september.save()
    assert rows(org.assessor, "low_scores") == []  # only published totals


# --- Complaints, flagged visits -----------------------------------------------------------------


def complaint(retailer, user, opened, **fields):
    return Complaint.objects.create(
        retailer=retailer,
        territory=retailer.territory,
        content="送货不及时",
        opened_at=opened,
        opened_by=user,
        respond_by=opened + timedelta(hours=24),
        resolve_by=opened + timedelta(hours=72),
        **fields,
    )


def test_overdue_complaints(org):
    a_shop, b_shop = shop(org.a.territory), shop(org.b.territory)
    overdue = complaint(a_shop, org.a.cm, local_datetime(date(2026, 10, 15), 10))
    complaint(  # resolved in time
        a_shop,
        org.a.cm,
        local_datetime(date(2026, 10, 15), 11),
        status=ComplaintStatus.RESOLVED,
        first_response_at=local_datetime(date(2026, 10, 15), 12),
        resolved_at=local_datetime(date(2026, 10, 16), 12),
    )
    due_today = complaint(b_shop, org.b.cm, local_datetime(date(2026, 10, 19), 9))
    due_today.first_response_at = local_datetime(date(2026, 10, 19), 10)
    due_today.status = ComplaintStatus.IN_PROGRESS
    due_today.save()  # resolve by 10-22 09:00, responded: not overdue on the 20th
    late_sep = complaint(
        b_shop,
        org.b.cm,
        local_datetime(date(2026, 9, 26), 8),
        status=ComplaintStatus.RESOLVED,
        resolved_at=local_datetime(date(2026, 9, 29), 9),  # 1 h after its deadline
    )
    assert rows(org.assessor, "overdue_complaints") == [overdue]
    assert rows(org.b.dept_supervisor, "overdue_complaints") == []
    assert rows(org.assessor, "overdue_complaints", month=SEP) == [late_sep]
    assert rows(org.a.dept_supervisor, "overdue_complaints", month=SEP) == []


def test_flagged_visits_not_reviewed(org):
    a_shop, b_shop = shop(org.a.territory), shop(org.b.territory)
    waiting = visit(org.a.cm, a_shop, date(2026, 10, 10), flag_far=True)
    visit(org.a.cm, a_shop, date(2026, 10, 11))  # not flagged
    visit(
        org.a.cm,
        a_shop,
        date(2026, 10, 12),
        flag_short=True,
        reviewed_by=org.a.dept_supervisor,
        reviewed_at=local_datetime(date(2026, 10, 13), 9),
    )
    visit(org.a.cm, a_shop, date(2026, 10, 21), flag_far=True)  # after the evaluation day
    b_visit = visit(org.b.cm, b_shop, date(2026, 10, 10), flag_rapid=True)
    assert rows(org.a.dept_supervisor, "unreviewed_visits") == [waiting]
    assert set(rows(org.assessor, "unreviewed_visits")) == {waiting, b_visit}
    assert count(org.assessor, "unreviewed_visits") == 2


# --- Coverage gaps ------------------------------------------------------------------------------


def inspect(inspector, manager, level, on):
    return Inspection.objects.create(
        manager=manager,
        inspector=inspector,
        level=level,
        inspected_on=on,
        month=on.replace(day=1),
        item_code="visits",
        points=Decimal(1),
        reason="r",
    )


def test_coverage_gaps_after_the_month_or_when_days_run_out(org):
    a = org.a
    inspect(a.dept_supervisor, a.cm, 3, date(2026, 10, 2))  # one of two
    for manager in (org.b.cm, org.b.cm2):
        for day in (2, 3):
            inspect(org.b.dept_supervisor, manager, 3, date(2026, 10, day))
    inspect(a.center_supervisor, a.cm, 2, date(2026, 10, 2))
    # The 20th: 12 days left for at most 2 missing inspections: nothing yet.
    assert rows(org.assessor, "coverage_gaps") == []
    # The 31st, 1 day left: cm2 misses 2 (raised), cm misses 1 (still possible today).
    last_day = rows(org.assessor, "coverage_gaps", today=date(2026, 10, 31))
    assert [(g.level, g.unit, g.manager, g.done, g.required) for g in last_day] == [
        (3, a.department, a.cm2, 0, 2)
    ]
    # Once the month is over (viewed in November): every gap, levels 2 and 1 included.
    over = rows(org.assessor, "coverage_gaps", today=date(2026, 11, 1))
    assert [(g.level, g.unit, g.manager, g.done, g.required) for g in over] == [
        (3, a.department, a.cm, 1, 2),
        (3, a.department, a.cm2, 0, 2),
        (2, org.b.center, None, 0, 1),
        (1, org.company, None, 0, 1),
    ]
    assert [
        g.manager for g in rows(org.b.dept_supervisor, "coverage_gaps", today=date(2026, 11, 1))
    ] == []


# --- Month deadlines ----------------------------------------------------------------------------


def test_months_not_closed_or_published_in_time(org):
    september = AssessmentMonth.objects.create(company=org.company, month=SEP)

    def late(day):
        return [
            (m.step, m.deadline, m.done_on) for m in rows(org.assessor, "late_months", today=day)
        ]

    assert late(date(2026, 10, 5)) == []  # the deadline day itself
    assert late(date(2026, 10, 6)) == [("close", date(2026, 10, 5), None)]
    september.state = MonthState.REVIEW
    september.review_from = local_datetime(date(2026, 10, 7), 9)
    september.save()
    assert late(date(2026, 10, 15)) == [("close", date(2026, 10, 5), date(2026, 10, 7))]
    assert late(date(2026, 10, 16)) == [
        ("close", date(2026, 10, 5), date(2026, 10, 7)),
        ("publish", date(2026, 10, 15), None),
    ]
    override(org.company, close_by_day=7, publish_by_day=20)
    assert late(date(2026, 10, 16)) == []
    assert "late_months" not in alerts_for(org.a.dept_supervisor, month=OCT, today=TODAY)


# --- Pay runs, tier proposals -------------------------------------------------------------------


def test_pay_runs_prepared_not_approved(org):
    scheme = PayScheme.objects.order_by("effective_from").first()
    prepared = PayRun.objects.create(
        company=org.company,
        month=AUG,
        scheme=scheme,
        prepared_by=org.hr,
        prepared_at=local_datetime(date(2026, 10, 19), 10),
    )
    PayRun.objects.create(
        company=org.company,
        month=date(2026, 7, 1),
        scheme=scheme,
        status=PayRunStatus.APPROVED,
        prepared_by=org.hr,
        prepared_at=local_datetime(date(2026, 10, 19), 10),
        approved_by=org.admin,
        approved_at=local_datetime(date(2026, 10, 19), 11),
    )
    assert rows(org.hr, "pay_runs") == [prepared]
    assert rows(org.admin, "pay_runs") == [prepared]
    assert "pay_runs" not in alerts_for(org.assessor, month=OCT, today=TODAY)
    assert sections_for(org.hr) == ("pay_runs",)
    prepared.status = PayRunStatus.APPROVED
    prepared.approved_by = org.admin
    prepared.approved_at = local_datetime(date(2026, 10, 21), 9)
    prepared.save()
    assert rows(org.hr, "pay_runs") == [prepared]  # on the 20th it was still waiting
    assert rows(org.hr, "pay_runs", today=date(2026, 10, 21)) == []


def test_tier_proposals_waiting_for_the_admin(org):
    proposal = TierProposal.objects.create(
        quarter_start=date(2026, 7, 1),
        manager=org.a.cm,
        current_tier=Tier.TWO,
        proposed_tier=Tier.THREE,
    )
    TierProposal.objects.create(
        quarter_start=date(2026, 7, 1),
        manager=org.b.cm,
        current_tier=Tier.TWO,
        proposed_tier=Tier.ONE,
        status=ProposalStatus.REJECTED,
        decided_by=org.admin,
        decided_at=local_datetime(date(2026, 10, 6), 9),
    )
    assert rows(org.admin, "tier_proposals") == [proposal]
    assert count(org.admin, "tier_proposals") == 1
    assert "tier_proposals" not in alerts_for(org.hr, month=OCT, today=TODAY)


# --- Several cities -----------------------------------------------------------------------------


def test_each_city_uses_its_own_thresholds(brand):
    province = OrgUnitFactory(name="江淮省烟草公司", code="P", kind=OrgKind.PROVINCE)
    cities = []
    for code in ("C1", "C2"):
        city = OrgUnitFactory(name=f"{code}市", code=code, kind=OrgKind.COMPANY, parent=province)
        center = OrgUnitFactory(code=f"{code}-1", kind=OrgKind.MARKETING_CENTER, parent=city)
        department = OrgUnitFactory(
            code=f"{code}-1-1", kind=OrgKind.SERVICE_DEPARTMENT, parent=center
        )
        territory = TerritoryFactory(department=department)
        retailer = shop(territory)
        order(retailer, brand, TODAY - timedelta(days=28), 5)
        cities.append((city, retailer))
    orders_rollup_refresh(months=[SEP])
    admin = UserFactory(role=Role.ADMIN, org_unit=province)
    override(cities[1][0], no_order_days=30)
    assert [a.retailer for a in rows(admin, "no_orders")] == [cities[0][1]]


# --- Leaders ------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(Role, "LEADER"), reason="the leader role is not there yet")
def test_a_leader_reads_the_alerts_of_their_subtree(org, quiet):
    leader = UserFactory(role=Role.LEADER, org_unit=org.a.center)
    assert sections_for(leader) == (*selectors.CITY_SECTIONS, selectors.ORDER_FILES)
    assert [a.retailer for a in rows(leader, "no_orders")] == [quiet.d28, quiet.new28]


# --- The page and the API -----------------------------------------------------------------------


def last_month_data(org, brand, n):
    """``n`` rows of each retailer alert in department A, dated last month (a past month)."""
    this = add_months(timezone.localdate(), -1)
    before = add_months(this, -1)
    for i in range(n):
        idle = shop(org.a.territory)
        order(idle, brand, add_months(this, -3), 1)
        falling, steady = shop(org.a.territory), shop(org.a.territory2)
        order(falling, brand, before, 100)
        order(falling, brand, this + timedelta(days=10), 10)
        order(steady, brand, before, 100)
        order(steady, brand, this + timedelta(days=10), 190)
        violation(falling, this)
        violation(falling, this + timedelta(days=1))
        plan(org.a.cm, org.a.territory, idle, this, this + timedelta(days=6))
        visit(org.a.cm2, steady, this + timedelta(days=2), flag_far=True)
        complaint(falling, org.a.cm, local_datetime(this, 9) + timedelta(hours=i))
    orders_rollup_refresh(months=[add_months(this, -3), before, this])
    return this


def test_page_lists_the_alerts_with_links(client, org, brand):
    month = last_month_data(org, brand, 1)
    client.force_login(org.a.dept_supervisor)
    response = client.get(reverse("reports:alerts") + f"?month={month:%Y-%m}")
    assert response.status_code == 200
    body = response.content.decode()
    counts = response.context["sections"]
    assert {s["key"]: s["count"] for s in counts} == {
        "no_orders": 1,
        "order_anomaly": 1,
        "violations": 1,
        "missed_plans": 1,
        "not_visited": 2,  # idle and falling (steady has a visit, flagged but valid)
        "low_scores": 0,
        "overdue_complaints": 1,
        "unreviewed_visits": 1,
        "coverage_gaps": 2,
    }
    visit_ = Visit.objects.get()
    complaint_ = Complaint.objects.get()
    retailer = Violation.objects.first().retailer
    assert reverse("retailers:detail", args=[retailer.pk]) in body
    assert reverse("visits:detail", args=[visit_.pk]) in body
    assert reverse("visits:complaint_detail", args=[complaint_.pk]) in body
    assert reverse("assessment:coverage") in body
    # What department A's supervisor is sent to is a 404 for department B's.
    client.force_login(org.b.dept_supervisor)
    response = client.get(reverse("reports:alerts") + f"?month={month:%Y-%m}")
    assert {s["key"]: s["count"] for s in response.context["sections"]}["no_orders"] == 0
    assert client.get(reverse("retailers:detail", args=[retailer.pk])).status_code == 404
    assert client.get(reverse("visits:detail", args=[visit_.pk])).status_code == 404
    assert client.get(reverse("visits:complaint_detail", args=[complaint_.pk])).status_code == 404


def test_manager_page_links_to_the_visit_form(client, org, brand):
    month = last_month_data(org, brand, 1)
    client.force_login(org.a.cm)
    response = client.get(reverse("reports:alerts") + f"?month={month:%Y-%m}")
    assert [s["key"] for s in response.context["sections"]] == list(selectors.MANAGER_SECTIONS)
    idle = RetailerOrderMonth.objects.filter(net_cartons=1).get().retailer
    assert f"{reverse('visits:new')}?retailer={idle.pk}" in response.content.decode()


def test_hr_and_admin_links(client, org):
    scheme = PayScheme.objects.order_by("effective_from").first()
    run = PayRun.objects.create(
        company=org.company,
        month=AUG,
        scheme=scheme,
        prepared_by=org.hr,
        prepared_at=timezone.now() - timedelta(hours=1),
    )
    TierProposal.objects.create(
        quarter_start=date(2026, 4, 1),
        manager=org.a.cm,
        current_tier=Tier.TWO,
        proposed_tier=Tier.THREE,
    )
    client.force_login(org.hr)
    body = client.get(reverse("reports:alerts")).content.decode()
    assert f"{reverse('reports:pay_run')}?company={org.company.pk}&amp;month=2026-08" in body
    client.force_login(org.admin)
    body = client.get(reverse("reports:alerts")).content.decode()
    assert f"{reverse('reports:tier_review')}?company={org.company.pk}&amp;quarter=2026-Q2" in body
    assert run.pk


def test_page_query_count_does_not_grow(client, org, brand):
    month = last_month_data(org, brand, 2)
    url = reverse("reports:alerts") + f"?month={month:%Y-%m}"
    client.force_login(org.admin)
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    last_month_data(org, brand, 4)  # three times the rows
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    counts = {s["key"]: s["count"] for s in response.context["sections"]}
    assert counts["no_orders"] == 6 and counts["overdue_complaints"] == 6
    assert len(large) == len(small) == 29


def test_page_month_defaults_and_roles(client, org):
    client.force_login(org.assessor)
    response = client.get(reverse("reports:alerts") + "?month=bad")
    assert response.status_code == 200
    assert response.context["month"] == timezone.localdate().replace(day=1)
    assert client.get(reverse("reports:alerts") + "?month=2999-01").context["month"] == (
        timezone.localdate().replace(day=1)
    )
    client.logout()
    assert client.get(reverse("reports:alerts")).status_code == 302


def test_api_returns_counts_and_rows(org, brand):
    month = last_month_data(org, brand, 1)
    api = APIClient()
    api.force_authenticate(org.a.dept_supervisor)
    data = api.get(reverse("alerts-list") + f"?month={month:%Y-%m}").json()
    assert data["month"] == month.replace(day=1).isoformat()
    assert data["counts"]["no_orders"] == 1 and data["counts"]["order_anomaly"] == 1
    anomaly = data["alerts"]["order_anomaly"][0]
    # Department A: 100 + 100 → 10 + 190 (ratio 1); the falling shop 10 ÷ 100.
    assert (anomaly["this_cartons"], anomaly["last_cartons"], anomaly["relative"]) == (
        10,
        100,
        "0.1000",
    )
    assert set(data["alerts"]) == set(selectors.SUBTREE_SECTIONS)
    assert data["alerts"]["no_orders"][0]["retailer"]["territory"] == org.a.territory.code
    api.force_authenticate(org.b.dept_supervisor)
    other = api.get(reverse("alerts-list") + f"?month={month:%Y-%m}&limit=1").json()
    assert other["counts"]["no_orders"] == 0 and other["alerts"]["no_orders"] == []
    api.force_authenticate(org.hr)
    assert set(api.get(reverse("alerts-list")).json()["alerts"]) == {"pay_runs"}


def test_api_is_in_the_schema(org):
    api = APIClient()
    api.force_authenticate(org.admin)
    response = api.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = response.json()
    response_schema = schema["paths"]["/api/v1/alerts/"]["get"]["responses"]["200"]
    assert response_schema["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Alerts"
    }  # one object, not a list
    assert "OrderAnomaly" in schema["components"]["schemas"]


def test_a_month_before_any_alert_rules(org):
    """No rules in force (1999, before the defaults of 2000): no violation rows, not a 500."""
    api = APIClient()
    api.force_authenticate(org.a.dept_supervisor)
    data = api.get(reverse("alerts-list") + "?month=1999-06").json()
    assert data["month"] == "1999-06-01"
    assert (data["counts"]["violations"], data["alerts"]["violations"]) == (0, [])
