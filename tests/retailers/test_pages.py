"""Retailer pages and API: scoping (404 outside the subtree), filters, card, export, queries."""

import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from retailers.models import ClassOverride
from retailers.services import classification_run
from tests.factories import OrderLineFactory, RetailerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shops(org):
    return {
        "a1": RetailerFactory(territory=org.a.territory, shop_name="甲一便利店", retail_format="B"),
        "a1s": RetailerFactory(
            territory=org.a.territory, shop_name="甲一超市", retail_format="S", market_type="X"
        ),
        "a2": RetailerFactory(territory=org.a.territory2, shop_name="甲二烟酒行"),
        "b1": RetailerFactory(territory=org.b.territory, shop_name="乙一食杂店"),
    }


def names(response):
    return sorted(r.shop_name for r in response.context["page"].object_list)


def test_manager_lists_only_own_territory(client, org, shops):
    client.force_login(org.a.cm)
    assert names(client.get(reverse("retailers:list"))) == ["甲一便利店", "甲一超市"]


def test_center_supervisor_lists_center(client, org, shops):
    client.force_login(org.a.center_supervisor)
    assert names(client.get(reverse("retailers:list"))) == ["甲一便利店", "甲一超市", "甲二烟酒行"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"retail_format": ["S"]}, ["甲一超市"]),
        ({"market_type": "X"}, ["甲一超市"]),
        ({"q": "烟酒"}, ["甲二烟酒行"]),
        ({"status": "suspended"}, []),
    ],
)
def test_filters(client, org, shops, params, expected):
    client.force_login(org.a.center_supervisor)
    assert names(client.get(reverse("retailers:list"), params)) == expected


def test_territory_filter_and_class_filter(client, org, shops):
    shops["a2"].abc_class = "A"
    shops["a2"].save()
    client.force_login(org.a.center_supervisor)
    url = reverse("retailers:list")
    assert names(client.get(url, {"territory": org.a.territory2.pk})) == ["甲二烟酒行"]
    assert names(client.get(url, {"abc_class": ["A"]})) == ["甲二烟酒行"]
    # Another center's territory is not a valid choice: the filter is ignored, no data leaks.
    response = client.get(url, {"territory": org.b.territory.pk})
    assert "乙一食杂店" not in response.content.decode()


def test_card_of_own_retailer_and_404_for_others(client, org, shops):
    OrderLineFactory(retailer=shops["a1"], order_date=date.today().replace(day=1), quantity=500)
    client.force_login(org.a.cm)
    response = client.get(reverse("retailers:detail", args=[shops["a1"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "甲一便利店" in body and "管理卡" in body
    assert response.context["card"]["orders_by_month"][0]["cartons"] == 500
    for other in ("a2", "b1"):
        assert client.get(reverse("retailers:detail", args=[shops[other].pk])).status_code == 404


def test_card_shows_classification_history(client, org, shops):
    classification_run(month=date(2026, 11, 1))
    client.force_login(org.a.dept_supervisor)
    response = client.get(reverse("retailers:detail", args=[shops["a1"].pk]))
    records = response.context["card"]["classifications"]
    assert [r.month for r in records] == [date(2026, 11, 1)]
    assert "2026-11" in response.content.decode()


def test_supervisor_overrides_with_reason(client, org, shops):
    client.force_login(org.a.dept_supervisor)
    url = reverse("retailers:override", args=[shops["a1"].pk])
    response = client.post(
        url, {"new_class": "A", "reason": "新开商圈", "pinned": "on"}, follow=True
    )
    assert response.status_code == 200
    shops["a1"].refresh_from_db()
    assert (shops["a1"].abc_class, shops["a1"].class_pinned) == ("A", True)
    override = ClassOverride.objects.get()
    assert (override.created_by, override.reason, override.old_class) == (
        org.a.dept_supervisor,
        "新开商圈",
        "",
    )


def test_override_needs_a_reason_and_a_supervisor(client, org, shops):
    client.force_login(org.a.dept_supervisor)
    url = reverse("retailers:override", args=[shops["a1"].pk])
    client.post(url, {"new_class": "A", "reason": "  "})
    assert ClassOverride.objects.count() == 0
    client.force_login(org.a.cm)
    assert client.post(url, {"new_class": "A", "reason": "x"}).status_code == 404
    client.force_login(org.b.dept_supervisor)
    assert client.post(url, {"new_class": "A", "reason": "x"}).status_code == 404
    assert ClassOverride.objects.count() == 0


def test_territory_register_export(client, org, shops):
    shops["a1"].shop_name = '=HYPERLINK("http://x")'
    shops["a1"].save()
    classification_run(month=date(2026, 11, 1))
    client.force_login(org.a.cm)
    response = client.get(reverse("retailers:register", args=[org.a.territory.pk]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value.startswith(org.a.territory.name)
    assert sheet["B3"].value == "许可证号"
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert [r[1] for r in rows] == [shops["a1"].license_no, shops["a1s"].license_no]
    assert rows[0][2] == '=HYPERLINK("http://x")'  # stored as text, not a formula
    assert sheet.cell(row=4, column=3).data_type == "s"
    assert rows[0][12] in {"A", "B", "C"}
    assert client.get(reverse("retailers:register", args=[org.b.territory.pk])).status_code == 404


def test_list_query_count_does_not_grow(client, org, shops):
    client.force_login(org.hr)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("retailers:list"))
    for _ in range(40):
        RetailerFactory(territory=org.b.territory2)
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("retailers:list"))
    assert response.context["page"].paginator.count == 44
    assert len(large) == len(small)


def test_api_scoping_and_404(org, shops):
    api = APIClient()
    api.force_authenticate(org.a.cm)
    data = api.get(reverse("retailer-list")).json()
    assert sorted(r["shop_name"] for r in data["results"]) == ["甲一便利店", "甲一超市"]
    assert api.get(reverse("retailer-detail", args=[shops["b1"].pk])).status_code == 404
    assert api.get(reverse("retailer-detail", args=[shops["a1"].pk])).json()["license_no"] == (
        shops["a1"].license_no
    )


def test_api_lists_query_counts_are_bounded(org, shops):
    api = APIClient()
    api.force_authenticate(org.hr)
    for _ in range(25):
        OrderLineFactory(retailer=shops["b1"])
    classification_run(month=date(2026, 11, 1))
    for name in ("retailer-list", "orderline-list", "classificationrecord-list", "brand-list"):
        url = reverse(name)
        with CaptureQueriesContext(connection) as queries:
            assert api.get(url).status_code == 200
        assert len(queries) <= 6, (name, len(queries))


def test_api_order_lines_are_scoped(org, shops):
    OrderLineFactory(retailer=shops["a1"], quantity=7)
    OrderLineFactory(retailer=shops["b1"], quantity=9)
    api = APIClient()
    api.force_authenticate(org.b.center_supervisor)
    data = api.get(reverse("orderline-list")).json()
    assert [r["quantity"] for r in data["results"]] == [9]
