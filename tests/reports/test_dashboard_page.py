"""The dashboard page /dashboard/ on the hand-built October 2026 of test_dashboards.py.

The page shows exactly the API's figures (/api/v1/dashboard/kpis/ for the same scope and
month, formatted by the display filters), drills down one level with the month kept, is a
404 outside the user's subtree and for HR and customer managers, is the home page of
leaders and supervisors, and reads a fixed number of queries whatever the number of
managers.
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.models import OrgKind, Role
from accounts.templatetags.formats import num, pct, signed
from assessment.models import AssessmentMonth, MonthState
from reports.services.dashboards import kpi_refresh
from tests.factories import (
    OrderLineFactory,
    OrgUnitFactory,
    RetailerFactory,
    TerritoryFactory,
    UserFactory,
)
from tests.reports import test_dashboards
from tests.reports.test_dashboards import NOW, OCT, SEP

# The hand-built October 2026 of test_dashboards.py (its fixture ``month``).
october = test_dashboards.month

pytestmark = pytest.mark.django_db
URL = "/dashboard/"
API = "/api/v1/dashboard/kpis/"

# How the page writes each figure of the API (its key in the API's JSON → filter).
FIGURES = {
    "sales_boxes": lambda v: num(v, 2),
    "sales_completion": pct,
    "sales_target_boxes": lambda v: num(v, 2),
    "key_boxes": lambda v: num(v, 2),
    "key_completion": pct,
    "key_target_boxes": lambda v: num(v, 2),
    "visit_completion": pct,
    "plans_completed": num,
    "plans_planned": num,
    "info_valid": num,
    "complaints_open": num,
    "complaints_overdue": num,
    "satisfaction_mean": lambda v: num(v, 2),
    "score_mean": lambda v: num(v, 2),
    "coverage_l3": pct,
    "coverage_l2": pct,
    "coverage_l1": pct,
    "retailers_active": num,
    "retailers_suspended": num,
    "retailers_cancelled": num,
}
RATES = ("new_brand_rates.observed", "new_brand_rates.ordered", "new_brand_rates.target")
MINIMUMS = ("minimums.coverage_l3", "minimums.coverage_l2", "minimums.coverage_l1")
# Changes of shares are shown in percentage points; the others with the figure's places.
SHARES = {"sales_completion", "key_completion", "visit_completion"} | {
    f"coverage_l{n}" for n in (1, 2, 3)
}
PLACES = {"sales_boxes": 2, "key_boxes": 2, "satisfaction_mean": 2, "score_mean": 2}
SHOWN_CHANGES = {
    "sales_boxes",
    "key_boxes",
    "visit_completion",
    "info_valid",
    "complaints_open",
    "satisfaction_mean",
    "score_mean",
    "coverage_l3",
    "coverage_l2",
    "coverage_l1",
    "retailers_active",
}
TAGGED = re.compile(r'<(\w+)[^>]*\bdata-(kpi|change)="([^"]+)"[^>]*>([^<]*)</\1>')


def tagged(body: str) -> tuple[dict, dict]:
    """{figure: text} and {"figure:against": text} of the page's cards."""
    kpis, changes = {}, {}
    for _tag, kind, name, text in TAGGED.findall(body):
        (kpis if kind == "kpi" else changes)[name] = text.strip()
    return kpis, changes


def expected_text(api: dict) -> tuple[dict, dict]:
    """What the cards must read, from the API's JSON."""
    with translation.override("zh-hans"):
        not_published, points = translation.gettext("Not published"), translation.gettext("pp")
    current = api["current"]
    kpis = {name: show(current[name]) for name, show in FIGURES.items()}
    if current["score_mean"] is None:
        kpis["score_mean"] = not_published
    for key in RATES:
        kpis[key] = pct(api["new_brand_rates"][key.split(".")[1]])
    for key in MINIMUMS:
        kpis[key] = pct(api["minimums"][key.split(".")[1]])
    changes = {}
    for name in SHOWN_CHANGES:
        for against, value in api["changes"][name].items():
            if value is None:
                text = "—"
            elif name in SHARES:
                text = signed(Decimal(value) * 100, 1) + points
            else:
                text = signed(value, PLACES.get(name, 0))
            changes[f"{name}:{against}"] = text
    return kpis, changes


