"""Dashboard KPIs (DOMAIN.md §8) by hand, October 2026, company C0 (centers A and B).

Data:
- sales (条, credited by order date): A1 500 of 一类 + 250 of the key brand (key in October)
  = 750 = 3.00 箱, key 1.00 箱; A2 250 = 1.00 箱; B1 and B2 none. Company 4.00 箱.
  September: A1 250 条 = 1.00 箱. October 2025: nothing.
- targets: A1 4 箱 (key 1 箱); B1 2 箱 (key 0). Completion = (3 + 0) ÷ (4 + 2) = 0.5;
  key = (1 + 0) ÷ (1 + 0) = 1.
- plans: A1 2 planned, 1 completed by a valid visit in its window; B1 1 planned, not done.
  Completion = 1 ÷ 3 = 0.3333.
- information: A1 2 price items, 1 counterfeit item marked invalid → 2 counted (价格异常 2).
- complaints: one on A1's territory opened 10 October, never resolved → open 1, overdue 1.
- surveys: A1's territory 4 and 5, B1's 3 → mean 4.00.
- published totals: A1 92, A2 58, B1 80, B2 100 → mean 82.50; bands <60: 1, 80–90: 1,
  90–100: 1, ≥100: 1.
- inspections: A1 level 3 twice and level 1 once, A2 level 3 once, B1 level 2 once →
  level 3 covered 1 of 4 (0.25), level 2 1 of 4, level 1 1 of 4.
- retailers: A1 r1, r2 active, r3 suspended; A2 r4 active; B1 r5 cancelled → 3 / 1 / 1.
- classes (October run): r1 B → A (up), r2 C → C, r4 A → B (down) → A 1, B 1, C 1.
- 新品上柜率 (company rollup row of the new brand): 4 active, 1 on shelf, 2 ordered →
  0.25 observed, 0.50 order-based, target 0.60 set for the company.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment.models import AssessmentMonth, Inspection, ManagerScore, MonthState
from reports.models import ManagerMonthKpi
from reports.selectors import dashboards
from reports.services.dashboards import kpi_refresh
from retailers.models import (
    ClassificationRecord,
    ClassificationRuleSet,
    KeyBrandMonth,
    RetailerStatus,
    SalesTarget,
    ShelfTarget,
)
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory
from visits.models import (
    Complaint,
    InformationItem,
    SatisfactionSurvey,
    ShelfRateRollup,
    Validity,
    Visit,
    VisitPlan,
)

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
OCT, SEP = date(2026, 10, 1), date(2026, 9, 1)
NOW = datetime(2026, 11, 20, 10, tzinfo=TZ)
D = Decimal


def at(day, hour=10):
    return datetime.combine(day, datetime.min.time(), TZ).replace(hour=hour)


@pytest.fixture
def month(org):
    a, b = org.a, org.b
    r1, r2 = RetailerFactory(territory=a.territory), RetailerFactory(territory=a.territory)
    RetailerFactory(territory=a.territory, status=RetailerStatus.SUSPENDED)  # r3
    r4 = RetailerFactory(territory=a.territory2)
    r5 = RetailerFactory(territory=b.territory, status=RetailerStatus.CANCELLED)
    one, key = BrandFactory(price_class=1), BrandFactory(price_class=2)
    KeyBrandMonth.objects.create(brand=key, month=OCT)
    OrderLineFactory(retailer=r1, brand=one, order_date=date(2026, 10, 5), quantity=500)
    OrderLineFactory(retailer=r1, brand=key, order_date=date(2026, 10, 6), quantity=250)
    OrderLineFactory(retailer=r4, brand=one, order_date=date(2026, 10, 7), quantity=250)
    OrderLineFactory(retailer=r1, brand=one, order_date=date(2026, 9, 7), quantity=250)
    SalesTarget.objects.create(manager=a.cm, month=OCT, total_boxes=4, key_brand_boxes=1)
    SalesTarget.objects.create(manager=b.cm, month=OCT, total_boxes=2, key_brand_boxes=0)

    def plan(manager, territory, retailer):
        return VisitPlan.objects.create(
            manager=manager,
            territory=territory,
            retailer=retailer,
            month=OCT,
            window_start=OCT,
            window_end=date(2026, 10, 31),
            planned_class="C",
            scheduled_for=date(2026, 10, 12),
        )

    plan(a.cm, a.territory, r1)
    plan(a.cm, a.territory, r2)
    plan(b.cm, b.territory, r5)
    Visit.objects.create(
        manager=a.cm,
        retailer=r1,
        territory=a.territory,
        checked_in_at=at(date(2026, 10, 12)),
        check_in_date=date(2026, 10, 12),
        checked_out_at=at(date(2026, 10, 12), 11),
    )
    for n, kind in enumerate(["price", "price", "counterfeit"]):
        item = InformationItem.objects.create(
            kind=kind,
            content=f"信息{n}",
            reported_by=a.cm,
            territory=a.territory,
            reported_at=at(date(2026, 10, 3 + n)),
        )
        if kind == "counterfeit":
            item.validity = Validity.INVALID
            item.reviewed_at = at(date(2026, 10, 20))
            item.save()
    opened = at(date(2026, 10, 10))
    Complaint.objects.create(
        retailer=r1,
        territory=a.territory,
        content="送货晚",
        opened_at=opened,
        opened_by=a.dept_supervisor,
        respond_by=at(date(2026, 10, 11)),
        resolve_by=at(date(2026, 10, 13)),
    )
    for retailer, score in ((r1, 4), (r2, 5), (r5, 3)):
        SatisfactionSurvey.objects.create(
            retailer=retailer,
            score=score,
            surveyed_on=date(2026, 10, 15),
            channel="phone",
            recorded_by=org.admin,
        )
    assessment = AssessmentMonth.objects.create(
        company=org.company,
        month=OCT,
        state=MonthState.PUBLISHED,
        # Published after the October lines arrived (a published month counts those).
        published_at=timezone.now(),
    )
    for manager, total in ((a.cm, 92), (a.cm2, 58), (b.cm, 80), (b.cm2, 100)):
        ManagerScore.objects.create(
            assessment=assessment,
            manager=manager,
            territory=manager.territory,
            bonus_raw=0,
            bonus=0,
            total=D(total),
            sales_boxes=0,
        )
    for manager, inspector, level in (
        (a.cm, a.dept_supervisor, 3),
        (a.cm, a.dept_supervisor, 3),
        (a.cm, org.assessor, 1),
        (a.cm2, a.dept_supervisor, 3),
        (b.cm, b.center_supervisor, 2),
    ):
        Inspection.objects.create(
            manager=manager,
            inspector=inspector,
            level=level,
            inspected_on=date(2026, 10, 20),
            month=OCT,
            item_code="discipline",
            points=1,
            reason="抽查",
        )
    rules = ClassificationRuleSet.objects.in_force(OCT)
    for retailer, old, new in ((r1, "B", "A"), (r2, "C", "C"), (r4, "A", "B")):
        ClassificationRecord.objects.create(
            retailer=retailer,
            month=OCT,
            rule_set=rules,
            scale_score=0,
            environment_score=0,
            potential_score=0,
            compliance_score=0,
            credit_score=0,
            total_score=0,
            average_monthly_cartons=0,
            computed_class=new,
            previous_class=old,
            final_class=new,
        )
    new = BrandFactory(launch_date=date(2026, 9, 1))
    ShelfRateRollup.objects.create(
        month=OCT,
        brand=new,
        level="company",
        scope_id=org.company.pk,
        org_path=org.company.path,
        active_retailers=4,
        observed_on_shelf=1,
        ordered=2,
        refreshed_at=NOW,
    )
    ShelfTarget.objects.create(brand=new, month=OCT, org_unit=org.company, rate=D("0.6"))
    kpi_refresh(month=SEP, now=NOW)
    kpi_refresh(month=OCT, now=NOW)
    return org


def company_scope(org):
    return dashboards.scope_for(org.admin, unit_id=org.company.pk)


def test_company_kpis_by_hand(month):
    result = dashboards.kpis(company_scope(month), OCT)
    now = result.current
    assert (now.sales_boxes, now.sales_target_boxes, now.sales_completion) == (
        D("4.00"),
        D("6.00"),
        D("0.5000"),
    )
    assert (now.key_boxes, now.key_completion) == (D("1.00"), D("1.0000"))
    assert (now.plans_planned, now.plans_completed, now.visit_completion) == (3, 1, D("0.3333"))
    assert now.info_valid == 2
    assert (now.complaints_open, now.complaints_overdue) == (1, 1)
    assert now.satisfaction_mean == D("4.00")
    assert (now.score_mean, now.scored_managers) == (D("82.50"), 4)
    assert (now.coverage_l3, now.coverage_l2, now.coverage_l1) == (D("0.25"),) * 3
    assert (now.retailers_active, now.retailers_suspended, now.retailers_cancelled) == (3, 1, 1)
    assert (now.class_a, now.class_b, now.class_c, now.class_up, now.class_down) == (
        1,
        1,
        1,
        1,
        1,
    )
    assert now.refreshed_at == NOW
    # Changes: September had 1.00 箱, October 2025 nothing.
    assert result.changes["sales_boxes"] == {
        "previous_month": D("3.00"),
        "last_year": D("4.00"),
    }
    assert result.previous.score_mean is None  # September not published: 未发布
    assert result.new_brand_rates["observed"] == D("0.2500")
    assert result.new_brand_rates["ordered"] == D("0.5000")
    assert result.new_brand_rates["target"] == D("0.6000")
    assert [(m["company"], m["state"]) for m in result.month_states] == [
        ("测试市烟草公司", "published")
    ]


def test_distributions_trend_and_one_level_down(month):
    scope = company_scope(month)
    bands = {row["band"]: row["managers"] for row in dashboards.score_distribution(scope, OCT)}
    assert bands == {"<60": 1, "60–70": 0, "70–80": 0, "80–90": 1, "90–100": 1, "≥100": 1}
    info = {row["type"]: row["items"] for row in dashboards.information_by_type(scope, OCT)}
    assert info["price"] == 2 and info["counterfeit"] == 0 and len(info) == 10
    rows = {row.scope.name: row.figures for row in dashboards.children(scope, OCT)}
    assert set(rows) == {"A营销部", "B营销部"}
    assert (rows["A营销部"].sales_boxes, rows["B营销部"].sales_boxes) == (D("4.00"), D("0.00"))
    assert rows["A营销部"].score_mean == D("75.00")  # (92 + 58) ÷ 2
    trend = dashboards.trend(scope, OCT)
    assert len(trend) == 12 and trend[-1]["month"] == OCT
    assert [t["sales_boxes"] for t in trend[-2:]] == [D("1.00"), D("4.00")]
    # Down to a department, then a manager: the manager's own figures.
    department = dashboards.scope_for(month.admin, unit_id=month.a.department.pk)
    managers = {row.scope.name: row.figures for row in dashboards.children(department, OCT)}
    assert managers["A经理一"].sales_boxes == D("3.00")
    manager = dashboards.scope_for(month.admin, manager_id=month.a.cm.pk)
    assert dashboards.kpis(manager, OCT).current.satisfaction_mean == D("4.50")


def test_api_equals_the_selectors_and_is_scoped(client, month):
    client.force_login(month.a.dept_supervisor)
    own = client.get("/api/v1/dashboard/kpis/", {"month": "2026-10"}).json()
    assert own["scope"]["level"] == "department"
    assert own["current"]["sales_boxes"] == "4.00"
    assert own["current"]["score_mean"] == "75.00"
    assert own["changes"]["sales_boxes"]["previous_month"] == "3.0000"
    other = {"unit": month.b.department.pk, "month": "2026-10"}
    assert client.get("/api/v1/dashboard/kpis/", other).status_code == 404
    assert client.get("/api/v1/dashboard/kpis/", {"manager": month.b.cm.pk}).status_code == 404
    client.force_login(month.admin)
    company = client.get(
        "/api/v1/dashboard/children/", {"unit": month.company.pk, "month": "2026-10"}
    ).json()
    assert [row["figures"]["sales_boxes"] for row in company] == ["4.00", "0.00"]
    assert len(client.get("/api/v1/dashboard/trend/", {"month": "2026-10"}).json()) == 12
    schema = client.get(reverse("schema")).content.decode()
    assert "/api/v1/dashboard/kpis/" in schema


def test_refresh_is_idempotent_and_a_published_month_is_history(month):
    before = list(month_rows())
    kpi_refresh(month=OCT, now=NOW)  # published and its scores taken: left alone
    assert list(month_rows()) == before
    kpi_refresh(month=SEP, now=NOW)  # a draft month is recomputed to the same figures
    assert dashboards.kpis(company_scope(month), SEP).current.sales_boxes == D("1.00")


def month_rows():
    return (
        ManagerMonthKpi.objects.filter(month=OCT)
        .order_by("manager")
        .values_list("manager", "sales_cartons", "score_total", "refreshed_at")
    )


def test_query_counts_do_not_grow(month):
    scope = company_scope(month)
    with CaptureQueriesContext(connection) as ctx:
        dashboards.kpis(scope, SEP)
        dashboards.children(scope, SEP)
        dashboards.trend(scope, SEP)
    small = len(ctx.captured_queries)
    for n in range(36):  # ten times the managers (4 → 40), with their rows
        from tests.factories import TerritoryFactory, UserFactory

        manager = UserFactory(role="customer_manager", org_unit=month.a.department)
        TerritoryFactory(code=f"T-Q{n}", department=month.a.department, manager=manager)
        OrderLineFactory(
            retailer=RetailerFactory(territory=manager.territory), order_date=date(2026, 10, 9)
        )
    kpi_refresh(month=SEP, now=NOW)
    assert ManagerMonthKpi.objects.filter(month=SEP).count() == 40
    with CaptureQueriesContext(connection) as ctx:
        dashboards.kpis(scope, SEP)
        dashboards.children(scope, SEP)
        dashboards.trend(scope, SEP)
    assert len(ctx.captured_queries) == small


def test_the_ranking_shows_the_dashboards_average(client, month):
    """One number everywhere: the score page's average is the dashboard card's."""
    client.force_login(month.a.dept_supervisor)
    api = client.get("/api/v1/dashboard/kpis/", {"month": "2026-10"}).json()
    assert api["current"]["score_mean"] == "75.00"  # (92 + 58) ÷ 2, department A
    page = client.get(reverse("assessment:ranking"), {"month": "2026-10-01"})
    assert page.context["average"] == (D("75.00"), 2)
    assert "75.00" in page.content.decode()
    client.force_login(month.admin)
    company = client.get(reverse("assessment:ranking"), {"month": "2026-10-01"})
    assert company.context["average"] == (D("82.50"), 4)
    unit = client.get(
        reverse("assessment:ranking"), {"month": "2026-10-01", "org_unit": month.b.center.pk}
    )
    assert unit.context["average"] == (D("90.00"), 2)  # (80 + 100) ÷ 2
