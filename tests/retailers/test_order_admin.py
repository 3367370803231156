"""The admin's order-line list: no full count, related rows joined, a month filter, and a
query count that does not grow with the table."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from retailers.admin import NoFullCountPaginator
from retailers.models import OrderLine
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory

pytestmark = pytest.mark.django_db

URL = "admin:retailers_orderline_changelist"


def add_lines(org, count, *, start=0):
    retailers = [RetailerFactory(territory=t) for t in (org.a.territory, org.b.territory)]
    brands = [BrandFactory(code=f"690100000{n:04d}") for n in range(3)]
    for n in range(start, start + count):
        OrderLineFactory(
            retailer=retailers[n % 2],
            brand=brands[n % 3],
            order_date=date(2026, 9 + n % 2, 1 + n % 28),
            source_order_no=f"DD{n:06d}",
        )


def changelist_queries(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(URL), params)
    assert response.status_code == 200
    return response, queries.captured_queries


def test_the_query_count_does_not_grow_with_the_lines(client, org, django_assert_max_num_queries):
    client.force_login(org.admin)
    add_lines(org, 20)
    response, queries = changelist_queries(client)
    with_20 = len(queries)
    assert len(response.context["cl"].result_list) == 20

    add_lines(org, 180, start=20)
    with django_assert_max_num_queries(with_20):
        response = client.get(reverse(URL))
    assert len(response.context["cl"].result_list) == 100  # one page
    # session, user, the capped count and the page (with retailer and brand joined); on
    # PostgreSQL the planner's estimate is read first
    assert with_20 == (5 if connection.vendor == "postgresql" else 4)


def test_no_full_count_and_no_date_hierarchy(client, org):
    client.force_login(org.admin)
    add_lines(org, 3)
    response, queries = changelist_queries(client)
    cl = response.context["cl"]
    assert cl.show_full_result_count is False
    assert cl.full_result_count is None
    assert cl.date_hierarchy is None  # it would scan the table for its distinct months
    sql = " ".join(q["sql"] for q in queries)
    assert "DISTINCT" not in sql and "LIMIT 100000" in sql


def test_the_month_filter(client, org):
    client.force_login(org.admin)
    add_lines(org, 20)
    response, _queries = changelist_queries(client, month="2026-10")
    dates = {line.order_date for line in response.context["cl"].result_list}
    assert len(dates) == 10 and all(d.month == 10 for d in dates)
    assert response.context["cl"].result_count == 10


def test_the_paginator_counts_at_most_its_limit(org, monkeypatch):
    add_lines(org, 12)
    monkeypatch.setattr(NoFullCountPaginator, "count_limit", 5)
    lines = OrderLine.objects.all()
    if connection.vendor != "postgresql":
        # PostgreSQL takes the planner's estimate of an unfiltered table (next test), which
        # earlier bulk loads of the test database may have left at any size.
        assert NoFullCountPaginator(lines, 2).count == 5
    assert NoFullCountPaginator(lines.filter(order_date__month=9), 2).count == 5
    monkeypatch.setattr(NoFullCountPaginator, "count_limit", 100)
    assert NoFullCountPaginator(lines.filter(quantity__gt=0), 2).count == 12


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_class estimate")
def test_an_unfiltered_list_on_postgresql_takes_the_planner_estimate(org, monkeypatch):
    add_lines(org, 12)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {OrderLine._meta.db_table}")
    monkeypatch.setattr(NoFullCountPaginator, "count_limit", 5)
    lines = OrderLine.objects.all()
    assert NoFullCountPaginator(lines, 2).count == 12  # the estimate, no COUNT
    assert NoFullCountPaginator(lines.filter(order_date__month=9), 2).count == 5


def test_a_return_shows_its_original_line_and_every_line_its_arrival(client, org):
    client.force_login(org.admin)
    retailer = RetailerFactory(territory=org.a.territory)
    sale = OrderLineFactory(retailer=retailer, source_order_no="DD1", quantity=10)
    back = OrderLineFactory(
        retailer=retailer,
        brand=sale.brand,
        source_order_no="TH1",
        quantity=-4,
        amount=-sale.brand.wholesale_price * 4,
        returns_line=sale,
    )
    response, _queries = changelist_queries(client)
    rows = {line.pk: line for line in response.context["cl"].result_list}
    assert rows[back.pk].returns_line == sale
    assert rows[sale.pk].returns_line is None
    body = response.content.decode()
    assert "column-returns_line" in body and "column-arrived_at" in body
    assert str(sale) in body  # the return's row names its original line
    sale.refresh_from_db()
    assert sale.arrived_at is not None  # the database's time of insertion

    api = APIClient()
    api.force_authenticate(org.admin)
    data = api.get(reverse("orderline-list")).json()["results"]
    assert {r["source_order_no"]: r["returns_line"] for r in data} == {"DD1": None, "TH1": sale.pk}
    assert all(r["arrived_at"] for r in data)