def leader_at(unit):
    return UserFactory(employee_no="400001", name="市公司领导", role=Role.LEADER, org_unit=unit)


def viewers(org):
    return {
        "department supervisor": org.a.dept_supervisor,
        "center supervisor": org.a.center_supervisor,
        "assessment center": org.assessor,
        "admin": org.admin,
    }


@pytest.mark.parametrize(
    "who", ["department supervisor", "center supervisor", "assessment center", "admin", "leader"]
)
def test_cards_show_the_apis_figures(client, october, who):
    user = leader_at(october.company) if who == "leader" else viewers(october)[who]
    client.force_login(user)
    response = client.get(URL, {"month": "2026-10"})
    assert response.status_code == 200
    api = client.get(API, {"month": "2026-10"}).json()
    body = response.content.decode()
    kpis, changes = tagged(body)
    want_kpis, want_changes = expected_text(api)
    assert kpis == want_kpis
    assert changes == want_changes
    assert api["scope"]["name"] in body
    assert "2026-11-20 10:00" in body  # 数据截至: the rollup's refresh time, local


def test_company_figures_by_hand(client, october):
    """The hand-computed October of test_dashboards.py, as the cards read it."""
    client.force_login(october.admin)
    kpis, changes = tagged(client.get(URL, {"month": "2026-10"}).content.decode())
    assert (kpis["sales_boxes"], kpis["sales_completion"]) == ("4.00", "50.0%")
    assert (kpis["key_boxes"], kpis["key_completion"]) == ("1.00", "100.0%")
    assert kpis["visit_completion"] == "33.3%"
    assert (kpis["complaints_open"], kpis["complaints_overdue"]) == ("1", "1")
    assert (kpis["satisfaction_mean"], kpis["score_mean"]) == ("4.00", "82.50")
    assert (kpis["coverage_l3"], kpis["minimums.coverage_l2"]) == ("25.0%", "30.0%")
    assert kpis["new_brand_rates.observed"] == "25.0%"
    assert kpis["retailers_active"] == "3"
    assert changes["sales_boxes:previous_month"] == "+3.00"
    assert changes["sales_boxes:last_year"] == "+4.00"
    assert changes["score_mean:previous_month"] == "—"  # September not published


def test_breadcrumbs_and_drill_down_keep_the_month(client, october):
    client.force_login(october.admin)
    company = client.get(URL, {"month": "2026-10"})
    body = company.content.decode()
    center = f"{URL}?unit={october.a.center.pk}&amp;month=2026-10"
    assert center in body and f"{URL}?unit={october.b.center.pk}&amp;month=2026-10" in body
    assert company.context["charts"]["children"]["urls"][0] == center.replace("&amp;", "&")

    department = client.get(URL, {"unit": october.a.department.pk, "month": "2026-10"})
    body = department.content.decode()
    crumbs = [crumb["name"] for crumb in department.context["breadcrumbs"]]
    assert crumbs == ["测试市烟草公司", "A营销部"]
    assert f"{URL}?unit={october.company.pk}&amp;month=2026-10" in body
    assert f"{URL}?unit={october.a.center.pk}&amp;month=2026-10" in body
    for manager in (october.a.cm, october.a.cm2):
        assert f"{URL}?manager={manager.pk}&amp;month=2026-10" in body
    # The month picker keeps the scope.
    assert f'name="unit" value="{october.a.department.pk}"' in body

    manager = client.get(URL, {"manager": october.a.cm.pk, "month": "2026-10"})
    body = manager.content.decode()
    assert [c["name"] for c in manager.context["breadcrumbs"]] == [
        "测试市烟草公司",
        "A营销部",
        "A第一客户服务部",
    ]
    shops = list(manager.context["retailers"])
    assert len(shops) == 3  # r1, r2 and the suspended r3 of A经理一's territory
    for shop in shops:
        assert reverse("retailers:detail", args=[shop.pk]) in body
    assert f'name="manager" value="{october.a.cm.pk}"' in body


