"""Assessment API: scoping both ways, writes through the services, status codes."""

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from assessment import services
from assessment.models import Appeal, AppealStatus, BonusPoint, Inspection, ManagerScore

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)
BASE = "/api/v1/assessment"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def deduct(inspector, manager, points="2"):
    return services.inspection_record(
        inspector=inspector,
        manager_id=manager.pk,
        inspected_on=TODAY,
        item_code="visits",
        points=Decimal(points),
        reason="走访不实",
    )


def test_schemes_read_with_items(org):
    response = api(org.a.cm).get(f"{BASE}/schemes/")
    assert response.status_code == 200
    scheme = response.json()["results"][0]
    assert [i["code"] for i in scheme["items"]][:2] == ["sales", "key_brand"]
    assert sum(Decimal(i["max_points"]) for i in scheme["items"]) == 100


def test_create_inspection_via_service(org):
    response = api(org.a.dept_supervisor).post(
        f"{BASE}/inspections/",
        {
            "manager": org.a.cm.pk,
            "inspected_on": TODAY.isoformat(),
            "item_code": "info",
            "points": "1.25",
            "reason": "信息造假",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["level"], body["month"], body["points"]) == (3, MONTH.isoformat(), "1.25")
    inspection = Inspection.objects.get()
    assert (inspection.inspector, inspection.manager) == (org.a.dept_supervisor, org.a.cm)


def test_create_inspection_errors(org):
    client = api(org.a.dept_supervisor)
    data = {"inspected_on": TODAY.isoformat(), "item_code": "info", "points": "1", "reason": "r"}
    assert client.post(f"{BASE}/inspections/", {**data, "manager": org.b.cm.pk}).status_code == 404
    bad_item = client.post(
        f"{BASE}/inspections/", {**data, "manager": org.a.cm.pk, "item_code": "nope"}
    )
    assert bad_item.status_code == 400
    assert "item_code" in bad_item.json()
    forbidden = api(org.hr).post(f"{BASE}/inspections/", {**data, "manager": org.a.cm.pk})
    assert forbidden.status_code == 403
    assert not Inspection.objects.exists()


def test_inspection_before_any_scheme_is_a_400(org):
    """1999 is before the default scheme (2000): no items to deduct from (a 500 before)."""
    data = {"manager": org.a.cm.pk, "item_code": "visits", "points": "1", "reason": "r"}
    response = api(org.a.dept_supervisor).post(
        f"{BASE}/inspections/", {**data, "inspected_on": "1999-06-01"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json() == {"inspected_on": ["No assessment scheme is in force in this month."]}
    too_old = api(org.a.dept_supervisor).post(
        f"{BASE}/inspections/", {**data, "inspected_on": "0001-01-01"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert too_old.json() == {"inspected_on": ["Enter a date between 1900-01-01 and 2100-12-31."]}
    assert not Inspection.objects.exists()


def test_inspection_list_and_detail_scoped(org):
    a = deduct(org.a.dept_supervisor, org.a.cm)
    b = deduct(org.b.dept_supervisor, org.b.cm)
    client = api(org.b.center_supervisor)
    assert [row["id"] for row in client.get(f"{BASE}/inspections/").json()["results"]] == [b.pk]
    assert client.get(f"{BASE}/inspections/{a.pk}/").status_code == 404
    mine = api(org.a.cm2).get(f"{BASE}/inspections/").json()["results"]
    assert mine == []


def test_bonus_create(org):
    response = api(org.a.center_supervisor).post(
        f"{BASE}/bonus/",
        {"manager": org.a.cm2.pk, "day": TODAY.isoformat(), "points": "3", "reason": "举报线索"},
    )
    assert response.status_code == 201, response.content
    assert BonusPoint.objects.get().points == Decimal(3)
    assert api(org.a.cm2).get(f"{BASE}/bonus/").json()["count"] == 1
    assert api(org.a.cm).get(f"{BASE}/bonus/").json()["count"] == 0


def test_appeal_file_and_decide(org):
    inspection = deduct(org.a.dept_supervisor, org.a.cm, points="3")
    services.month_close(month=MONTH)
    services.month_start_review(month=MONTH)
    response = api(org.a.cm).post(
        f"{BASE}/appeals/", {"inspection": inspection.pk, "reason": "有证据"}
    )
    assert response.status_code == 201, response.content
    appeal_id = response.json()["id"]
    # Another manager cannot see the inspection (400: not a valid choice for them).
    assert (
        api(org.a.cm2).post(f"{BASE}/appeals/", {"inspection": inspection.pk, "reason": "x"})
    ).status_code == 400
    decide = f"{BASE}/appeals/{appeal_id}/decide/"
    assert (
        api(org.b.center_supervisor).post(decide, {"accept": True, "reason": "x"}).status_code
        == 404
    )
    same_level = api(org.a.dept_supervisor).post(decide, {"accept": True, "reason": "x"})
    assert same_level.status_code == 403
    assert (
        api(org.a.center_supervisor).post(decide, {"accept": True, "reason": ""}).status_code == 400
    )
    response = api(org.a.center_supervisor).post(decide, {"accept": False, "reason": "证据不足"})
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert Appeal.objects.get().status == AppealStatus.REJECTED


def test_scores_scoped_with_items_and_month_filter(org):
    deduct(org.a.dept_supervisor, org.a.cm, points="5")
    services.month_close(month=MONTH)
    response = api(org.a.cm).get(f"{BASE}/scores/?month={MONTH.isoformat()}")
    rows = response.json()["results"]
    assert [(r["manager"], r["total"]) for r in rows] == [(org.a.cm.pk, "85.00")]
    visits = next(i for i in rows[0]["items"] if i["code"] == "visits")
    assert (visits["points"], visits["deductions"]) == ("10.00", "5.00")
    assert visits["explanation"]["not_applicable"] is True
    center_b = api(org.b.center_supervisor)
    assert {r["manager"] for r in center_b.get(f"{BASE}/scores/").json()["results"]} == {
        org.b.cm.pk,
        org.b.cm2.pk,
    }
    other = ManagerScore.objects.get(manager=org.a.cm)
    assert center_b.get(f"{BASE}/scores/{other.pk}/").status_code == 404
    assert api(org.assessor).get(f"{BASE}/scores/?month=2001-01-01").json()["count"] == 0
