"""A covering manager (代管, DOMAIN §9) reaches the covered retailers while the covering lasts:
the retailer card, the retailer API and a visit; before and after it, a 404 as for anyone
outside their territory."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from retailers.models import Retailer
from retailers.services import territory_cover
from tests.factories import RetailerFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(org):
    return RetailerFactory(territory=org.a.territory, abc_class="B")


def visit_body(shop):
    at = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    return {
        "client_id": str(uuid.uuid4()),
        "retailer": shop.pk,
        "checked_in_at": at.isoformat(),
        "checked_out_at": (at + timedelta(minutes=10)).isoformat(),
        "location_status": "denied",
    }


def test_the_covering_manager_reaches_the_covered_shops_only_while_covering(client, org, shop):
    today = timezone.localdate()
    api = APIClient()
    api.force_authenticate(org.a.cm2)
    client.force_login(org.a.cm2)
    card = reverse("retailers:detail", args=[shop.pk])
    assert client.get(card).status_code == 404
    assert list(Retailer.objects.visible_to(org.a.cm2)) == []

    territory_cover(
        territory=org.a.territory, manager=org.a.cm2, start=today, end=today + timedelta(days=5)
    )
    assert client.get(card).status_code == 200
    assert api.get(reverse("retailer-detail", args=[shop.pk])).status_code == 200
    response = api.post(reverse("visit-list"), visit_body(shop), format="json")
    assert response.status_code == 201
    assert Visit.objects.get().manager == org.a.cm2
    # The territory's own manager keeps seeing it, and nobody else gains it.
    assert list(Retailer.objects.visible_to(org.a.cm)) == [shop]
    assert list(Retailer.objects.visible_to(org.b.cm)) == []


def test_a_covering_that_ended_gives_nothing(client, org, shop):
    today = timezone.localdate()
    territory_cover(
        territory=org.a.territory,
        manager=org.a.cm2,
        start=today - timedelta(days=10),
        end=today - timedelta(days=3),
        today=today,
    )
    client.force_login(org.a.cm2)
    assert client.get(reverse("retailers:detail", args=[shop.pk])).status_code == 404
    assert list(Retailer.objects.visible_to(org.a.cm2)) == []
