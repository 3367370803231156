"""``next`` goes back only to this site (accounts.redirects.redirect_next, used everywhere)."""

from datetime import date

import pytest
from django.urls import reverse

from tests.factories import RetailerFactory
from visits.models import VisitPlan
from visits.services.plans import plans_generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(org):
    RetailerFactory(territory=org.a.territory, abc_class="C")
    plans_generate(month=date(2026, 11, 1), today=date(2026, 10, 31))
    return VisitPlan.objects.get()


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/visits/", "javascript:alert(1)", "https:/\\evil"],
)
def test_reschedule_never_leaves_the_site(client, org, plan, target):
    client.force_login(org.a.cm)
    url = reverse("visits:plan_reschedule", args=[plan.pk])
    response = client.post(url, {"day": "2026-11-27", "next": target})
    assert response["Location"] == reverse("visits:week")


def test_reschedule_goes_back_to_a_page_of_the_site(client, org, plan):
    client.force_login(org.a.cm)
    url = reverse("visits:plan_reschedule", args=[plan.pk])
    response = client.post(url, {"day": "2026-11-27", "next": "/visits/today/?x=1"})
    assert response["Location"] == "/visits/today/?x=1"
