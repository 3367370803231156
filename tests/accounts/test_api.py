import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_api_requires_login(api, org):
    assert api.get(reverse("territory-list")).status_code == 403


def test_manager_lists_only_own_territory(api, org):
    api.force_authenticate(org.a.cm)
    data = api.get(reverse("territory-list")).json()
    assert data["count"] == 1
    assert data["results"][0]["code"] == "T-A1"
    assert data["results"][0]["manager_name"] == org.a.cm.name


def test_manager_gets_404_for_another_territory_by_id(api, org):
    api.force_authenticate(org.a.cm)
    assert api.get(reverse("territory-detail", args=[org.a.territory.pk])).status_code == 200
    response = api.get(reverse("territory-detail", args=[org.b.territory.pk]))
    assert response.status_code == 404
    assert org.b.territory.name not in response.content.decode()


def test_center_supervisor_user_list_is_scoped(api, org):
    api.force_authenticate(org.b.center_supervisor)
    data = api.get(reverse("user-list"), {"role": "customer_manager"}).json()
    assert sorted(u["employee_no"] for u in data["results"]) == ["1B01", "1B02"]
    assert api.get(reverse("user-detail", args=[org.a.cm.pk])).status_code == 404


def test_me_endpoint(api, org):
    api.force_authenticate(org.a.cm)
    data = api.get(reverse("user-me")).json()
    assert data["employee_no"] == "1A01"
    assert data["territory"] == org.a.territory.pk
    assert data["role"] == "customer_manager"


def test_territory_filters_and_search(api, org):
    api.force_authenticate(org.hr)
    data = api.get(reverse("territory-list"), {"q": "B二号"}).json()
    assert [t["code"] for t in data["results"]] == ["T-B2"]
    data = api.get(reverse("territory-list"), {"department": org.a.department.pk}).json()
    assert sorted(t["code"] for t in data["results"]) == ["T-A1", "T-A2"]


def test_org_units_are_scoped(api, org):
    api.force_authenticate(org.a.dept_supervisor)
    data = api.get(reverse("orgunit-list")).json()
    assert [u["code"] for u in data["results"]] == ["D-A1"]


def test_openapi_schema(api, org):
    api.force_authenticate(org.admin)
    response = api.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/territories/{id}/" in schema["paths"]


def test_swagger_ui_uses_vendored_assets(client, org):
    client.force_login(org.admin)
    body = client.get(reverse("swagger-ui")).content.decode()
    assert "cdn" not in body.lower()
    assert "/static/drf_spectacular_sidecar/" in body


def test_territory_list_query_count_is_bounded(api, org, django_assert_max_num_queries):
    from tests.factories import TerritoryFactory, UserFactory

    for i in range(20):
        TerritoryFactory(
            department=org.a.department,
            manager=UserFactory(org_unit=org.a.department),
            code=f"T-Z{i:02d}",
        )
    api.force_authenticate(org.hr)
    with django_assert_max_num_queries(5):
        data = api.get(reverse("territory-list")).json()
    assert data["count"] == 24
