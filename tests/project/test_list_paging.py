"""Lists that stay fast: a count capped at LIST_COUNT_CAP, and list pages and API lists
whose queries do not grow with their rows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Territory
from assessment.models import Appeal, Inspection
from config.pagination import CappedPaginator
from retailers.models import Retailer
from tests.factories import RetailerFactory, TerritoryFactory

pytestmark = pytest.mark.django_db


def test_the_paginator_counts_up_to_the_cap(org, settings):
    settings.LIST_COUNT_CAP = 4
    new = TerritoryFactory.create_batch(4, department=org.a.department)
    territories = Territory.objects.order_by("code")
    assert territories.count() > 5
    with CaptureQueriesContext(connection) as queries:
        paginator = CappedPaginator(territories, 3)
        page = paginator.get_page(2)
        rows = list(page.object_list)
    assert len(queries) == 2  # the capped count, the page
    assert "LIMIT 5" in queries[0]["sql"]
    assert (paginator.count, paginator.capped, paginator.count_label) == (5, True, "4+")
    # The pages stop at the counted rows: older rows are reached by narrowing the filter.
    assert paginator.num_pages == 2 and len(rows) == 2 and page.has_next() is False

    exact = CappedPaginator(territories.filter(pk__in=[t.pk for t in new]), 3)
    assert (exact.count, exact.capped, exact.count_label) == (4, False, "4")
    settings.LIST_COUNT_CAP = 10_000
    assert CappedPaginator(list(range(12_345)), 10).count_label == "12,345"  # a list: len()


def test_the_capped_count_on_pages_and_the_api(client, org, settings, english):
    settings.LIST_COUNT_CAP = 3
    RetailerFactory.create_batch(4, territory=org.a.territory)
    client.force_login(org.a.center_supervisor)
    page = client.get(reverse("retailers:list"), HTTP_ACCEPT_LANGUAGE="en")
    assert "3+ retailers" in page.content.decode()
    api = APIClient()
    api.force_authenticate(org.a.center_supervisor)
    body = api.get("/api/v1/retailers/").json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (3, True, 4)
    settings.LIST_COUNT_CAP = 4
    body = api.get("/api/v1/retailers/").json()
    assert (body["count"], body["count_capped"]) == (4, False)


def add_rows(org, count):
    Retailer.objects.bulk_create(RetailerFactory.build_batch(count, territory=org.a.territory))
    today = timezone.localdate()
    inspections = Inspection.objects.bulk_create(
        Inspection(
            manager=org.a.cm,
            inspector=org.a.dept_supervisor,
            level=3,
            inspected_on=today - timedelta(days=n % 20),
            month=today.replace(day=1),
            item_code="visits",
            points=Decimal(1),
            reason="扣分",
        )
        for n in range(count)
    )
    Appeal.objects.bulk_create(
        Appeal(**Appeal.target_fields(inspection=i), reason="不服") for i in inspections
    )


def test_list_queries_do_not_grow_with_rows(client, org):
    api = APIClient()
    lists = [
        (org.a.center_supervisor, reverse("retailers:list")),
        (org.a.center_supervisor, "/api/v1/retailers/"),
        (org.assessor, reverse("assessment:inspections")),
        (org.assessor, "/api/v1/assessment/inspections/"),
        (org.a.center_supervisor, reverse("assessment:appeals")),
        (org.a.center_supervisor, "/api/v1/assessment/appeals/"),
    ]

    def counts():
        result = []
        for user, url in lists:
            api.force_authenticate(user)
            client.force_login(user)
            caller = api if url.startswith("/api/") else client
            with CaptureQueriesContext(connection) as queries:
                response = caller.get(url)
            assert response.status_code == 200, url
            if caller is api:
                assert response.json()["count"] >= 10, url
            else:
                assert response.context["page"].paginator.count >= 10, url
            result.append(len(queries))
        return result

    add_rows(org, 10)
    few = counts()
    add_rows(org, 90)
    assert counts() == few
    assert Appeal.objects.count() == 100
