"""Today's route reaches the shop: a geo: link to the map app, Amap for iPhones, a call
button; the unplanned visit offers nearby shops; the unsupported-browser banner is on the
phone pages only."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import RetailerFactory
from visits.geo import amap_uri, geo_uri, tel_uri
from visits.models import VisitPlan
from visits.services.plans import plans_generate

pytestmark = pytest.mark.django_db


def test_geo_uri_is_wgs84_with_the_label_encoded():
    assert geo_uri(Decimal("31.952700"), Decimal("118.850000"), "惠民(24h) 店") == (
        "geo:31.952700,118.850000?q=31.952700,118.850000(%E6%83%A0%E6%B0%91%2824h%29%20%E5%BA%97)"
    )


def test_amap_uri_is_converted_to_gcj02():
    # GCJ-02 of (31.9527, 118.85) by the published formula: about 500 m east, 280 m south.
    assert amap_uri(Decimal("31.952700"), Decimal("118.850000"), "惠民") == (
        "https://uri.amap.com/marker?position=118.855067,31.950554"
        "&name=%E6%83%A0%E6%B0%91&coordinate=gaode&callnative=1"
    )


@pytest.mark.parametrize(
    ("phone", "uri"),
    [
        ("025-8888 1234", "tel:02588881234"),
        ("+86 138 0000 0000", "tel:+8613800000000"),
        ("138+0000", "tel:1380000"),
        ("", ""),
        ("无", ""),
    ],
)
def test_tel_uri(phone, uri):
    assert tel_uri(phone) == uri


@pytest.fixture
def route(org):
    today = date.today()
    with_all = RetailerFactory(
        territory=org.a.territory,
        shop_name="惠民便利店",
        abc_class="C",
        phone="025-8888 1234",
        latitude=Decimal("31.952700"),
        longitude=Decimal("118.850000"),
    )
    bare = RetailerFactory(
        territory=org.a.territory,
        shop_name="无坐标店",
        abc_class="C",
        latitude=None,
        longitude=None,
    )
    plans_generate(month=today, today=today)
    VisitPlan.objects.filter(retailer__in=[with_all, bare]).update(scheduled_for=today)
    return with_all, bare


def test_today_rows_link_to_the_map_app_and_the_phone(client, org, route):
    client.force_login(org.a.cm)
    response = client.get(reverse("visits:today"))
    html = response.content.decode()
    links = {stop.retailer.shop_name: stop.links for stop in response.context["stops"]}
    assert links["惠民便利店"].geo == (
        "geo:31.952700,118.850000?q=31.952700,118.850000(%E6%83%A0%E6%B0%91%E4%BE%BF%E5%88%A9%E5%BA%97)"
    )
    assert links["惠民便利店"].tel == "tel:02588881234"
    assert f'href="{links["惠民便利店"].geo}"' in html
    assert 'href="tel:02588881234"' in html
    assert 'data-lat="31.952700" data-lng="118.850000"' in html
    # No coordinates, no phone: neither link nor distance.
    assert (links["无坐标店"].geo, links["无坐标店"].tel) == ("", "")
    assert (
        html.count("route-nav") == 1
        and html.count('class="btn btn-outline-primary flex-fill route-call"') == 1
    )
    assert html.count('class="small fw-semibold route-distance"') == 1


def test_unplanned_visit_offers_nearby_shops(client, org):
    client.force_login(org.a.cm)
    html = client.get(reverse("visits:new")).content.decode()
    assert 'data-url="/api/v1/nearby-retailers/"' in html
    assert 'data-visit-url="/visits/new/"' in html
    assert 'name="q"' in html  # the search stays


def test_the_browser_banner_is_on_the_phone_pages_only(client, org):
    assert 'id="browser-check"' in client.get(reverse("login")).content.decode()
    client.force_login(org.a.cm)
    assert 'id="browser-check"' in client.get(reverse("visits:new")).content.decode()
    client.force_login(org.a.dept_supervisor)
    assert 'id="browser-check"' not in client.get(reverse("visits:list")).content.decode()
