"""Pages of market information, complaints, surveys and work plans: scoping (404 outside
the subtree), forms, actions and query counts."""

# Fixtures are imported by name from feedback_fixtures; test arguments shadow them.
# ruff: noqa: F811

import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import RetailerFactory
from tests.visits.feedback_fixtures import english, shops  # noqa: F401
from visits.models import (
    Complaint,
    ComplaintStatus,
    InformationItem,
    InfoType,
    LeadStatus,
    SatisfactionSurvey,
    Validity,
    WorkPlan,
    WorkPlanKind,
)
from visits.services import feedback as services

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def get(client, user, name, *args, **params):
    client.force_login(user)
    return client.get(reverse(f"visits:{name}", args=args), params, **EN)


def post(client, user, name, *args, data=None, follow=False):
    client.force_login(user)
    return client.post(reverse(f"visits:{name}", args=args), data or {}, follow=follow, **EN)


@pytest.fixture
def items(org, shops):
    return {
        "a1": services.info_report(
            user=org.a.cm, kind=InfoType.PRICE, content="甲一价格异常", retailer=shops["a1"]
        ),
        "a1_lead": services.info_report(
            user=org.a.cm, kind=InfoType.GROUP, content="甲一集团消费线索"
        ),
        "a2": services.info_report(user=org.a.cm2, kind=InfoType.DELIVERY, content="甲二送货异常"),
        "b1": services.info_report(user=org.b.cm, kind=InfoType.PRICE, content="乙一价格异常"),
    }


def contents(response):
    return sorted(item.content for item in response.context["page"].object_list)


# --- Information --------------------------------------------------------------------------------


def test_feed_is_scoped(client, org, items):
    assert contents(get(client, org.a.cm, "info_feed")) == ["甲一价格异常", "甲一集团消费线索"]
    assert contents(get(client, org.a.dept_supervisor, "info_feed")) == [
        "甲一价格异常",
        "甲一集团消费线索",
        "甲二送货异常",
    ]
    assert contents(get(client, org.b.center_supervisor, "info_feed")) == ["乙一价格异常"]
    assert len(get(client, org.assessor, "info_feed").context["page"].object_list) == 4


def test_feed_filters(client, org, items):
    services.info_review(item=items["a2"], user=org.a.dept_supervisor, valid=False)
    sup = org.assessor
    assert contents(get(client, sup, "info_feed", kind=["delivery", "group"])) == [
        "甲一集团消费线索",
        "甲二送货异常",
    ]
    assert contents(get(client, sup, "info_feed", org_unit=org.b.center.pk)) == ["乙一价格异常"]
    assert contents(get(client, sup, "info_feed", validity="invalid")) == ["甲二送货异常"]
    assert contents(get(client, sup, "info_feed", territory=org.a.territory2.pk)) == [
        "甲二送货异常"
    ]
    assert contents(get(client, sup, "info_feed", lead="true")) == ["甲一集团消费线索"]
    today = timezone.localdate().isoformat()
    assert len(get(client, sup, "info_feed", date_from=today).context["page"].object_list) == 4
    assert contents(get(client, sup, "info_feed", date_to="2020-01-01")) == []
    # Another center's unit is not a choice for a center supervisor: ignored, nothing leaks.
    response = get(client, org.a.center_supervisor, "info_feed", org_unit=org.b.center.pk)
    assert "乙一价格异常" not in response.content.decode()


