"""Role home pages: what needs doing today, with counts and links (reports.selectors.home).

Hand-built data in company C0 (centers A and B, see tests/conftest.py), judged on
TODAY = 2026-11-20 10:00 Asia/Shanghai unless a test says otherwise. The alerts item is left
out (``_alert_counts`` → None) except where a test fakes it, so the counts here do not depend
on the alert rules.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role, User
from assessment.models import (
    Appeal,
    AssessmentMonth,
    Inspection,
    ItemScore,
    ManagerScore,
    MonthState,
)
from assessment.services import month_close, month_publish, month_start_review
from reports.models import AlertRules, PayRun, PayRunStatus
from reports.selectors import home
from reports.selectors.home import manager_progress, todo_for
from reports.services.pay import pay_run_approve, pay_run_prepare
from retailers.models import KeyBrandMonth, SalesTarget
from tests.factories import (
    BrandFactory,
    OrderLineFactory,
    RetailerFactory,
    TerritoryFactory,
    UserFactory,
)
from visits.models import Complaint, ComplaintStatus, InformationItem, Validity, Visit, VisitPlan
from visits.services.visits import visit_review

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 10, tzinfo=TZ)
NOV, OCT, SEP = date(2026, 11, 1), date(2026, 10, 1), date(2026, 9, 1)
LEADER = getattr(Role, "LEADER", None)


@pytest.fixture(autouse=True)
def no_alerts(monkeypatch):
    monkeypatch.setattr(home, "_alert_counts", lambda: None)


def at(day, hour=10):
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def todo(user, today=TODAY, now=None):
    now = now or (NOW if today == TODAY else at(today))
    return {item.key: item for item in todo_for(user, today=today, now=now)}


def counts(user, **kwargs):
    return {key: item.count for key, item in todo(user, **kwargs).items()}


def visit(manager, territory, retailer, day, **fields):
    return Visit.objects.create(
        manager=manager,
        retailer=retailer,
        territory=territory,
        checked_in_at=at(day),
        check_in_date=day,
        checked_out_at=at(day, 11),
        **fields,
    )


def complaint(territory, retailer, opened_by, opened, **fields):
    return Complaint.objects.create(
        retailer=retailer,
        territory=territory,
        content="送货晚",
        opened_at=opened,
        opened_by=opened_by,
        respond_by=opened + timedelta(hours=24),
        resolve_by=opened + timedelta(hours=72),
        **fields,
    )


def inspect(inspector, manager, level, on=TODAY, month=None):
    return Inspection.objects.create(
        manager=manager,
        inspector=inspector,
        level=level,
        inspected_on=on,
        month=month or on.replace(day=1),
        item_code="discipline",
        points=Decimal(1),
        reason="抽查",
    )


def plan(manager, territory, retailer, scheduled_for, month=NOV, start=NOV, end=None):
    return VisitPlan.objects.create(
        manager=manager,
        territory=territory,
        retailer=retailer,
        month=month,
        window_start=start,
        window_end=end or date(2026, 11, 30),
        planned_class="C",
        scheduled_for=scheduled_for,
    )


# --- Supervisors: flagged visits, overdue complaints, appeals, coverage ----------------------


def test_flagged_visits_not_reviewed_scoped_both_ways(org, client):
    a, b = org.a, org.b
    shop_a, shop_b = RetailerFactory(territory=a.territory), RetailerFactory(territory=b.territory)
    visit(a.cm, a.territory, shop_a, date(2026, 11, 3), flag_far=True)
    visit(a.cm, a.territory, shop_a, date(2026, 10, 28), flag_short=True)  # last month counts
    reviewed = visit(a.cm, a.territory, shop_a, date(2026, 11, 4), flag_rapid=True)
    visit_review(visit=reviewed, user=a.dept_supervisor, valid=True)
    visit(a.cm, a.territory, shop_a, date(2026, 11, 5))  # not flagged
    visit(a.cm, a.territory, shop_a, date(2026, 9, 30), flag_far=True)  # before last month
    visit(b.cm, b.territory, shop_b, date(2026, 11, 6), flag_no_location=True)

    assert counts(a.dept_supervisor)["flagged_visits"] == 2
    assert counts(b.dept_supervisor)["flagged_visits"] == 1
    assert counts(a.center_supervisor)["flagged_visits"] == 2
    assert counts(org.assessor)["flagged_visits"] == 3
    assert counts(org.admin)["flagged_visits"] == 3
    item = todo(a.dept_supervisor)["flagged_visits"]
    assert item.level == "warning"
    assert item.url == reverse("visits:list") + "?flagged=true&reviewed=false&date_from=2026-10-01"
    # The link shows exactly the rows behind the count.
    client.force_login(a.dept_supervisor)
    page = client.get(item.url).context["page"]
    assert page.paginator.count == 2


def test_overdue_complaints_scoped(org):
    a, b = org.a, org.b
    shop_a, shop_b = RetailerFactory(territory=a.territory), RetailerFactory(territory=b.territory)
    complaint(a.territory, shop_a, a.dept_supervisor, at(date(2026, 11, 10)))  # overdue
    complaint(
        a.territory,
        shop_a,
        a.dept_supervisor,
        at(date(2026, 11, 10)),
        status=ComplaintStatus.RESOLVED,
        first_response_at=at(date(2026, 11, 10), 12),
        resolved_at=at(date(2026, 11, 11)),
    )
    complaint(a.territory, shop_a, a.dept_supervisor, NOW - timedelta(hours=2))  # not yet due
    complaint(b.territory, shop_b, b.dept_supervisor, at(date(2026, 11, 1)))  # overdue, B

    assert counts(a.dept_supervisor)["overdue_complaints"] == 1
    assert counts(b.center_supervisor)["overdue_complaints"] == 1
    assert counts(org.assessor)["overdue_complaints"] == 2
    item = todo(org.assessor)["overdue_complaints"]
    assert (item.level, item.url) == ("danger", reverse("visits:complaints") + "?overdue=true")


def test_appeals_go_to_the_levels_above_the_inspector(org):
    a = org.a
    level3 = inspect(a.dept_supervisor, a.cm, 3, on=date(2026, 10, 20))
    level2 = inspect(a.center_supervisor, a.cm2, 2, on=date(2026, 10, 21))
    Appeal.objects.create(**Appeal.target_fields(inspection=level3), reason="当天在店")
    Appeal.objects.create(**Appeal.target_fields(inspection=level2), reason="有照片")
    decided = inspect(a.dept_supervisor, a.cm2, 3, on=date(2026, 10, 22))
    Appeal.objects.create(
        **Appeal.target_fields(inspection=decided),
        reason="r",
        status="rejected",
        decision_reason="无据",
    )

    assert counts(a.dept_supervisor)["appeals"] == 0  # nobody below level 3
    assert counts(a.center_supervisor)["appeals"] == 1  # the level-3 deduction only
    assert counts(org.b.center_supervisor)["appeals"] == 0  # another center's
    assert counts(org.assessor)["appeals"] == 2  # level 1: both
    item = todo(org.assessor)["appeals"]
    assert item.url == reverse("assessment:appeals")
    # An admin decides none but sees them pending, linked to the months page.
    admin_item = todo(org.admin)["appeals"]
    assert (admin_item.count, admin_item.url) == (2, reverse("assessment:months"))


def test_coverage_shortfall_this_month(org):
    a, b = org.a, org.b
    for manager in (a.cm, a.cm, a.cm2, a.cm2):  # department A: both twice by level 3
        inspect(a.dept_supervisor, manager, 3, on=date(2026, 11, 10))
    inspect(a.center_supervisor, a.cm, 2, on=date(2026, 11, 11))  # center A: 1 of 2 ≥ 30 %
    inspect(b.dept_supervisor, b.cm, 3, on=date(2026, 10, 31))  # last month: does not count

    assert counts(a.dept_supervisor)["coverage"] == 0
    assert counts(b.dept_supervisor)["coverage"] == 1  # department B
    assert counts(a.center_supervisor)["coverage"] == 0
    assert counts(b.center_supervisor)["coverage"] == 2  # department B and center B
    # The company: department B, center B and level 1 (0 of 4, 1 needed).
    item = todo(org.assessor)["coverage"]
    assert item.count == 3
    assert item.url == reverse("assessment:coverage") + "?month=2026-11"


@pytest.mark.skipif(LEADER is None, reason="no leader role yet")
def test_a_leader_sees_the_same_counts_as_information(org):
    leader = UserFactory(employee_no="410101", role=LEADER, org_unit=org.a.center)
    shop = RetailerFactory(territory=org.a.territory)
    visit(org.a.cm, org.a.territory, shop, date(2026, 11, 3), flag_far=True)
    complaint(org.a.territory, shop, org.a.dept_supervisor, at(date(2026, 11, 10)))
    Appeal.objects.create(
        **Appeal.target_fields(inspection=inspect(org.a.dept_supervisor, org.a.cm, 3)), reason="r"
    )

    items = todo(leader)
    assert {key: item.count for key, item in items.items()} == {
        "flagged_visits": 1,
        "overdue_complaints": 1,
        "appeals": 1,
        "coverage": 2,  # department A and center A
    }
    assert {item.level for item in items.values()} == {"info"}
    assert items["appeals"].url == ""  # a leader has no appeals page


def test_alerts_item_when_the_alert_counts_exist(org, monkeypatch):
    calls = []

    def alert_counts(user, *, month, today=None):
        calls.append((user, month, today))
        return {"no_orders": 2, "overdue_complaints": 3}

    monkeypatch.setattr(home, "_alert_counts", lambda: alert_counts)
    item = todo(org.a.dept_supervisor)["alerts"]
    assert (item.count, item.level) == (5, "warning")
    assert calls == [(org.a.dept_supervisor, NOV, TODAY)]
    assert "alerts" not in todo(org.hr)


# --- HR: pay runs ----------------------------------------------------------------------------


def publish(month):
    month_close(month=month)
    month_start_review(month=month, now=timezone.now() - timedelta(days=6))  # window over
    month_publish(month=month)


def test_hr_pay_runs_waiting_and_published_months_without_a_run(org):
    publish(SEP)
    publish(OCT)
    assert counts(org.hr) == {"months_without_pay_run": 2, "pay_runs_waiting": 0}

    run = pay_run_prepare(month=OCT, user=org.hr)
    items = todo(org.hr)
    # September was published before the city's first run: not a month to pay any more.
    assert {key: item.count for key, item in items.items()} == {
        "pay_runs_waiting": 1,
        "months_without_pay_run": 0,
    }
    pay_page = reverse("reports:pay_run")
    assert items["pay_runs_waiting"].url == f"{pay_page}?company={org.company.pk}&month=2026-10"
    assert items["pay_runs_waiting"].note == "2026-10"

    pay_run_approve(run=run, user=org.admin)
    assert PayRun.objects.get().status == PayRunStatus.APPROVED
    assert counts(org.hr)["pay_runs_waiting"] == 0
    assert counts(org.admin)["pay_runs_waiting"] == 0


def test_hr_sees_no_supervision_items(org):
    assert set(todo(org.hr)) == {"pay_runs_waiting", "months_without_pay_run"}


# --- The assessment center: months ------------------------------------------------------------


def month_row(org, month, state, **fields):
    return AssessmentMonth.objects.create(company=org.company, month=month, state=state, **fields)


def month_counts(user, today, now=None):
    items = todo(user, today=today, now=now)
    return {key: items[key].count for key in items if key.startswith("months_to")}


def test_a_draft_past_its_close_by_day_is_to_close(org):
    month_row(org, OCT, MonthState.DRAFT, closed_at=at(date(2026, 11, 1)))
    # By the 5th (the default close-by day) it is ready to open for review; after, overdue.
    assert month_counts(org.assessor, date(2026, 11, 5)) == {
        "months_to_close": 0,
        "months_to_open": 1,
        "months_to_publish": 0,
    }
    assert month_counts(org.assessor, TODAY) == {
        "months_to_close": 1,
        "months_to_open": 0,
        "months_to_publish": 0,
    }
    item = todo(org.assessor)["months_to_close"]
    assert (item.level, item.note) == ("danger", "2026-10")
    assert item.url == reverse("assessment:months") + f"?company={org.company.pk}"
    assert month_counts(org.admin, TODAY)["months_to_close"] == 1


def test_a_missing_month_is_to_close_after_the_close_by_day(org):
    assert month_counts(org.assessor, date(2026, 11, 5))["months_to_close"] == 0
    assert month_counts(org.assessor, date(2026, 11, 6))["months_to_close"] == 1


def test_close_by_day_is_the_city_rule(org):
    AlertRules.objects.create(
        version=99, company=org.company, effective_from=NOV, close_by_day=25, publish_by_day=28
    )
    month_row(org, OCT, MonthState.DRAFT, closed_at=at(date(2026, 11, 1)))
    assert month_counts(org.assessor, TODAY)["months_to_open"] == 1
    assert month_counts(org.assessor, TODAY)["months_to_close"] == 0


def test_a_month_in_review_is_to_publish_once_its_window_ended_without_pending_appeals(org):
    month_row(org, OCT, MonthState.REVIEW, closed_at=at(OCT), review_from=at(date(2026, 11, 6)))
    # Five days of appeals: open until 11-11 10:00.
    assert month_counts(org.assessor, date(2026, 11, 11))["months_to_publish"] == 0
    items = todo(org.assessor, today=date(2026, 11, 12))
    assert (items["months_to_publish"].count, items["months_to_publish"].level) == (1, "warning")
    items = todo(org.assessor)  # 11-20: past the publish-by day (15th)
    assert (items["months_to_publish"].count, items["months_to_publish"].level) == (1, "danger")

    Appeal.objects.create(
        **Appeal.target_fields(inspection=inspect(org.a.dept_supervisor, org.a.cm, 3, month=OCT)),
        reason="r",
    )
    assert month_counts(org.assessor, TODAY)["months_to_publish"] == 0
    assert counts(org.assessor)["appeals"] == 1


# --- A customer manager: today's stops and the month so far ------------------------------------


@pytest.fixture
def stops(org):
    """A1's day: three stops planned today, one done; yesterday's stop carried over."""
    a = org.a
    shops = [RetailerFactory(territory=a.territory) for _ in range(5)]
    for shop in shops[:3]:
        plan(a.cm, a.territory, shop, TODAY)
    visit(a.cm, a.territory, shops[0], TODAY)
    plan(a.cm, a.territory, shops[3], TODAY - timedelta(days=1))  # carried over
    done = plan(a.cm, a.territory, shops[4], TODAY - timedelta(days=2))  # done earlier
    visit(a.cm, a.territory, done.retailer, TODAY - timedelta(days=2))
    return shops


def test_manager_today_stops(org, stops):
    item = todo(org.a.cm)["stops"]
    assert item.count == 3  # two of today's and the carried-over one
    assert item.url == reverse("visits:today")
    assert item.level == "warning"
    assert home.stop_counts(org.a.cm, TODAY) == home.StopCounts(
        planned_today=3, done_today=1, carried_over=1, to_do=3
    )
    assert set(todo(org.a.cm)) == {"stops"}
    assert counts(org.a.cm2) == {"stops": 0}
    assert todo(org.a.cm2)["stops"].level == "info"


def test_manager_three_planned_one_done(org):
    a = org.a
    shops = [RetailerFactory(territory=a.territory) for _ in range(3)]
    for shop in shops:
        plan(a.cm, a.territory, shop, TODAY)
    visit(a.cm, a.territory, shops[1], TODAY)
    item = todo(a.cm)["stops"]
    assert (item.count, item.level) == (2, "warning")
    assert home.stop_counts(a.cm, TODAY).done_today == 1


def test_manager_live_progress(org, stops):
    a = org.a
    one, key = BrandFactory(price_class=1), BrandFactory(price_class=2)
    KeyBrandMonth.objects.create(brand=key, month=NOV)
    OrderLineFactory(retailer=stops[0], brand=one, order_date=date(2026, 11, 5), quantity=500)
    OrderLineFactory(retailer=stops[1], brand=key, order_date=date(2026, 11, 6), quantity=250)
    october = OrderLineFactory(
        retailer=stops[1], brand=one, order_date=date(2026, 10, 30), quantity=999
    )
    SalesTarget.objects.create(manager=a.cm, month=NOV, total_boxes=4, key_brand_boxes=1)
    for n, validity in enumerate([Validity.PENDING, Validity.VALID, Validity.INVALID]):
        InformationItem.objects.create(
            kind="price",
            content=f"信息{n}",
            reported_by=a.cm,
            territory=a.territory,
            reported_at=at(date(2026, 11, 2 + n)),
            validity=validity,
        )

    progress = manager_progress(a.cm, today=TODAY)
    assert (progress.month, progress.live, progress.total, progress.rank) == (NOV, True, None, None)
    rows = {row.code: (row.actual, row.target, row.unit) for row in progress.rows}
    assert rows == {
        "sales": (Decimal(3), Decimal(4), "箱"),  # 750 条
        "key_brand": (Decimal(1), Decimal(1), "箱"),
        "visits": (Decimal(2), Decimal(5), "次"),  # 5 planned this month, 2 completed
        "info": (Decimal(2), Decimal(8), "条"),  # the invalid one does not count
    }
    by_code = {row.code: row for row in progress.rows}
    assert (by_code["sales"].ratio, by_code["sales"].bar) == (Decimal("0.75"), 75)
    assert progress.later == ["新品上柜率", "客户满意度", "服务规范与工作纪律"]
    assert manager_progress(org.a.dept_supervisor, today=TODAY) is None

    # A November return of 800 条 of the October 一类 line: 一类 nets 500 − 800 → 0 (DOMAIN
    # §10.5), the key brand's 二类 250 条 stays: 1 箱 (not (750 − 800) ÷ 250 < 0).
    OrderLineFactory(
        retailer=stops[1],
        brand=one,
        order_date=date(2026, 11, 7),
        quantity=-800,
        amount=-one.wholesale_price * 800,
        returns_line=october,
    )
    rows = {row.code: row.actual for row in manager_progress(a.cm, today=TODAY).rows}
    assert (rows["sales"], rows["key_brand"]) == (Decimal(1), Decimal(1))


def score(assessment, manager, total):
    return ManagerScore.objects.create(
        assessment=assessment,
        manager=manager,
        territory=manager.territory,
        bonus_raw=0,
        bonus=0,
        total=Decimal(total),
        sales_boxes=0,
    )


def test_manager_rank_in_department_and_computed_month(org):
    a, b = org.a, org.b
    october = month_row(
        org, OCT, MonthState.REVIEW, closed_at=at(OCT), review_from=at(date(2026, 11, 3))
    )
    for manager, total in ((a.cm, 80), (a.cm2, 90), (b.cm, 95), (b.cm2, 70)):
        score(october, manager, total)
    progress = manager_progress(a.cm, today=TODAY)
    assert progress.live is True
    rank = progress.rank
    assert (rank.month, rank.position, rank.of, rank.total) == (OCT, 2, 2, Decimal(80))
    assert manager_progress(a.cm2, today=TODAY).rank.position == 1

    computed = at(date(2026, 11, 19), 4)
    november = month_row(org, NOV, MonthState.DRAFT, closed_at=computed)
    mine = score(november, a.cm, "61.50")
    score(november, a.cm2, "61.50")
    ItemScore.objects.create(
        score=mine,
        code="sales",
        name="销量任务",
        max_points=25,
        earned=10,
        deductions=0,
        points=10,
        position=0,
    )
    ItemScore.objects.create(
        score=mine,
        code="visits",
        name="走访计划完成率",
        max_points=15,
        earned=15,
        deductions=1,
        points=14,
        position=1,
    )
    progress = manager_progress(a.cm, today=TODAY)
    assert (progress.live, progress.computed_at, progress.total) == (
        False,
        computed,
        Decimal("61.50"),
    )
    assert [(r.code, r.points, r.max_points) for r in progress.rows] == [
        ("sales", Decimal(10), Decimal(25)),
        ("visits", Decimal(14), Decimal(15)),
    ]
    assert (progress.rank.month, progress.rank.position, progress.rank.of) == (NOV, 1, 2)


# --- Pages ---------------------------------------------------------------------------------------


def test_home_page_of_a_manager_shows_the_panel_first(client, org):
    a = org.a
    today = timezone.localdate()
    shops = [RetailerFactory(territory=a.territory) for _ in range(3)]
    for shop in shops:
        plan(
            a.cm,
            a.territory,
            shop,
            today,
            month=today.replace(day=1),
            start=today.replace(day=1),
            end=today,
        )
    visit(a.cm, a.territory, shops[0], today)
    client.force_login(a.cm)
    response = client.get(reverse("home"))
    body = response.content.decode()
    assert [(i.key, i.count) for i in response.context["todo"]] == [("stops", 2)]
    assert f'href="{reverse("visits:today")}" data-todo="stops"' in body
    assert 'data-todo="stops"' in body and body.index('data-todo="stops"') < body.index(
        a.territory.name
    )
    assert 'id="progress-title"' in body
    assert 'data-item="visits"' in body
    assert "1 / 3 次" in body


def test_home_page_of_hr_and_an_admin_link_their_pages(client, org):
    publish(OCT)
    pay_run_prepare(month=OCT, user=org.hr)
    client.force_login(org.hr)
    body = client.get(reverse("home")).content.decode()
    pay_url = f"{reverse('reports:pay_run')}?company={org.company.pk}&amp;month=2026-10"
    assert f'href="{pay_url}" data-todo="pay_runs_waiting"' in body
    assert body.index('data-todo="pay_runs_waiting"') < body.index("stat-value")

    # An admin: supervision, months and pay on one panel.
    client.force_login(org.admin)
    response = client.get(reverse("home"))
    body = response.content.decode()
    assert {item.key for item in response.context["todo"]} == {
        "flagged_visits",
        "overdue_complaints",
        "appeals",
        "coverage",
        "months_to_close",
        "months_to_open",
        "months_to_publish",
        "pay_runs_waiting",
        "months_without_pay_run",
    }
    months_url = f"{reverse('assessment:months')}?company={org.company.pk}"
    assert f'href="{months_url}" data-todo="months_to_close"' in body
    assert f'href="{reverse("visits:complaints")}?overdue=true"' in body
    assert 'id="progress-title"' not in body


def test_the_todo_include_renders_any_list(org):
    """The dashboard includes reports/_todo.html with the same ``todo`` list."""
    Appeal.objects.create(
        **Appeal.target_fields(inspection=inspect(org.a.dept_supervisor, org.a.cm, 3)), reason="r"
    )
    html = render_to_string(
        "reports/_todo.html", {"todo": todo_for(org.assessor, today=TODAY, now=NOW), "todo_at": NOW}
    )
    appeals = f'href="{reverse("assessment:appeals")}" data-todo="appeals"'
    assert appeals in html
    assert html.index(appeals) < html.index('data-todo="flagged_visits"')  # to do first
    assert "2026-11-20 10:00" in html
    assert "text-bg-warning" in html
    with translation.override("en"):
        assert "Nothing to do today." not in html
        assert "Nothing to do today." in render_to_string("reports/_todo.html", {"todo": []})


# --- Query counts -----------------------------------------------------------------------------


def grow(org, n):
    """n more of everything in both centers: managers with territories, flagged visits,
    overdue complaints, pending appeals; and n more of A1's stops, visits and information."""
    for _ in range(n):
        for center in (org.a, org.b):
            manager = UserFactory(org_unit=center.department)
            territory = TerritoryFactory(department=center.department, manager=manager)
            shop = RetailerFactory(territory=territory)
            visit(manager, territory, shop, date(2026, 11, 3), flag_far=True)
            complaint(territory, shop, center.dept_supervisor, at(date(2026, 11, 1)))
            Appeal.objects.create(
                **Appeal.target_fields(inspection=inspect(center.dept_supervisor, manager, 3)),
                reason="r",
            )
        shop = RetailerFactory(territory=org.a.territory)
        plan(org.a.cm, org.a.territory, shop, TODAY)
        visit(org.a.cm, org.a.territory, shop, TODAY)
        InformationItem.objects.create(
            kind="price",
            content="c",
            reported_by=org.a.cm,
            territory=org.a.territory,
            reported_at=at(date(2026, 11, 2)),
        )


def queries(user):
    user = User.objects.get(pk=user.pk)  # nothing cached from an earlier measurement
    with CaptureQueriesContext(connection) as captured:
        todo_for(user, today=TODAY, now=NOW)
        manager_progress(user, today=TODAY)
    return len(captured)


def test_query_counts_do_not_grow_with_the_data(org, client):
    october = month_row(
        org, OCT, MonthState.REVIEW, closed_at=at(OCT), review_from=at(date(2026, 11, 3))
    )
    score(october, org.a.cm, 80)
    users = [
        org.a.cm,
        org.a.dept_supervisor,
        org.a.center_supervisor,
        org.assessor,
        org.hr,
        org.admin,
    ]
    grow(org, 1)
    small = [queries(user) for user in users]
    grow(org, 2)  # three times the data
    large = [queries(user) for user in users]
    assert large == small
    assert max(small) <= 20

    def page_queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        return len(captured)

    client.force_login(org.admin)
    before = page_queries()
    grow(org, 2)
    assert page_queries() == before
