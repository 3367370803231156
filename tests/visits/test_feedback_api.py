"""API of information, complaints, surveys and work plans: scoping, writes through the
services, validation errors as 400, query counts."""

# Fixtures are imported by name from feedback_fixtures; test arguments shadow them.
# ruff: noqa: F811

import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import RetailerFactory
from tests.visits.feedback_fixtures import english, shops  # noqa: F401
from visits.models import (
    Complaint,
    ComplaintStatus,
    InformationItem,
    InfoType,
    SatisfactionSurvey,
    Validity,
    WorkPlan,
    WorkPlanKind,
)
from visits.services import feedback as services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def rows(org, shops):
    services.work_plans_generate(today=date(2026, 11, 25))
    return {
        "info": services.info_report(user=org.a.cm, kind=InfoType.PRICE, content="甲一价格"),
        "complaint": services.complaint_open(
            retailer=shops["a1"], user=org.a.cm, content="甲一投诉"
        ),
        "survey": services.survey_record(
            retailer=shops["a1"],
            user=org.a.dept_supervisor,
            score=4,
            surveyed_on=date(2026, 11, 2),
            channel="phone",
        ),
        "plan": WorkPlan.objects.get(manager=org.a.cm, kind=WorkPlanKind.WEEKLY),
        "b_info": services.info_report(user=org.b.cm, kind=InfoType.PRICE, content="乙一价格"),
    }


BASENAMES = {
    "info": "information",
    "complaint": "complaints",
    "survey": "surveys",
    "plan": "work-plans",
}


@pytest.mark.parametrize("key", sorted(BASENAMES))
def test_owner_and_supervisors_see_it(org, rows, key):
    url = reverse(f"{BASENAMES[key]}-detail", args=[rows[key].pk])
    for user in (org.a.cm, org.a.dept_supervisor, org.a.center_supervisor, org.assessor):
        response = api(user).get(url)
        assert response.status_code == 200, user
        assert response.json()["id"] == rows[key].pk


@pytest.mark.parametrize("key", sorted(BASENAMES))
@pytest.mark.parametrize("outsider", ["a.cm2", "b.cm", "b.dept_supervisor", "b.center_supervisor"])
def test_outsiders_get_404(org, rows, key, outsider):
    group, role = outsider.split(".")
    user = getattr(getattr(org, group), role)
    url = reverse(f"{BASENAMES[key]}-detail", args=[rows[key].pk])
    assert api(user).get(url).status_code == 404
    ids = [row["id"] for row in api(user).get(reverse(f"{BASENAMES[key]}-list")).json()["results"]]
    assert rows[key].pk not in ids


def test_lists_are_scoped(org, rows):
    data = api(org.b.center_supervisor).get(reverse("information-list")).json()
    assert [row["content"] for row in data["results"]] == ["乙一价格"]
    data = api(org.a.cm).get(reverse("work-plans-list"), {"kind": "monthly"}).json()
    assert sorted((row["manager"], row["period_start"]) for row in data["results"]) == [
        (org.a.cm.pk, "2026-11-01"),
        (org.a.cm.pk, "2026-12-01"),
    ]