def test_supervisor_reviews_from_the_feed(client, org, items):
    feed = reverse("visits:info_feed") + "?kind=price"
    response = post(
        client,
        org.a.dept_supervisor,
        "info_review",
        items["a1"].pk,
        data={"valid": "0", "next": feed},
    )
    assert response.status_code == 302 and response["Location"] == feed
    items["a1"].refresh_from_db()
    assert (items["a1"].validity, items["a1"].reviewed_by) == (
        Validity.INVALID,
        org.a.dept_supervisor,
    )
    # An outside "next" is not followed.
    response = post(
        client,
        org.a.dept_supervisor,
        "info_review",
        items["a1"].pk,
        data={"valid": "1", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("visits:info_detail", args=[items["a1"].pk])


def test_review_buttons_only_for_supervisors(client, org, items):
    review_url = reverse("visits:info_review", args=[items["a1"].pk])
    assert review_url in get(client, org.a.dept_supervisor, "info_feed").content.decode()
    assert review_url not in get(client, org.a.cm, "info_feed").content.decode()
    assert (
        post(client, org.a.cm, "info_review", items["a1"].pk, data={"valid": "1"}).status_code
        == 403
    )
    items["a1"].refresh_from_db()
    assert items["a1"].validity == Validity.PENDING


@pytest.mark.parametrize("outsider", ["a.cm2", "b.cm", "b.dept_supervisor", "b.center_supervisor"])
def test_information_outside_the_subtree_is_404(client, org, items, outsider):
    group, role = outsider.split(".")
    user = getattr(getattr(org, group), role)
    pk = items["a1_lead"].pk
    assert get(client, user, "info_detail", pk).status_code == 404
    assert post(client, user, "info_review", pk, data={"valid": "1"}).status_code == 404
    assert post(client, user, "lead_update", pk, data={"status": "won"}).status_code == 404
    items["a1_lead"].refresh_from_db()
    assert (items["a1_lead"].validity, items["a1_lead"].lead_status) == (Validity.PENDING, "")


def test_lead_follow_up_page(client, org, items):
    response = get(client, org.a.cm, "info_detail", items["a1_lead"].pk)
    assert response.context["can_follow_up"] is True
    response = post(
        client,
        org.a.cm,
        "lead_update",
        items["a1_lead"].pk,
        data={"status": "following", "note": "已约面谈"},
        follow=True,
    )
    assert "已约面谈" in response.content.decode()
    items["a1_lead"].refresh_from_db()
    assert items["a1_lead"].lead_status == LeadStatus.FOLLOWING
    # Not a lead: refused with the message, nothing written.
    response = post(
        client, org.a.cm, "lead_update", items["a1"].pk, data={"status": "won"}, follow=True
    )
    assert "Only group-consumption and occasion leads are followed up." in response.content.decode()
    assert InformationItem.objects.get(pk=items["a1"].pk).lead_status == ""


# --- Complaints ---------------------------------------------------------------------------------


def opened(org, shop, hours_ago):
    return services.complaint_open(
        retailer=shop,
        user=org.assessor,
        content=f"{shop.shop_name}投诉",
        opened_at=timezone.now() - timedelta(hours=hours_ago),
    )


def test_open_a_complaint_by_searching_the_licence(client, org, shops):
    response = get(client, org.a.cm, "complaint_new", q="3299")
    assert [r.shop_name for r in response.context["results"]] == ["甲一便利店"]
    response = get(client, org.a.cm, "complaint_new", retailer=shops["a1"].pk)
    client_id = response.context["form"]["client_id"].value()
    data = {
        "retailer": shops["a1"].pk,
        "content": "送货员态度差",
        "opened_at": "",
        "client_id": str(client_id),
    }
    response = post(client, org.a.cm, "complaint_new", data=data)
    complaint = Complaint.objects.get()
    assert response["Location"] == reverse("visits:complaint_detail", args=[complaint.pk])
    assert (complaint.retailer, complaint.territory, complaint.opened_by, complaint.content) == (
        shops["a1"],
        org.a.territory,
        org.a.cm,
        "送货员态度差",
    )
    # A second click on the same form opens nothing new.
    post(client, org.a.cm, "complaint_new", data=data)
    assert Complaint.objects.count() == 1


def test_complaint_form_errors_write_nothing(client, org, shops):
    data = {"retailer": shops["a1"].pk, "content": "  ", "client_id": str(uuid.uuid4())}
    response = post(client, org.a.cm, "complaint_new", data=data)
    assert response.status_code == 200
    assert "Write down what the retailer complains about." in response.content.decode()
    data.update(content="x", opened_at="2999-01-01T09:00")
    response = post(client, org.a.cm, "complaint_new", data=data)
    assert "The time cannot be in the future." in response.content.decode()
    assert Complaint.objects.count() == 0
    # Another territory's retailer cannot be chosen.
    assert get(client, org.a.cm, "complaint_new", retailer=shops["a2"].pk).status_code == 404
    data.update(retailer=shops["b1"].pk, opened_at="")
    assert post(client, org.a.cm, "complaint_new", data=data).status_code == 404
    assert Complaint.objects.count() == 0


def test_complaint_list_and_overdue_tab(client, org, shops):
    overdue = opened(org, shops["a1"], hours_ago=80)
    fresh = opened(org, shops["a1"], hours_ago=1)
    answered_late = opened(org, shops["a2"], hours_ago=30)
    opened(org, shops["b1"], hours_ago=100)
    response = get(client, org.a.dept_supervisor, "complaints")
    assert [c.pk for c in response.context["page"].object_list] == [
        fresh.pk,
        answered_late.pk,
        overdue.pk,
    ]
    response = get(client, org.a.dept_supervisor, "complaints", overdue="true")
    # Oldest resolution deadline first.
    assert [c.pk for c in response.context["page"].object_list] == [overdue.pk, answered_late.pk]
    assert "Response overdue" in response.content.decode()
    services.complaint_respond(complaint=answered_late, user=org.a.cm2, note="已联系")
    response = get(client, org.a.dept_supervisor, "complaints", overdue="true")
    assert [c.pk for c in response.context["page"].object_list] == [overdue.pk]
    response = get(client, org.a.cm, "complaints", status=["in_progress"])
    assert list(response.context["page"].object_list) == []


def test_complaint_actions_by_role(client, org, shops):
    complaint = opened(org, shops["a1"], hours_ago=2)
    response = get(client, org.a.cm, "complaint_detail", complaint.pk)
    assert sorted(response.context["actions"]) == ["resolve", "respond"]
    post(
        client,
        org.a.cm,
        "complaint_action",
        complaint.pk,
        data={"action": "respond", "note": "已联系"},
    )
    post(
        client,
        org.a.cm,
        "complaint_action",
        complaint.pk,
        data={"action": "resolve", "resolution": "已补货"},
    )
    assert list(get(client, org.a.cm, "complaint_detail", complaint.pk).context["actions"]) == []
    # The manager cannot close (the 属实 judgement is the supervisors').
    response = post(
        client,
        org.a.cm,
        "complaint_action",
        complaint.pk,
        data={"action": "close", "substantiated": "1"},
    )
    assert response.status_code == 403
    assert list(
        get(client, org.a.dept_supervisor, "complaint_detail", complaint.pk).context["actions"]
    ) == ["close"]
    # Missing judgement: the form says so, nothing changes.
    response = post(
        client, org.a.dept_supervisor, "complaint_action", complaint.pk, data={"action": "close"}
    )
    assert "Say whether the complaint was substantiated." in response.content.decode()
    assert Complaint.objects.get().status == ComplaintStatus.RESOLVED
    post(
        client,
        org.a.dept_supervisor,
        "complaint_action",
        complaint.pk,
        data={"action": "close", "substantiated": "0"},
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.substantiated) == (ComplaintStatus.CLOSED, False)


def test_invalid_transition_on_the_page_shows_the_message(client, org, shops):
    complaint = opened(org, shops["a1"], hours_ago=2)
    services.complaint_resolve(complaint=complaint, user=org.a.cm, resolution="r")
    response = post(
        client,
        org.a.cm,
        "complaint_action",
        complaint.pk,
        data={"action": "respond", "note": "迟到的回复"},
    )
    assert "Only an open complaint can be responded to." in response.content.decode()
    complaint.refresh_from_db()
    assert "迟到的回复" not in complaint.resolution


@pytest.mark.parametrize("outsider", ["a.cm2", "b.cm", "b.dept_supervisor", "b.center_supervisor"])
def test_complaint_outside_the_subtree_is_404(client, org, shops, outsider):
    group, role = outsider.split(".")
    user = getattr(getattr(org, group), role)
    complaint = opened(org, shops["a1"], hours_ago=2)
    assert get(client, user, "complaint_detail", complaint.pk).status_code == 404
    data = {"action": "respond", "note": "x"}
    assert post(client, user, "complaint_action", complaint.pk, data=data).status_code == 404
    assert Complaint.objects.get().status == ComplaintStatus.OPEN


# --- Surveys ------------------------------------------------------------------------------------


def test_supervisor_records_a_survey(client, org, shops):
    data = {
        "license_no": shops["a2"].license_no,
        "score": "4",
        "surveyed_on": "2026-11-10",
        "channel": "phone",
        "note": "送货及时",
    }
    response = post(client, org.a.dept_supervisor, "surveys", data=data)
    assert response.status_code == 302
    survey = SatisfactionSurvey.objects.get()
    assert (survey.retailer, survey.score, survey.surveyed_on, survey.recorded_by) == (
        shops["a2"],
        4,
        date(2026, 11, 10),
        org.a.dept_supervisor,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"score": "6"}, "Choose a score from 1 to 5."),
        ({"score": ""}, "Choose a score from 1 to 5."),
        ({"license_no": "329902000001"}, "No retailer you can see has this licence number."),
        ({"surveyed_on": "2999-01-01"}, "The date cannot be in the future."),
        ({"surveyed_on": "昨天"}, "Enter a valid date."),
    ],
)
def test_survey_form_errors_write_nothing(client, org, shops, change, message):
    data = {"license_no": shops["a1"].license_no, "score": "3", "surveyed_on": "2026-11-10"}
    data.update(channel="supervisor", **change)
    response = post(client, org.a.dept_supervisor, "surveys", data=data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert SatisfactionSurvey.objects.count() == 0


def test_surveys_are_scoped_and_managers_cannot_record(client, org, shops):
    for shop in ("a1", "b1"):
        services.survey_record(
            retailer=shops[shop],
            user=org.assessor,
            score=5,
            surveyed_on=date(2026, 11, 2),
            channel="phone",
        )
    response = get(client, org.a.cm, "surveys")
    assert [s.retailer for s in response.context["page"].object_list] == [shops["a1"]]
    assert response.context["form"] is None
    data = {"license_no": shops["a1"].license_no, "score": "1", "surveyed_on": "2026-11-10"}
    assert post(client, org.a.cm, "surveys", data={**data, "channel": "phone"}).status_code == 403
    response = get(client, org.b.center_supervisor, "surveys")
    assert [s.retailer for s in response.context["page"].object_list] == [shops["b1"]]
    assert SatisfactionSurvey.objects.count() == 2


# --- Work plans ---------------------------------------------------------------------------------


@pytest.fixture
def plans(org):
    services.work_plans_generate(today=timezone.localdate())
    return WorkPlan.objects.filter(kind=WorkPlanKind.MONTHLY).order_by("due_at")


def test_manager_submits_own_plan(client, org, plans):
    plan = plans.filter(manager=org.a.cm).last()  # next month's: due in the future
    response = get(client, org.a.cm, "work_plans")
    assert {p.manager for p in response.context["page"].object_list} == {org.a.cm}
    assert reverse("visits:work_plan_submit", args=[plan.pk]) in response.content.decode()
    response = post(client, org.a.cm, "work_plan_submit", plan.pk, data={"content": "本月目标"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.content == "本月目标" and plan.submitted_at is not None and not plan.is_late


def test_empty_plan_is_refused(client, org, plans):
    plan = plans.filter(manager=org.a.cm).last()
    response = post(
        client, org.a.cm, "work_plan_submit", plan.pk, data={"content": " "}, follow=True
    )
    assert "Write the plan before submitting it." in response.content.decode()
    plan.refresh_from_db()
    assert plan.submitted_at is None


def test_supervisors_see_late_and_missing(client, org, plans):
    late = plans.filter(manager=org.a.cm).first()
    late.due_at = timezone.now() - timedelta(days=3)
    late.save()
    services.work_plan_submit(plan=late, user=org.a.cm, content="迟交")
    missing = plans.filter(manager=org.a.cm2).first()
    missing.due_at = timezone.now() - timedelta(days=2)
    missing.save()
    response = get(client, org.a.dept_supervisor, "work_plans", kind="monthly")
    states = {(p.manager, p.pk): p.state for p in response.context["page"].object_list}
    assert states[(org.a.cm, late.pk)] == "late"
    assert states[(org.a.cm2, missing.pk)] == "missing"
    assert {manager for manager, _pk in states} == {org.a.cm, org.a.cm2}
    assert response.context["summary"]["late"] == 1
    assert response.context["summary"]["missing"] == 1
    response = get(client, org.a.dept_supervisor, "work_plans", kind="monthly", state="missing")
    assert [p.pk for p in response.context["page"].object_list] == [missing.pk]
    assert "table-danger" in response.content.decode()


@pytest.mark.parametrize("outsider", ["a.cm2", "b.cm", "b.dept_supervisor", "b.center_supervisor"])
def test_work_plan_of_another_manager_is_404(client, org, plans, outsider):
    group, role = outsider.split(".")
    user = getattr(getattr(org, group), role)
    plan = plans.filter(manager=org.a.cm).last()
    response = post(client, user, "work_plan_submit", plan.pk, data={"content": "x"})
    assert response.status_code == 404
    assert plan.pk not in {
        p.pk for p in get(client, user, "work_plans").context["page"].object_list
    }


def test_supervisor_cannot_submit_for_a_manager(client, org, plans):
    plan = plans.filter(manager=org.a.cm).last()
    response = post(
        client, org.a.dept_supervisor, "work_plan_submit", plan.pk, data={"content": "x"}
    )
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.submitted_at is None


# --- Query counts -------------------------------------------------------------------------------


def add_rows(org, n):
    for i in range(n):
        shop = RetailerFactory(territory=org.a.territory2)
        item = services.info_report(
            user=org.a.cm2, kind=InfoType.GROUP, content=f"线索{i}", retailer=shop
        )
        services.info_review(item=item, user=org.a.dept_supervisor, valid=True)
        complaint = services.complaint_open(retailer=shop, user=org.a.cm2, content=f"投诉{i}")
        services.complaint_respond(complaint=complaint, user=org.a.cm2, note="n")
        services.survey_record(
            retailer=shop,
            user=org.a.dept_supervisor,
            score=3,
            surveyed_on=date(2026, 11, 2),
            channel="phone",
        )
    for k in range(n // 5 + 1):
        services.work_plans_generate(today=date(2026, 6, 1) + timedelta(weeks=k))


@pytest.mark.parametrize("name", ["info_feed", "complaints", "surveys", "work_plans"])
def test_list_query_counts_do_not_grow(client, org, name):
    client.force_login(org.a.dept_supervisor)
    url = reverse(f"visits:{name}")
    add_rows(org, 2)
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    rows = response.context["page"].paginator.count
    add_rows(org, 25)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.context["page"].paginator.count >= rows + 10 > 10
    assert len(large) == len(small), (name, len(small), len(large))
