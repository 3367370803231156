"""Visit form pages, the unplanned-visit search, and the installable-app files."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from retailers.models import KeyBrandMonth, month_start
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory
from visits.models import ShelfObservation, Visit, VisitPlan, VisitStatus
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


def test_form_data_has_last_time_and_usual_prices(client, org, shop):
    """ "As last time" is the latest valid visit's shelf check; its brands are listed; the usual
    price is the median of the territory's recent prices, or wholesale ÷ 10 without them."""
    seen, rare, other = BrandFactory(name="上次见过"), BrandFactory(), BrandFactory()
    neighbour = RetailerFactory(territory=org.a.territory)

    def visit(retailer, days_ago, lines, status=VisitStatus.VALID):
        at = timezone.now() - timedelta(days=days_ago)
        v = Visit.objects.create(
            manager=org.a.cm,
            retailer=retailer,
            territory=retailer.territory,
            checked_in_at=at,
            check_in_date=timezone.localdate(at),
            status=status,
        )
        for brand, on_shelf, price, stock in lines:
            ShelfObservation.objects.create(
                visit=v,
                retailer=retailer,
                observed_at=at,
                brand=brand,
                on_shelf=on_shelf,
                retail_price=price,
                stock_level=stock,
            )

    visit(shop, 9, [(other, True, Decimal("30"), "low")])  # older
    visit(shop, 5, [(seen, True, Decimal("20"), "normal"), (rare, False, None, "")])
    visit(shop, 1, [(seen, False, None, "")], status=VisitStatus.INVALID)  # does not count
    visit(neighbour, 2, [(seen, True, Decimal("22"), "")])
    visit(neighbour, 3, [(seen, True, Decimal("40"), "")])
    client.force_login(org.a.cm)
    data = client.get(reverse("visits:new"), {"retailer": shop.pk}).context["form_data"]
    assert data["last_time"] == {
        "date": (timezone.localdate() - timedelta(days=5)).isoformat(),
        "lines": {
            seen.pk: {"on_shelf": True, "retail_price": "20.00", "stock_level": "normal"},
            rare.pk: {"on_shelf": False, "retail_price": None, "stock_level": ""},
        },
    }
    brands = {b["id"]: b for b in data["brands"]}
    assert brands[seen.pk]["listed"] and brands[rare.pk]["listed"]
    assert not brands[other.pk]["listed"]  # only in an older visit
    assert brands[seen.pk]["usual_price"] == "22.00"  # median of 20, 22, 40
    assert brands[rare.pk]["usual_price"] == "12.00"  # wholesale 120.00 per carton ÷ 10
    assert data["price_tolerance_pct"] == 30
    assert not brands[seen.pk]["primary"]
