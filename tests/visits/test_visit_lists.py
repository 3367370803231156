"""The visit lists at scale: a default date window (shown, overridable), constant queries,
and a count capped at LIST_COUNT_CAP."""

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import RetailerFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def add_visits(org, count, *, days_ago=0, at=time(8)):
    """``count`` visits of manager A, ``days_ago`` days back from ``at``, one minute apart."""
    shop = RetailerFactory(territory=org.a.territory)
    day = timezone.localdate() - timedelta(days=days_ago)
    start = datetime.combine(day, at, tzinfo=TZ)
    return Visit.objects.bulk_create(
        Visit(
            client_id=uuid.uuid4(),
            manager=org.a.cm,
            retailer=shop,
            territory=org.a.territory,
            checked_in_at=start + timedelta(minutes=n),
            check_in_date=day,
        )
        for n in range(count)
    )


@pytest.fixture
def supervisor(client, org):
    client.force_login(org.a.center_supervisor)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def api(org):
    client = APIClient()
    client.force_authenticate(org.a.center_supervisor)
    return client


def test_the_list_shows_the_last_31_days_unless_dates_are_chosen(supervisor, api, org, english):
    recent = add_visits(org, 1, days_ago=30, at=time(0))[0]  # the window's first minute
    old = add_visits(org, 1, days_ago=31, at=time(23, 59))[0]  # the day before, local time
    first = (timezone.localdate() - timedelta(days=30)).isoformat()

    page = supervisor.get(reverse("visits:list"))
    assert [v.pk for v in page.context["page"].object_list] == [recent.pk]
    body = page.content.decode()
    assert f'name="date_from" id="date_from" class="form-control" value="{first}"' in body
    # Said in the filter's header, seen with the filter closed.
    assert "· The last 31 days; choose dates to see others.</span></summary>" in body
    assert [row["id"] for row in api.get("/api/v1/visits/").json()["results"]] == [recent.pk]

    # The user's dates win; an empty "from" means from the beginning.
    older = (timezone.localdate() - timedelta(days=40)).isoformat()
    for query in (f"?date_from={older}", "?date_from=", f"?date_to={timezone.localdate()}"):
        page = supervisor.get(reverse("visits:list") + query)
        assert [v.pk for v in page.context["page"].object_list] == [recent.pk, old.pk], query
        assert "choose dates to see others" not in page.content.decode()
        results = api.get("/api/v1/visits/" + query).json()["results"]
        assert [row["id"] for row in results] == [recent.pk, old.pk], query
    # A visit's own address finds it whatever the window.
    assert api.get(f"/api/v1/visits/{old.pk}/").json()["id"] == old.pk


def test_list_queries_do_not_grow_with_rows(supervisor, api, org):
    def queries(url, client):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    add_visits(org, 10)
    few = queries(reverse("visits:list"), supervisor), queries("/api/v1/visits/", api)
    add_visits(org, 90, days_ago=1)
    many = queries(reverse("visits:list"), supervisor), queries("/api/v1/visits/", api)
    assert few == many


def test_counts_stop_at_the_cap(supervisor, api, org, settings, english):
    settings.LIST_COUNT_CAP = 5
    add_visits(org, 5)
    page = supervisor.get(reverse("visits:list"))
    assert "5 visits" in page.content.decode() and "5+" not in page.content.decode()
    assert api.get("/api/v1/visits/").json()["count"] == 5

    add_visits(org, 1, days_ago=1)
    page = supervisor.get(reverse("visits:list"))
    assert "5+ visits" in page.content.decode()
    assert len(page.context["page"].object_list) == 6  # the page itself is not cut
    listed = api.get("/api/v1/visits/").json()
    assert (listed["count"], listed["count_capped"], len(listed["results"])) == (5, True, 6)
