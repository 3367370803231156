"""上柜率 report page and API: scoping both ways, drill-down, filters, targets, refresh, queries.

Data: the hand-computed case of test_rates_counts.py, rolled up for 2026-10.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from retailers.models import ShelfTarget, month_start
from tests.factories import BrandFactory, RetailerFactory, TerritoryFactory, UserFactory
from tests.visits.test_rates_counts import build_case, make_visit
from visits.models import ShelfRateRollup
from visits.services.rates import shelf_rates_refresh

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)
URL = "/shelf-rates/"


@pytest.fixture
def case(org):
    case = build_case(org)
    for unit, territory, rate in [
        (org.company, None, "0.5000"),
        (org.a.department, None, "0.6000"),
        (None, org.a.territory2, "0.7000"),
    ]:
        ShelfTarget.objects.create(
            brand=case.n, month=OCTOBER, org_unit=unit, territory=territory, rate=Decimal(rate)
        )
    shelf_rates_refresh(month=OCTOBER)
    return case


def get(client, user, **params):
    client.force_login(user)
    return client.get(URL, {"month": "2026-10", **params})


def block(response, code):
    [found] = [b for b in response.context["report"].blocks if b.brand.code == code]
    return found


def figures(row):
    return (row.active, row.observed_on_shelf, row.ordered)


def test_url_name():
    assert reverse("visits:shelf_rates") == URL


def test_login_required(client, case):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_center_supervisor_sees_own_center_with_departments(client, org, case):
    response = get(client, org.a.center_supervisor)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.scope.pk == org.a.center.pk
    assert [child.name for child in report.children] == [org.a.department.name]
    x = block(response, "X")
    assert figures(x.total) == (6, 2, 1)
    assert x.total.observed_rate == Decimal(2) / 6
    assert (x.total.observed_percent, x.total.order_percent) == (Decimal("33.3"), Decimal("16.7"))
    assert figures(x.children[0]) == (6, 2, 1)
    assert report.refreshed_at is not None
    body = response.content.decode()
    assert "33.3%" in body and "16.7%" in body
    assert org.b.center.name not in body and org.b.department.name not in body
    assert "Refresh now" not in body and "立即刷新" not in body


def test_drill_down_within_the_subtree(client, org, case):
    response = get(client, org.a.center_supervisor, unit=org.a.department.pk)
    report = response.context["report"]
    assert [child.pk for child in report.children] == [case.t1.pk, case.t2.pk]
    x = block(response, "X")
    assert [figures(row) for row in x.children] == [(4, 1, 1), (2, 1, 0)]
    assert f"territory={case.t1.pk}" in response.content.decode()

    response = get(client, org.a.center_supervisor, territory=case.t1.pk)
    assert response.status_code == 200
    assert figures(block(response, "N").total) == (4, 1, 1)
    assert response.context["report"].children == []
    assert [crumb.pk for crumb in response.context["breadcrumbs"]] == [
        org.a.center.pk,
        org.a.department.pk,
    ]


@pytest.mark.parametrize(
    "params",
    [
        lambda org: {"unit": org.b.center.pk},
        lambda org: {"unit": org.b.department.pk},
        lambda org: {"unit": org.company.pk},
        lambda org: {"territory": org.b.territory.pk},
        lambda org: {"unit": "abc"},
        lambda org: {"territory": 999999},
    ],
)
def test_outside_the_subtree_is_404(client, org, case, params):
    assert get(client, org.a.center_supervisor, **params(org)).status_code == 404


def test_customer_manager_sees_only_own_territory(client, org, case):
    response = get(client, org.a.cm)
    report = response.context["report"]
    assert (report.scope.level, report.scope.pk) == ("territory", case.t1.pk)
    assert report.children == [] and response.context["breadcrumbs"] == []
    assert figures(block(response, "X").total) == (4, 1, 1)
    for params in (
        {"territory": case.t2.pk},
        {"unit": org.a.department.pk},
        {"territory": org.b.territory.pk},
    ):
        assert get(client, org.a.cm, **params).status_code == 404
    assert get(client, org.a.cm, territory=case.t1.pk).status_code == 200


def test_company_view_with_targets_and_gaps(client, org, case):
    response = get(client, org.assessor, new="1")
    report = response.context["report"]
    assert report.scope.pk == org.company.pk
    assert [child.pk for child in report.children] == [org.a.center.pk, org.b.center.pk]
    # Only the new brand N; O was launched 2025-10-01, outside its window in 2026-10.
    assert [b.brand.code for b in report.blocks] == ["N"]
    n = block(response, "N")
    assert n.is_new
    assert figures(n.total) == (8, 2, 2)
    assert n.total.target_rate == Decimal("0.5000")
    assert n.total.gap_points == Decimal("-25.0")  # 25.0% observed − 50.0% target
    center_a, center_b = n.children
    assert center_a.target_rate == Decimal("0.5000")  # the department's target is below it
    assert figures(center_b) == (2, 1, 0) and center_b.gap_points == Decimal("0.0")

    response = get(client, org.assessor, unit=org.a.department.pk, brand=case.n.pk)
    t1, t2 = block(response, "N").children
    assert (t1.target_rate, t1.gap_points) == (Decimal("0.6000"), Decimal("-35.0"))
    assert (t2.target_rate, t2.gap_points) == (Decimal("0.7000"), Decimal("-70.0"))
    assert block(response, "N").total.target_rate == Decimal("0.6000")
    body = response.content.decode()
    assert "60.0%" in body and "−35.0" in body  # a change is signed with a real minus


def test_class_and_brand_filters(client, org, case):
    response = get(client, org.assessor, abc_class="A", brand=case.x.pk)
    assert [b.brand.code for b in response.context["report"].blocks] == ["X"]
    x = block(response, "X")
    assert figures(x.total) == (4, 3, 1)
    # Center B has one class-A retailer (r10).
    assert [figures(row) for row in x.children] == [(3, 2, 1), (1, 1, 0)]


def test_default_month_is_the_current_month(client, org, case):
    client.force_login(org.assessor)
    response = client.get(URL)
    assert response.context["month"] == month_start(timezone.localdate())
    assert response.context["report"].blocks == []
    invalid = client.get(URL, {"month": "2026-13"})
    assert invalid.status_code == 200 and invalid.context["form"].errors


def page_queries(client, user, **params):
    client.force_login(user)
    client.get(URL, {"month": "2026-10", **params})  # warm up the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"month": "2026-10", **params})
    assert response.status_code == 200
    return len(queries)


def test_query_count_does_not_depend_on_rows(client, org, case):
    before = {
        "assessor": page_queries(client, org.assessor),
        "department": page_queries(client, org.a.center_supervisor, unit=org.a.department.pk),
        "manager": page_queries(client, org.a.cm),
    }
    for _ in range(6):
        manager = UserFactory(role="customer_manager", org_unit=org.a.department)
        territory = TerritoryFactory(department=org.a.department, manager=manager)
        retailer = RetailerFactory(territory=territory, abc_class="B")
        make_visit(retailer, date(2026, 10, 5), shelf=[(case.x, True)])
    for index in range(5):
        BrandFactory(code=f"MORE{index}", launch_date=date(2026, 9, 1))
    shelf_rates_refresh(month=OCTOBER)
    after = {
        "assessor": page_queries(client, org.assessor),
        "department": page_queries(client, org.a.center_supervisor, unit=org.a.department.pk),
        "manager": page_queries(client, org.a.cm),
    }
    assert after == before
    assert max(after.values()) <= 10


def test_refresh_now_for_admin_and_assessment_center(client, org, case, celery_eager):
    ShelfRateRollup.objects.all().delete()
    client.force_login(org.admin)
    page = client.get(URL, {"month": "2026-10", "abc_class": "A"})
    assert reverse("visits:shelf_rates_refresh") in page.content.decode()
    response = client.post(
        reverse("visits:shelf_rates_refresh"), {"month": "2026-10", "query": "abc_class=A"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?abc_class=A"
    assert ShelfRateRollup.objects.filter(month=OCTOBER).count() > 0

    client.force_login(org.assessor)
    response = client.post(reverse("visits:shelf_rates_refresh"), {"month": "2026-09"})
    assert response.status_code == 302
    assert ShelfRateRollup.objects.filter(month=date(2026, 9, 1)).exists()


@pytest.mark.parametrize("who", ["center_supervisor", "cm", "hr"])
def test_refresh_is_404_for_others(client, org, case, who):
    user = org.hr if who == "hr" else getattr(org.a, who)
    client.force_login(user)
    assert client.post(reverse("visits:shelf_rates_refresh"), {"month": "2026-10"}).status_code == (
        404
    )
    assert client.get(reverse("visits:shelf_rates_refresh")).status_code == 405


# --- API ------------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient()


def rows(api, user, **params):
    api.force_authenticate(user)
    response = api.get(reverse("shelf-rates-list"), {"month": "2026-10", **params})
    assert response.status_code == 200
    return response.json()


def test_api_scoping_center_supervisor(api, org, case):
    data = rows(api, org.a.center_supervisor, abc_class="all", page_size=500)
    levels = {(row["level"], row["scope_id"]) for row in data["results"]}
    assert levels == {
        ("center", org.a.center.pk),
        ("department", org.a.department.pk),
        ("territory", case.t1.pk),
        ("territory", case.t2.pk),
    }
    other = ShelfRateRollup.objects.filter(level="center", scope_id=org.b.center.pk).first()
    assert api.get(reverse("shelf-rates-detail", args=[other.pk])).status_code == 404


def test_api_scoping_customer_manager(api, org, case):
    data = rows(api, org.a.cm)
    assert data["count"] > 0
    assert {(row["level"], row["scope_id"]) for row in data["results"]} == {
        ("territory", case.t1.pk)
    }


def test_api_requires_login(api, case):
    assert api.get(reverse("shelf-rates-list")).status_code == 403


def test_api_filters_and_rates(api, org, case):
    data = rows(api, org.assessor, level="company", abc_class="all", brand=case.x.pk)
    [row] = data["results"]
    assert (row["active_retailers"], row["observed_on_shelf"], row["ordered"]) == (8, 4, 1)
    assert (row["observed_rate"], row["order_rate"]) == ("0.5000", "0.1250")
    assert row["brand_code"] == "X" and row["month"] == "2026-10-01"

    data = rows(api, org.assessor, level="department", scope_id=org.a.department.pk)
    assert {r["abc_class"] for r in data["results"]} == {"", "A", "B", "C"}

    data = rows(api, org.assessor, level="territory", abc_class="A", new_only="true")
    assert {r["brand_code"] for r in data["results"]} == {"N"}
    by_scope = {r["scope_id"]: r for r in data["results"]}
    assert by_scope[case.t1.pk]["observed_rate"] == "0.5000"  # r2 of r1, r2
    assert by_scope[case.t2.pk]["order_rate"] == "1.0000"  # r6

    # Without a month, "new" is judged in each row's own month.
    api.force_authenticate(org.assessor)
    response = api.get(reverse("shelf-rates-list"), {"new_only": "true", "level": "company"})
    assert {r["brand_code"] for r in response.json()["results"]} == {"N"}
    empty = rows(api, org.assessor, month="2026-09")
    assert empty["count"] == 0