def test_complaint_lifecycle_through_the_api(org, shops):
    client_id = str(uuid.uuid4())
    body = {"retailer": shops["a1"].pk, "content": "送货晚了", "client_id": client_id}
    response = api(org.a.cm).post(reverse("complaints-list"), body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    complaint = Complaint.objects.get()
    assert (data["id"], data["status"], data["territory"], data["manager"]) == (
        complaint.pk,
        "open",
        org.a.territory.pk,
        org.a.cm.pk,
    )
    assert complaint.resolve_by - complaint.opened_at == timedelta(hours=72)
    # A retry with the same client id creates nothing.
    assert api(org.a.cm).post(reverse("complaints-list"), body, format="json").json()["id"] == (
        complaint.pk
    )
    assert Complaint.objects.count() == 1

    url = lambda step: reverse(f"complaints-{step}", args=[complaint.pk])  # noqa: E731
    response = api(org.a.cm).post(url("respond"), {"note": "已联系"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "in_progress")
    response = api(org.a.cm).post(url("respond"), {"note": "再次"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": ["Only an open complaint can be responded to."]}
    response = api(org.a.cm).post(url("resolve"), {"resolution": "已补送"}, format="json")
    assert response.json()["status"] == "resolved"
    assert (
        api(org.a.cm).post(url("close"), {"substantiated": True}, format="json").status_code == 403
    )
    response = api(org.a.dept_supervisor).post(url("close"), {}, format="json")
    assert response.status_code == 400 and "substantiated" in response.json()
    response = api(org.a.dept_supervisor).post(url("close"), {"substantiated": True}, format="json")
    assert (response.json()["status"], response.json()["substantiated"]) == ("closed", True)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.substantiated) == (ComplaintStatus.CLOSED, True)


def test_complaint_for_an_invisible_retailer_is_refused(org, shops):
    body = {"retailer": shops["b1"].pk, "content": "x"}
    response = api(org.a.cm).post(reverse("complaints-list"), body, format="json")
    assert response.status_code == 400 and "retailer" in response.json()
    assert Complaint.objects.count() == 0


def test_complaint_steps_outside_the_subtree_are_404(org, rows):
    url = reverse("complaints-respond", args=[rows["complaint"].pk])
    assert api(org.b.dept_supervisor).post(url, {"note": "x"}, format="json").status_code == 404
    assert api(org.a.cm2).post(url, {"note": "x"}, format="json").status_code == 404
    assert Complaint.objects.get().status == ComplaintStatus.OPEN


def test_overdue_filter(org, shops):
    late = services.complaint_open(
        retailer=shops["a1"],
        user=org.a.cm,
        content="x",
        opened_at=timezone.now() - timedelta(hours=73),
    )
    services.complaint_open(retailer=shops["a1"], user=org.a.cm, content="y")
    data = api(org.a.cm).get(reverse("complaints-list"), {"overdue": "true"}).json()
    assert [
        (row["id"], row["response_late"], row["resolution_late"]) for row in data["results"]
    ] == [(late.pk, True, True)]


def test_information_report_and_review(org, shops):
    body = {"kind": "occasion", "content": "周末婚宴需喜烟", "retailer": shops["a1"].pk}
    response = api(org.a.cm).post(reverse("information-list"), body, format="json")
    assert response.status_code == 201, response.json()
    item = InformationItem.objects.get()
    assert (item.reported_by, item.territory, item.is_lead) == (org.a.cm, org.a.territory, True)
    review = reverse("information-review", args=[item.pk])
    assert api(org.a.cm).post(review, {"valid": True}, format="json").status_code == 403
    response = api(org.a.dept_supervisor).post(review, {"valid": False}, format="json")
    assert response.json()["validity"] == "invalid"
    assert (
        api(org.b.dept_supervisor).post(review, {"valid": True}, format="json").status_code == 404
    )
    item.refresh_from_db()
    assert item.validity == Validity.INVALID
    response = api(org.a.cm).post(
        reverse("information-lead", args=[item.pk]),
        {"status": "won", "note": "成交"},
        format="json",
    )
    assert response.json()["lead_status"] == "won"


def test_information_bad_input_is_400(org):
    response = api(org.a.cm).post(reverse("information-list"), {"kind": "gossip"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"kind", "content"}
    assert InformationItem.objects.count() == 0


def test_complaint_before_any_visit_rules_is_a_400(org, shops):
    """The deadlines come from the visit rules in force (2000 on): none in 1999 (a 500 before)."""
    body = {
        "retailer": shops["a1"].pk,
        "content": "旧投诉",
        "opened_at": "1999-06-01T09:00:00+08:00",
    }
    response = api(org.a.cm).post(reverse("complaints-list"), body, format="json")
    assert response.status_code == 400
    assert response.json() == {"opened_at": ["No visit rules are in force on this date."]}
    assert not Complaint.objects.exists()


def test_survey_through_the_api(org, shops):
    body = {"retailer": shops["a1"].pk, "score": 6, "surveyed_on": "2026-11-10", "channel": "phone"}
    response = api(org.a.dept_supervisor).post(reverse("surveys-list"), body, format="json")
    assert response.status_code == 400
    assert response.json() == {"score": ["The score is a whole number from 1 to 5."]}
    body["score"] = 5
    assert api(org.a.cm).post(reverse("surveys-list"), body, format="json").status_code == 403
    response = api(org.a.dept_supervisor).post(reverse("surveys-list"), body, format="json")
    assert response.status_code == 201
    assert (response.json()["territory"], response.json()["recorded_by"]) == (
        org.a.territory.pk,
        org.a.dept_supervisor.pk,
    )
    assert SatisfactionSurvey.objects.count() == 1


def test_work_plan_submit_through_the_api(org, rows):
    plan = WorkPlan.objects.get(
        manager=org.a.cm, kind=WorkPlanKind.MONTHLY, period_start=date(2026, 12, 1)
    )
    url = reverse("work-plans-submit", args=[plan.pk])
    assert api(org.a.cm2).post(url, {"content": "x"}, format="json").status_code == 404
    assert api(org.a.dept_supervisor).post(url, {"content": "x"}, format="json").status_code == 403
    assert api(org.a.cm).post(url, {"content": ""}, format="json").status_code == 400
    response = api(org.a.cm).post(url, {"content": "十二月计划"}, format="json")
    assert (response.status_code, response.json()["state"], response.json()["content"]) == (
        200,
        "on_time",
        "十二月计划",
    )


def test_no_direct_edits(org, rows):
    for basename, key in (
        ("complaints", "complaint"),
        ("information", "info"),
        ("surveys", "survey"),
    ):
        url = reverse(f"{basename}-detail", args=[rows[key].pk])
        assert api(org.assessor).patch(url, {"content": "x"}, format="json").status_code == 405
        assert api(org.assessor).delete(url).status_code == 405
    assert api(org.a.cm).post(reverse("work-plans-list"), {}, format="json").status_code == 405


@pytest.mark.parametrize("basename", sorted(BASENAMES.values()))
def test_list_query_counts_are_bounded(org, basename):
    for i in range(15):
        shop = RetailerFactory(territory=org.a.territory2)
        services.info_report(user=org.a.cm2, kind=InfoType.GROUP, content=f"线索{i}", retailer=shop)
        services.complaint_open(retailer=shop, user=org.a.cm2, content=f"投诉{i}")
        services.survey_record(
            retailer=shop,
            user=org.assessor,
            score=3,
            surveyed_on=date(2026, 11, 2),
            channel="phone",
        )
        services.work_plans_generate(today=date(2026, 6, 1) + timedelta(weeks=i))
    with CaptureQueriesContext(connection) as queries:
        response = api(org.assessor).get(reverse(f"{basename}-list"))
    assert response.status_code == 200 and response.json()["count"] >= 15
    assert len(queries) <= 4, (basename, len(queries))
