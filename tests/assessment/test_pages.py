"""Assessment pages: scores, inspection entry, appeals, months, ranking (through HTTP)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from assessment import services
from assessment.models import (
    Appeal,
    AppealStatus,
    AssessmentMonth,
    BonusPoint,
    Inspection,
    ManagerScore,
    MonthState,
)
from tests.factories import TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)


def login(client, user):
    client.force_login(user)
    return client


def deduct(inspector, manager, points="2", item="visits", reason="走访记录不实"):
    return services.inspection_record(
        inspector=inspector,
        manager_id=manager.pk,
        inspected_on=TODAY,
        item_code=item,
        points=Decimal(points),
        reason=reason,
    )


def close():
    services.month_close(month=MONTH)
    return AssessmentMonth.objects.get(month=MONTH)


def score_of(manager):
    return ManagerScore.objects.get(manager=manager, assessment__month=MONTH)


# --- my score / score detail ------------------------------------------------------------------


def test_my_score_shows_items_deductions_and_provisional_state(client, org):
    deduct(org.a.dept_supervisor, org.a.cm, points="3", reason="未按线路走访")
    close()
    response = login(client, org.a.cm).get(reverse("assessment:my_score"))
    assert response.status_code == 200
    score = response.context["score"]
    assert score.manager == org.a.cm
    visits = next(i for i in response.context["items"] if i.code == "visits")
    assert visits.points == Decimal("12.00")  # 15 full (不适用) − 3
    assert [i.reason for i in visits.inspections] == ["未按线路走访"]
    body = response.content.decode()
    assert "未按线路走访" in body
    assert "Provisional" in body or "暂定" in body
    assert visits.explanation["text"] in body
    # Draft: no appeal button yet.
    assert reverse("assessment:appeal_file", args=[visits.inspections[0].pk]) not in body


def test_my_score_is_only_for_customer_managers(client, org):
    close()
    assert (
        login(client, org.a.dept_supervisor).get(reverse("assessment:my_score")).status_code == 404
    )


def test_my_score_month_without_score_is_404(client, org):
    close()
    url = reverse("assessment:my_score") + "?month=2001-01-01"
    assert login(client, org.a.cm).get(url).status_code == 404


def test_score_detail_scoped_to_subtree(client, org):
    close()
    score = score_of(org.a.cm)
    url = reverse("assessment:score_detail", args=[score.pk])
    assert login(client, org.a.center_supervisor).get(url).status_code == 200
    assert login(client, org.a.dept_supervisor).get(url).status_code == 200
    assert login(client, org.assessor).get(url).status_code == 200
    assert login(client, org.b.center_supervisor).get(url).status_code == 404
    assert login(client, org.b.dept_supervisor).get(url).status_code == 404
    # A customer manager sees only their own score.
    assert login(client, org.a.cm2).get(url).status_code == 404
    assert login(client, org.a.cm).get(url).status_code == 200


# --- inspection entry -------------------------------------------------------------------------


def inspection_post(manager, **extra):
    return {
        "kind": "inspection",
        "manager": manager.pk,
        "inspected_on": TODAY.isoformat(),
        "item_code": "discipline",
        "points": "1.5",
        "reason": "工作日志缺失",
        **extra,
    }


def test_inspect_page_records_an_inspection(client, org):
    login(client, org.a.dept_supervisor)
    response = client.get(reverse("assessment:inspect"))
    assert response.status_code == 200
    response = client.post(reverse("assessment:inspect"), inspection_post(org.a.cm2))
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert inspection.manager == org.a.cm2
    assert inspection.inspector == org.a.dept_supervisor
    assert inspection.level == 3
    assert inspection.month == MONTH
    assert inspection.item_code == "discipline"
    assert inspection.points == Decimal("1.50")
    assert inspection.reason == "工作日志缺失"


def test_inspect_manager_outside_subtree_is_404_and_writes_nothing(client, org):
    login(client, org.a.dept_supervisor)
    response = client.post(reverse("assessment:inspect"), inspection_post(org.b.cm))
    assert response.status_code == 404
    assert not Inspection.objects.exists()


def test_inspect_invalid_input_shows_errors_and_writes_nothing(client, org):
    login(client, org.a.center_supervisor)
    future = (TODAY + timedelta(days=3)).isoformat()
    response = client.post(
        reverse("assessment:inspect"), inspection_post(org.a.cm, inspected_on=future)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["inspected_on"]
    response = client.post(reverse("assessment:inspect"), inspection_post(org.a.cm, points="0"))
    assert response.status_code == 200
    assert "points" in response.context["form"].errors
    assert not Inspection.objects.exists()


def test_inspect_page_is_404_for_other_roles(client, org):
    for user in (org.a.cm, org.hr):
        assert login(client, user).get(reverse("assessment:inspect")).status_code == 404


def test_bonus_form_grants_points(client, org):
    login(client, org.assessor)
    response = client.post(
        reverse("assessment:inspect"),
        {
            "kind": "bonus",
            "manager": org.b.cm.pk,
            "day": TODAY.isoformat(),
            "points": "2",
            "reason": "举报假烟线索属实",
        },
    )
    assert response.status_code == 302
    bonus = BonusPoint.objects.get()
    assert (bonus.manager, bonus.granted_by, bonus.points) == (org.b.cm, org.assessor, Decimal(2))


def test_inspection_list_scoped(client, org):
    deduct(org.a.dept_supervisor, org.a.cm)
    deduct(org.b.dept_supervisor, org.b.cm)
    response = login(client, org.a.center_supervisor).get(reverse("assessment:inspections"))
    assert [i.manager for i in response.context["page"].object_list] == [org.a.cm]
    response = login(client, org.assessor).get(reverse("assessment:inspections") + "?level=3")
    assert response.context["page"].paginator.count == 2
    assert login(client, org.a.cm).get(reverse("assessment:inspections")).status_code == 404


# --- appeals ----------------------------------------------------------------------------------


def _in_review(org):
    inspection = deduct(org.a.dept_supervisor, org.a.cm, points="4")
    close()
    services.month_start_review(month=MONTH)
    return inspection


def test_appeal_flow_through_pages(client, org):
    inspection = _in_review(org)
    login(client, org.a.cm)
    body = client.get(reverse("assessment:my_score")).content.decode()
    url = reverse("assessment:appeal_file", args=[inspection.pk])
    assert url in body
    response = client.post(url, {"reason": "当天在医院，有证明"})
    assert response.status_code == 302
    appeal = Appeal.objects.get(inspection=inspection)
    assert appeal.status == AppealStatus.PENDING
    # No data: 90 (信息反馈 0 of 8 items scores 0, every other item 不适用/full) − 4.
    assert score_of(org.a.cm).total == Decimal("86.00")

    # The inspector's own level cannot decide; the next level up can.
    decide = reverse("assessment:appeal_decide", args=[appeal.pk])
    assert (
        login(client, org.a.dept_supervisor)
        .post(decide, {"decision": "accept", "reason": "x"})
        .status_code
        == 404
    )
    assert (
        login(client, org.b.center_supervisor)
        .post(decide, {"decision": "accept", "reason": "x"})
        .status_code
        == 404
    )
    login(client, org.a.center_supervisor)
    queue = client.get(reverse("assessment:appeals"))
    assert [a.pk for a in queue.context["page"].object_list] == [appeal.pk]
    response = client.post(decide, {"decision": "accept", "reason": "证明属实"})
    assert response.status_code == 302
    appeal.refresh_from_db()
    inspection.refresh_from_db()
    assert appeal.status == AppealStatus.ACCEPTED
    assert appeal.decided_by == org.a.center_supervisor
    assert inspection.withdrawn is True
    assert score_of(org.a.cm).total == Decimal("90.00")
    # The manager sees their appeal and its status.
    mine = login(client, org.a.cm).get(reverse("assessment:appeals"))
    assert [(a.pk, a.status) for a in mine.context["page"].object_list] == [
        (appeal.pk, AppealStatus.ACCEPTED)
    ]


def test_appeal_in_draft_is_refused_with_message(client, org):
    inspection = deduct(org.a.dept_supervisor, org.a.cm)
    close()
    response = login(client, org.a.cm).post(
        reverse("assessment:appeal_file", args=[inspection.pk]), {"reason": "不服"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Appeal.objects.exists()


def test_appeal_by_another_manager_is_404(client, org):
    inspection = _in_review(org)
    response = login(client, org.a.cm2).post(
        reverse("assessment:appeal_file", args=[inspection.pk]), {"reason": "不服"}
    )
    assert response.status_code == 404
    assert not Appeal.objects.exists()


def test_level_two_appeal_is_decided_by_level_one_only(client, org):
    inspection = deduct(org.a.center_supervisor, org.a.cm)
    close()
    services.month_start_review(month=MONTH)
    appeal = services.appeal_file(inspection=inspection, user=org.a.cm, reason="不服")
    queue = login(client, org.a.center_supervisor).get(reverse("assessment:appeals"))
    assert list(queue.context["page"].object_list) == []
    decide = reverse("assessment:appeal_decide", args=[appeal.pk])
    assert client.post(decide, {"decision": "reject", "reason": "x"}).status_code == 404
    response = login(client, org.assessor).post(
        decide, {"decision": "reject", "reason": "证据充分"}
    )
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decision_reason) == (AppealStatus.REJECTED, "证据充分")


# --- months -----------------------------------------------------------------------------------


def test_months_page_transitions(client, org):
    login(client, org.assessor)
    url = reverse("assessment:months")
    month = MONTH.isoformat()
    assert client.post(url, {"action": "close", "month": month}).status_code == 302
    assessment = AssessmentMonth.objects.get(month=MONTH)
    assert assessment.state == MonthState.DRAFT
    assert assessment.scores.count() == 4  # the four customer managers of the org
    client.post(url, {"action": "review", "month": month})
    assessment.refresh_from_db()
    assert assessment.state == MonthState.REVIEW
    # The appeal window is over (review opened 5 × 24 h and a second ago).
    AssessmentMonth.objects.filter(pk=assessment.pk).update(
        review_from=timezone.now() - timedelta(days=5, seconds=1)
    )

    inspection = Inspection.objects.create(
        manager=org.a.cm,
        inspector=org.a.dept_supervisor,
        level=3,
        inspected_on=TODAY,
        month=MONTH,
        item_code="visits",
        points=Decimal(1),
        reason="r",
    )
    Appeal.objects.create(**Appeal.target_fields(inspection=inspection), reason="不服")
    response = client.post(url, {"action": "publish", "month": month, "confirm": "1"}, follow=True)
    assessment.refresh_from_db()
    assert assessment.state == MonthState.REVIEW
    assert any("pending" in str(m) or "待" in str(m) for m in response.context["messages"])

    Appeal.objects.update(status=AppealStatus.REJECTED, decision_reason="x")
    client.post(url, {"action": "publish", "month": month, "confirm": "1"})
    assessment.refresh_from_db()
    assert assessment.state == MonthState.PUBLISHED
    assert assessment.published_by == org.assessor
    # A published month cannot be recomputed.
    response = client.post(url, {"action": "close", "month": month}, follow=True)
    assert response.status_code == 200
    assessment.refresh_from_db()
    assert assessment.state == MonthState.PUBLISHED
    page = client.get(url)
    assert [row.month for row in page.context["rows"]] == [MONTH]


def test_months_page_only_for_assessment_center_and_admin(client, org):
    for user in (org.a.center_supervisor, org.hr, org.a.cm):
        assert login(client, user).get(reverse("assessment:months")).status_code == 404
    assert login(client, org.admin).get(reverse("assessment:months")).status_code == 200


# --- ranking ----------------------------------------------------------------------------------


def test_ranking_scoped_and_sorted(client, org):
    deduct(org.a.dept_supervisor, org.a.cm, points="5")
    deduct(org.a.dept_supervisor, org.a.cm2, points="1")
    close()
    response = login(client, org.a.center_supervisor).get(reverse("assessment:ranking"))
    rows = response.context["rows"]
    assert [(r.manager, r.total) for r in rows] == [
        (org.a.cm2, Decimal("89.00")),  # 90 with no data, − 1
        (org.a.cm, Decimal("85.00")),
    ]
    assert len(response.context["columns"]) == 7
    response = client.get(reverse("assessment:ranking") + "?sort=total")
    assert [r.manager for r in response.context["rows"]] == [org.a.cm, org.a.cm2]
    response = login(client, org.hr).get(
        reverse("assessment:ranking") + f"?org_unit={org.b.center.pk}"
    )
    assert {r.manager for r in response.context["rows"]} == {org.b.cm, org.b.cm2}
    assert login(client, org.a.cm).get(reverse("assessment:ranking")).status_code == 404


def _more_managers(org, n):
    for i in range(n):
        manager = UserFactory(
            employee_no=f"3A{i:03d}",
            name=f"经理{i}",
            role=Role.CUSTOMER_MANAGER,
            org_unit=org.a.department,
        )
        TerritoryFactory(
            code=f"T-X{i}", name=f"片区{i}", department=org.a.department, manager=manager
        )
        deduct(org.a.dept_supervisor, manager)


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", ["assessment:ranking", "assessment:inspections"])
def test_list_queries_are_bounded(client, org, name):
    login(client, org.assessor)
    deduct(org.a.dept_supervisor, org.a.cm)
    close()
    small = _count(client, reverse(name))
    AssessmentMonth.objects.filter(month=MONTH).delete()
    _more_managers(org, 6)
    close()
    assert ManagerScore.objects.count() == 10
    assert _count(client, reverse(name)) == small