def test_card_links_open_the_rows_behind_them(client, october):
    client.force_login(october.a.center_supervisor)
    response = client.get(URL, {"unit": october.a.center.pk, "month": "2026-10"})
    links = response.context["links"]
    unit = f"org_unit={october.a.center.pk}"
    assert links["ranking"] == (f"{reverse('assessment:ranking')}?month=2026-10-01&{unit}")
    assert links["info"] == (
        f"{reverse('visits:info_feed')}?{unit}&date_from=2026-10-01&date_to=2026-10-31"
    )
    assert links["complaints_overdue"] == f"{reverse('visits:complaints')}?overdue=true&{unit}"
    assert links["shelf"] == (
        f"{reverse('visits:shelf_rates')}?month=2026-10&unit={october.a.center.pk}&new=1"
    )
    assert links["coverage"] == f"{reverse('assessment:coverage')}?month=2026-10"
    assert links["retailers_suspended"] == f"{reverse('retailers:list')}?status=suspended"
    for name, url in links.items():
        if url is not None:
            assert client.get(url).status_code == 200, name
    # A manager's cards filter by the territory.
    manager = client.get(URL, {"manager": october.a.cm.pk, "month": "2026-10"})
    territory = october.a.territory.pk
    assert manager.context["links"]["retailers_active"] == (
        f"{reverse('retailers:list')}?status=active&territory={territory}"
    )
    assert f"territory={territory}" in manager.context["links"]["complaints_open"]


def test_outside_the_subtree_and_other_roles_get_404(client, october):
    client.force_login(october.a.dept_supervisor)
    assert client.get(URL).status_code == 200
    assert client.get(URL, {"unit": october.b.department.pk}).status_code == 404
    assert client.get(URL, {"unit": october.company.pk}).status_code == 404
    assert client.get(URL, {"manager": october.b.cm.pk}).status_code == 404
    assert client.get(URL, {"manager": october.a.cm.pk}).status_code == 200
    assert client.get(URL, {"unit": "x"}).status_code == 404
    assert client.get(URL, {"month": "2026-13"}).status_code == 404
    client.force_login(october.a.center_supervisor)
    assert client.get(URL, {"unit": october.b.center.pk}).status_code == 404
    for user in (october.hr, october.a.cm):
        client.force_login(user)
        assert client.get(URL).status_code == 404
        assert client.get(URL, {"manager": october.a.cm.pk}).status_code == 404


def test_home_of_leaders_and_supervisors_is_the_dashboard(client, october):
    people = [
        october.a.dept_supervisor,
        october.a.center_supervisor,
        october.assessor,
        leader_at(october.a.center),
    ]
    for user in people:
        client.force_login(user)
        response = client.get(reverse("home"))
        assert response["Location"] == reverse("reports:dashboard"), user
        menu = {item["url"] for item in client.get(URL).context["nav_items"]}
        assert reverse("reports:dashboard") in menu
    for user in (october.admin, october.hr, october.a.cm):
        client.force_login(user)
        response = client.get(reverse("home"))
        assert response.status_code == 200
        menu = {item["url"] for item in response.context["nav_items"]}
        assert (reverse("reports:dashboard") in menu) is (user == october.admin)


def test_a_month_without_figures_says_what_happens(client, october):
    client.force_login(october.admin)
    body = client.get(URL, {"month": "2031-01"}).content.decode()
    assert 'data-empty="figures"' in body
    assert "data-kpi" not in body
    assert 'data-chart="trend"' in body  # the 12 months before still show


def test_charts_data_is_json_with_the_selectors_figures(client, october):
    client.force_login(october.admin)
    response = client.get(URL, {"month": "2026-10"})
    body = response.content.decode()
    assert '<script id="dashboard-data" type="application/json">' in body
    charts = response.context["charts"]
    assert charts["trend"]["months"][-2:] == ["2026-09", "2026-10"]
    assert charts["trend"]["sales"][-2:] == [1.0, 4.0]
    assert charts["classes"] == [1, 1, 1] and charts["moves"] == [1, 1]
    bands = {row["band"]: row["managers"] for row in charts["scores"]}
    assert bands == {"<60": 1, "60–70": 0, "70–80": 0, "80–90": 1, "90–100": 1, "≥100": 1}
    assert [row["value"] for row in charts["coverage"]] == [25.0, 25.0, 25.0]
    assert [row["minimum"] for row in charts["coverage"]] == [100.0, 30.0, 10.0]
    assert charts["children"]["completion"] == [75.0, 0.0]  # A: 3 of 4 箱, B: 0 of 2
    assert {"type": "价格异常", "items": 2} in charts["information"]
    for tag in ('data-chart="children"', 'data-chart="coverage"', 'data-chart="scores"'):
        assert tag in body


