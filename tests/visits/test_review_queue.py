"""The supervisor's flagged-visit queue: unreviewed by default, review then "next", and where
the check-in was seen from the shop."""

import html
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import RetailerFactory
from visits.geo import bearing_deg, check_in_place, compass_point
from visits.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db

SHOP_LAT, SHOP_LNG = Decimal("31.950000"), Decimal("118.800000")


def flagged_visit(org, name, minutes_ago, **fields):
    retailer = RetailerFactory(
        territory=org.a.territory, shop_name=name, latitude=SHOP_LAT, longitude=SHOP_LNG
    )
    moment = timezone.now() - timedelta(minutes=minutes_ago)
    return Visit.objects.create(
        manager=org.a.cm,
        retailer=retailer,
        territory=org.a.territory,
        checked_in_at=moment,
        checked_out_at=moment + timedelta(minutes=1),
        check_in_date=timezone.localdate(moment),
        flag_short=True,
        **fields,
    )


def test_hand_computed_direction_and_distance(english):
    # 0.002° north: 0.002 × π/180 × 6 371 000 = 222.4 m; 0.002° east at 31.95° N:
    # 222.4 × cos(31.95°) = 188.7 m. Haversine: √(222.4² + 188.7²) ≈ 291.7 → 292 m;
    # bearing atan2(188.7, 222.4) ≈ 40.3° → north-east.
    place = check_in_place(
        SHOP_LAT, SHOP_LNG, SHOP_LAT + Decimal("0.002"), SHOP_LNG + Decimal("0.002")
    )
    assert place.distance_m == 292
    assert (
        40
        < bearing_deg(SHOP_LAT, SHOP_LNG, SHOP_LAT + Decimal("0.002"), SHOP_LNG + Decimal("0.002"))
        < 41
    )
    assert str(place.direction) == "north-east"
    # The sketch puts the check-in up (north) and right (east) of the shop in the centre.
    assert place.point_x > place.shop_x and place.point_y < place.shop_y
    assert check_in_place(SHOP_LAT, SHOP_LNG, None, None) is None


@pytest.mark.parametrize(
    ("bearing", "point"),
    [
        (0, "north"),
        (22.4, "north"),
        (22.6, "north-east"),
        (90, "east"),
        (180, "south"),
        (225, "south-west"),
        (300, "north-west"),
        (359, "north"),
    ],
)
def test_compass_points(bearing, point, english):
    assert str(compass_point(bearing)) == point


def test_detail_says_where_the_check_in_was(client, org):
    visit = flagged_visit(
        org,
        "东北小店",
        5,
        latitude=SHOP_LAT + Decimal("0.002"),
        longitude=SHOP_LNG + Decimal("0.002"),
        distance_m=292,
        flag_far=True,
    )
    client.force_login(org.a.dept_supervisor)
    body = client.get(
        reverse("visits:detail", args=[visit.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "The check-in point is 292 m north-east of the shop." in body
    assert "<svg" in body and "http" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_flagged_list_opens_on_not_yet_reviewed(client, org):
    open_ = flagged_visit(org, "待审小店", 5)
    done = flagged_visit(
        org, "已审小店", 10, reviewed_at=timezone.now(), reviewed_by=org.a.dept_supervisor
    )
    client.force_login(org.a.dept_supervisor)
    body = client.get(reverse("visits:list") + "?flagged=true").content.decode()
    assert open_.retailer.shop_name in body and done.retailer.shop_name not in body
    assert '<option value="false" selected>' in body
    # The user can change the filter: all, or the reviewed ones.
    body = client.get(reverse("visits:list") + "?flagged=true&reviewed=").content.decode()
    assert open_.retailer.shop_name in body and done.retailer.shop_name in body
    body = client.get(reverse("visits:list") + "?flagged=true&reviewed=true").content.decode()
    assert open_.retailer.shop_name not in body and done.retailer.shop_name in body


def test_review_confirms_and_offers_the_next_flagged_visit(client, org):
    first = flagged_visit(org, "第一家", 5)
    second = flagged_visit(org, "第二家", 10)
    flagged_visit(org, "已审", 15, reviewed_at=timezone.now(), reviewed_by=org.a.dept_supervisor)
    other_manager = flagged_visit(org, "别人的", 20)
    Visit.objects.filter(pk=other_manager.pk).update(manager=org.a.cm2)
    client.force_login(org.a.dept_supervisor)
    list_page = client.get(reverse("visits:list") + "?flagged=true&q=第").content.decode()
    detail_url = reverse("visits:detail", args=[first.pk])
    assert detail_url + "?f=" in list_page

    f = "flagged=true&q=第&reviewed=false"
    response = client.post(
        reverse("visits:review", args=[first.pk]),
        {"valid": "1", "note": "", "f": f},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    first.refresh_from_db()
    assert first.reviewed_by == org.a.dept_supervisor and first.status == VisitStatus.VALID
    body = response.content.decode()
    assert "The visit was marked valid." in body
    next_link = f'id="next-visit" href="{reverse("visits:detail", args=[second.pk])}?f='
    assert next_link in body
    # The next visit's page keeps the list's filter, so the walk goes on.
    href = html.unescape(body.split(next_link[: -len("?f=")], 1)[1].split('"', 1)[0])
    assert (
        'name="f" value="flagged=true&amp;q=%E7%AC%AC&amp;reviewed=false"'
        in client.get(reverse("visits:detail", args=[second.pk]) + href).content.decode()
    )

    response = client.post(
        reverse("visits:review", args=[second.pk]),
        {"valid": "0", "note": "定位不符", "f": f},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    body = response.content.decode()
    second.refresh_from_db()
    assert second.status == VisitStatus.INVALID
    assert "The visit was marked invalid" in body
    assert 'id="next-visit"' not in body  # 别人的 is outside the q filter, 已审 is reviewed
    assert "No unreviewed flagged visit is left in this list." in body
