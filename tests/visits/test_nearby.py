"""附近门店: the shops nearest to the phone's position, scoped like every other read.

The expected distances are computed by hand on the haversine's sphere (R = 6,371,000 m):
along a meridian d = R · Δφ exactly; along the parallel of 31.95° N,
d = 2R · asin(cos 31.95° · sin(Δλ / 2)).
"""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from retailers.models import RetailerStatus
from tests.factories import OrgUnitFactory, RetailerFactory, TerritoryFactory, UserFactory
from visits.selectors.nearby import nearby_retailers

pytestmark = pytest.mark.django_db

HERE = {"lat": "31.95", "lng": "118.85"}
URL = "/api/v1/nearby-retailers/"


def shop(territory, name, lat, lng, **fields):
    return RetailerFactory(
        territory=territory,
        shop_name=name,
        latitude=Decimal(lat),
        longitude=Decimal(lng),
        **fields,
    )


@pytest.fixture
def shops(org):
    t = org.a.territory
    return {
        # 4,003 m north: 6,371,000 × 0.036° × π/180 = 4,003.0
        "far": shop(t, "远郊烟酒店", "31.986000", "118.850000"),
        # 944 m east: 2R · asin(cos 31.95° · sin(0.01°/2)) = 943.5
        "east": shop(t, "东门便利店", "31.950000", "118.860000"),
        # 300 m north: 6,371,000 × 0.0027° × π/180 = 300.2
        "near": shop(t, "惠民便利店", "31.952700", "118.850000", phone="025-8888 1234"),
        # 11,119 m north: outside the 10 km radius
        "outside": shop(t, "城外小店", "32.050000", "118.850000"),
        "suspended": shop(
            t, "暂停小店", "31.950100", "118.850000", status=RetailerStatus.SUSPENDED
        ),
        "unplaced": RetailerFactory(
            territory=t, shop_name="无坐标店", latitude=None, longitude=None
        ),
        # The same department, the other manager's territory: 111 m away.
        "colleague": shop(org.a.territory2, "同事的店", "31.951000", "118.850000"),
        # Center B: 0 m away.
        "center_b": shop(org.b.territory, "B区门店", "31.950000", "118.850000"),
    }


def nearby(user, params=HERE):
    api = APIClient()
    api.force_authenticate(user)
    return api.get(URL, params, HTTP_ACCEPT_LANGUAGE="en")


def test_nearest_first_with_distances(org, shops):
    response = nearby(org.a.cm)
    assert response.status_code == 200
    rows = [(row["shop_name"], row["distance_m"]) for row in response.json()]
    assert rows == [("惠民便利店", 300), ("东门便利店", 944), ("远郊烟酒店", 4003)]
    first = response.json()[0]
    assert first["id"] == shops["near"].pk
    assert (first["latitude"], first["longitude"]) == ("31.952700", "118.850000")
    assert first["phone"] == "025-8888 1234"


def test_a_supervisor_sees_the_departments_shops(org, shops):
    names = [row["shop_name"] for row in nearby(org.a.dept_supervisor).json()]
    assert names == ["同事的店", "惠民便利店", "东门便利店", "远郊烟酒店"]


def test_other_territories_and_companies_never_appear(org, shops):
    other_company = OrgUnitFactory(name="邻市烟草公司", code="C9", kind="company")
    center = OrgUnitFactory(code="C-X", kind="marketing_center", parent=other_company)
    department = OrgUnitFactory(code="D-X", kind="service_department", parent=center)
    outsider = UserFactory(employee_no="1X01", role="customer_manager", org_unit=department)
    shop(TerritoryFactory(department=department, manager=outsider), "邻市门店", "31.95", "118.85")

    assert "同事的店" not in [row["shop_name"] for row in nearby(org.a.cm).json()]
    assert [row["shop_name"] for row in nearby(org.b.cm).json()] == ["B区门店"]
    assert [row["shop_name"] for row in nearby(outsider).json()] == ["邻市门店"]
    # Center B's people see none of center A's shops, however close.
    assert nearby(org.b.cm2).json() == []
    assert [row["shop_name"] for row in nearby(org.b.dept_supervisor).json()] == ["B区门店"]


def test_a_far_position_finds_nothing(org, shops):
    assert nearby(org.a.cm, {"lat": "39.9", "lng": "116.4"}).json() == []


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"lng": "118.85"}, "lat", "Give the latitude in degrees (WGS-84), from -90 to 90."),
        ({"lat": "abc", "lng": "118.85"}, "lat", "Give the latitude in degrees"),
        ({"lat": "91", "lng": "118.85"}, "lat", "Give the latitude in degrees"),
        ({"lat": "nan", "lng": "118.85"}, "lat", "Give the latitude in degrees"),
        ({"lat": "31.95", "lng": "-180.5"}, "lng", "Give the longitude in degrees (WGS-84)"),
        ({"lat": "31.95", "lng": "inf"}, "lng", "Give the longitude in degrees"),
    ],
)
def test_a_bad_position_is_400_with_a_clear_message(org, shops, params, field, message):
    response = nearby(org.a.cm, params)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert response.json()[field][0].startswith(message)


def test_anonymous_is_refused():
    assert APIClient().get(URL, HERE).status_code == 403


def test_one_bounded_query(org, shops, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = nearby_retailers(org.a.cm, 31.95, 118.85, limit=2)
    assert [(s.retailer.shop_name, s.distance_m) for s in found] == [
        ("惠民便利店", 300),
        ("东门便利店", 944),
    ]
