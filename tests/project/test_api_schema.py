"""The published schema (/api/schema/) says what the API answers: each answer below is checked
against it by Schemathesis (status code, content type, body). The long generated run is
tests/project/test_api_fuzz.py (PostgreSQL pass)."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import RetailerFactory
from tests.schema_client import signed_in
from visits.models import LEAD_TYPES, InfoType, LeadStatus, VisitPlan
from visits.services import feedback

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("same_connection")]
TZ = ZoneInfo("Asia/Shanghai")
LEAD = LEAD_TYPES[0]


@pytest.fixture
def raw_schema(org):
    api = APIClient()
    api.force_authenticate(org.a.cm)
    return api.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def test_every_operation_documents_its_errors(raw_schema):
    operations = [
        (path, method, operation)
        for path, methods in raw_schema["paths"].items()
        for method, operation in methods.items()
    ]
    assert len(operations) > 60
    for path, method, operation in operations:
        codes = set(operation["responses"])
        assert {"400", "403", "404"} <= codes, (method, path, codes)
        assert ("413" in codes) is (method == "post"), (method, path, codes)
    components = raw_schema["components"]["schemas"]
    assert components["Error"]["required"] == ["detail"]
    not_found = raw_schema["paths"]["/api/v1/retailers/{id}/"]["get"]["responses"]["404"]
    assert not_found["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_step_actions_document_their_own_body(raw_schema):
    """``review`` takes ``{valid}`` and answers the item, not the other way round."""
    review = raw_schema["paths"]["/api/v1/information/{id}/review/"]["post"]
    body = review["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert raw_schema["components"]["schemas"][body.split("/")[-1]]["required"] == ["valid"]
    answer = review["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/InformationItem"}


def test_a_user_without_a_territory(org):
    """Only an assigned customer manager has a territory: null for everyone else."""
    session = signed_in(org.a.dept_supervisor)
    schema = session.schema()
    me = session.call(schema, "GET", "/api/v1/users/me/").json()
    assert (me["employee_no"], me["territory"]) == ("5A01", None)
    users = session.call(schema, "GET", "/api/v1/users/").json()["results"]
    territories = {u["employee_no"]: u["territory"] for u in users}
    assert territories["1A01"] == org.a.territory.pk
    assert territories["5A01"] is None


def test_information_that_is_not_a_lead(org):
    item = feedback.info_report(user=org.a.cm, kind=InfoType.PRICE, content="中华零售价偏低")
    session = signed_in(org.a.cm)
    data = session.call(session.schema(), "GET", "/api/v1/information/{id}/", id=item.pk).json()
    assert (data["is_lead"], data["lead_status"]) == (False, "")


def test_a_lead_and_its_status(org):
    shop = RetailerFactory(territory=org.a.territory)
    item = feedback.info_report(user=org.a.cm, kind=LEAD, content="想进新品", retailer=shop)
    session = signed_in(org.a.dept_supervisor)
    schema = session.schema()
    data = session.call(schema, "GET", "/api/v1/information/{id}/", id=item.pk).json()
    assert (data["is_lead"], data["lead_status"]) == (True, "")
    body = {"status": LeadStatus.FOLLOWING, "note": "下周上门"}
    data = session.call(
        schema, "POST", "/api/v1/information/{id}/lead/", id=item.pk, body=body
    ).json()
    assert data["lead_status"] == "following"
    assert data["lead_note"].endswith(f"{org.a.dept_supervisor.name}: 下周上门")


def test_today_route_is_a_list(org):
    shops = [RetailerFactory(territory=org.a.territory, abc_class="A") for _ in range(2)]
    today = datetime.now(TZ).date()
    for position, shop in enumerate(shops):
        VisitPlan.objects.create(
            manager=org.a.cm,
            territory=org.a.territory,
            retailer=shop,
            month=today.replace(day=1),
            window_start=today,
            window_end=today,
            planned_class="A",
            scheduled_for=today,
            route_position=position,
        )
    session = signed_in(org.a.cm)
    route = session.call(session.schema(), "GET", "/api/v1/visit-plans/today/").json()
    assert [(stop["retailer"], stop["done"]) for stop in route] == [(s.pk, False) for s in shops]


def test_visit_review_answers_the_reviewed_visit(org):
    shop = RetailerFactory(territory=org.a.territory)
    at = datetime.now(TZ).replace(microsecond=0) - timedelta(hours=1)
    manager = signed_in(org.a.cm)
    schema = manager.schema()
    visit = {
        "client_id": str(uuid.uuid4()),
        "retailer": shop.pk,
        "checked_in_at": at.isoformat(),
        "checked_out_at": (at + timedelta(minutes=10)).isoformat(),
        "location_status": "denied",
    }
    created = manager.call(schema, "POST", "/api/v1/visits/", body=visit)
    assert created.status_code == 201
    supervisor = signed_in(org.a.dept_supervisor)
    reviewed = supervisor.call(
        supervisor.schema(),
        "POST",
        "/api/v1/visits/{id}/review/",
        id=created.json()["id"],
        body={"valid": False, "note": "照片不清"},
    ).json()
    assert (reviewed["id"], reviewed["status"], reviewed["review_note"]) == (
        created.json()["id"],
        "invalid",
        "照片不清",
    )


def test_errors_are_the_documented_json(org):
    session = signed_in(org.a.cm)
    schema = session.schema()
    other = RetailerFactory(territory=org.b.territory)
    # Outside the subtree; a path no route matches; a role that may not; a bad body.
    assert session.call(schema, "GET", "/api/v1/retailers/{id}/", id=other.pk).status_code == 404
    missing = session.call(schema, "GET", "/api/v1/retailers/{id}/", id="1.5")
    assert (missing.status_code, missing.json()) == (404, {"detail": "未找到。"})
    survey = {"retailer": other.pk, "score": 3, "surveyed_on": "2026-11-02", "channel": "phone"}
    assert session.call(schema, "POST", "/api/v1/surveys/", body=survey).status_code in (400, 403)
    bad = session.call(schema, "POST", "/api/v1/visits/", body={"retailer": "x"})
    assert bad.status_code == 400 and "client_id" in bad.json()


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/brands/", {"new_in": "9999-12-31"}, "new_in"),
        ("/api/v1/information/", {"date_to": "9999-12-31"}, "date_to"),
        ("/api/v1/complaints/", {"date_from": "0001-01-01"}, "date_from"),
        ("/api/v1/work-plans/", {"month": "9999-12"}, "month"),
        ("/api/v1/dashboard/kpis/", {"month": "0001-01"}, "month"),
        ("/api/v1/dashboard/trend/", {"month": "9999-12"}, "month"),
    ],
)
def test_a_date_out_of_bounds_is_a_400(org, english, path, query, field):
    """Month and deadline arithmetic left the calendar (500) before."""
    session = signed_in(org.a.dept_supervisor)
    session.headers["Accept-Language"] = "en"
    response = session.call(session.schema(), "GET", path, query=query)
    assert response.status_code == 400
    assert response.json()[field] == ["Enter a date between 1900-01-01 and 2100-12-31."]


def test_every_api_filter_checks_its_dates():
    """Each viewset's FilterSet starts from accounts.filters.FilterSet (dates in bounds)."""
    from accounts.filters import DayField, FilterSet
    from config.urls import router

    filtersets = {
        viewset.filterset_class
        for _, viewset, _ in router.registry
        if getattr(viewset, "filterset_class", None)
    }
    assert len(filtersets) > 15
    for filterset in filtersets:
        assert issubclass(filterset, FilterSet), filterset
        for name, declared in filterset.base_filters.items():
            if "Date" in type(declared).__name__ and "DateTime" not in type(declared).__name__:
                assert issubclass(declared.field_class, DayField), (filterset, name)