def test_a_province_shows_each_citys_month_state(client):
    province = OrgUnitFactory(name="江淮省烟草公司", code="P", kind=OrgKind.PROVINCE)
    states = {"C1": MonthState.PUBLISHED, "C2": MonthState.REVIEW, "C3": None}
    for code, state in states.items():
        city = OrgUnitFactory(name=f"{code}市", code=code, kind=OrgKind.COMPANY, parent=province)
        center = OrgUnitFactory(code=f"{code}-1", kind=OrgKind.MARKETING_CENTER, parent=city)
        department = OrgUnitFactory(
            code=f"{code}-1-1", kind=OrgKind.SERVICE_DEPARTMENT, parent=center
        )
        manager = UserFactory(role=Role.CUSTOMER_MANAGER, org_unit=department)
        TerritoryFactory(department=department, manager=manager)
        if state:
            AssessmentMonth.objects.create(company=city, month=OCT, state=state)
    kpi_refresh(month=OCT, now=NOW)
    client.force_login(UserFactory(role=Role.ADMIN, org_unit=province))
    response = client.get(URL, {"month": "2026-10"})
    shown = [(city["company"], city["state"]) for city in response.context["states"]]
    assert shown == [("C1市", "published"), ("C2市", "review"), ("C3市", None)]
    body = response.content.decode()
    with translation.override("zh-hans"):
        for label in ("Published", "In review", "Not computed"):
            assert f">{translation.gettext(label)}</span>" in body
    assert [child["scope"].name for child in response.context["children"]] == [
        "C1市",
        "C2市",
        "C3市",
    ]


def more_managers(org, n):
    for k in range(n):
        manager = UserFactory(role=Role.CUSTOMER_MANAGER, org_unit=org.a.department)
        territory = TerritoryFactory(code=f"T-M{k}", department=org.a.department, manager=manager)
        OrderLineFactory(
            retailer=RetailerFactory(territory=territory), order_date=date(2026, 10, 9)
        )
    kpi_refresh(month=SEP, now=NOW)


def page_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, params).status_code == 200
    return len(ctx.captured_queries)


# Session, user, the user's unit, KPIs (rollup, month states, 上柜率), one level down (rows,
# names), trend, heat map (key brands, units, rates), score bands, information by type:
# 14; plus the admin's to-do panel (reports.selectors.home.todo_for with the alert counts):
# 26, a fixed number per role.
TODO_QUERIES = 26
OWN_SCOPE_QUERIES = 14 + TODO_QUERIES
# A scope asked for by id: + the unit (scoped lookup) and its breadcrumbs.
UNIT_QUERIES = 16 + TODO_QUERIES
# A manager: the manager and breadcrumbs, their territory, one page of retailers (count and
# rows); no level below.
MANAGER_QUERIES = 16 + TODO_QUERIES


def test_query_count_is_fixed(client, october):
    """September (a draft month, so its rollup is refreshed) with 4, then 40 managers."""
    client.force_login(october.admin)
    company = {"month": "2026-09"}
    department = {"unit": october.a.department.pk, "month": "2026-09"}
    manager = {"manager": october.a.cm.pk, "month": "2026-09"}
    small = [page_queries(client, p) for p in (company, department, manager)]
    assert small == [OWN_SCOPE_QUERIES, UNIT_QUERIES, MANAGER_QUERIES]
    more_managers(october, 36)  # ten times the managers: 4 → 40
    for _n in range(30):
        RetailerFactory(territory=october.a.territory)
    department_page = client.get(URL, department)
    assert len(department_page.context["children"]) == 38  # A经理一, 二 and 36 more
    assert [page_queries(client, p) for p in (company, department, manager)] == small
