"""Visit form pages, the unplanned-visit search, and the installable-app files."""

import json
from datetime import date

import pytest
from django.urls import reverse

from retailers.models import KeyBrandMonth, month_start
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory
from visits.models import VisitPlan
from visits.services.plans import plans_generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(org):
    return RetailerFactory(territory=org.a.territory, shop_name="兴隆小卖部", abc_class="B")


def test_form_lists_new_then_key_then_sold_brands(client, org, shop):
    today = date.today()
    sold = BrandFactory(name="常销")
    key = BrandFactory(name="重点")
    BrandFactory(name="新品", launch_date=month_start(today))
    BrandFactory(name="其他")
    KeyBrandMonth.objects.create(brand=key, month=month_start(today))
    OrderLineFactory(retailer=shop, brand=sold, order_date=today, quantity=5)
    client.force_login(org.a.cm)
    response = client.get(reverse("visits:new"), {"retailer": shop.pk})
    assert response.status_code == 200
    data = response.context["form_data"]
    listed = [b["name"] for b in data["brands"] if b["listed"]]
    assert listed == ["新品", "重点", "常销"]
    assert [b["name"] for b in data["brands"] if not b["listed"]] == ["其他"]
    embedded = json.loads(
        response.content.decode()
        .split('id="visit-form-data" type="application/json">')[1]
        .split("</script>")[0]
    )
    assert embedded["retailer"] == shop.pk and embedded["plan"] is None


def test_form_from_a_plan_and_scoping(client, org, shop):
    plans_generate(month=date.today(), today=date.today())
    plan = VisitPlan.objects.filter(retailer=shop).first()
    client.force_login(org.a.cm)
    assert client.get(reverse("visits:new"), {"plan": plan.pk}).context["plan"] == plan
    other = RetailerFactory(territory=org.b.territory)
    assert client.get(reverse("visits:new"), {"retailer": other.pk}).status_code == 404
    assert client.get(reverse("visits:new"), {"retailer": "x"}).status_code == 404
    client.force_login(org.a.cm2)
    assert client.get(reverse("visits:new"), {"plan": plan.pk}).status_code == 404
    client.force_login(org.a.dept_supervisor)
    assert client.get(reverse("visits:new"), {"retailer": shop.pk}).status_code == 404


def test_unplanned_visit_search_links_to_the_form(client, org, shop):
    client.force_login(org.a.cm)
    assert client.get(reverse("visits:new")).status_code == 200  # the search page
    body = client.get(reverse("retailers:list"), {"q": "兴隆", "pick": "visit"}).content.decode()
    assert f"{reverse('visits:new')}?retailer={shop.pk}" in body


def test_service_worker_and_manifest(client, org):
    response = client.get("/sw.js")
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "/static/css/app." in response.content.decode()  # hashed names of this release
    manifest = json.loads(client.get("/manifest.webmanifest").content)
    assert manifest["start_url"] == "/visits/today/"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    client.force_login(org.a.cm)
    home = client.get(reverse("home")).content.decode()
    assert 'rel="manifest"' in home and "serviceWorker" in home


def test_nightly_rates_refresh_covers_last_month_early_in_a_month(monkeypatch, celery_eager):
    from visits import tasks

    monkeypatch.setattr(tasks.timezone, "localdate", lambda: date(2026, 12, 3))
    assert [r["month"] for r in tasks.refresh_shelf_rates.delay().get()] == [
        "2026-11-01",
        "2026-12-01",
    ]
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: date(2026, 12, 6))
    assert [r["month"] for r in tasks.refresh_shelf_rates.delay().get()] == ["2026-12-01"]
