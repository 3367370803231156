"""The audit trail: django-auditlog records who, when, before → after; the page is scoped."""

from datetime import date

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone, translation

from assessment import services
from assessment.models import Appeal, AssessmentMonth, Inspection

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)


def entries(obj):
    return list(LogEntry.objects.get_for_object(obj).order_by("timestamp", "pk"))


def test_inspection_create_records_actor(client, org):
    client.force_login(org.a.dept_supervisor)
    client.post(
        reverse("assessment:inspect"),
        {
            "kind": "inspection",
            "manager": org.a.cm.pk,
            "inspected_on": TODAY.isoformat(),
            "item_code": "visits",
            "points": "2",
            "reason": "走访不实",
        },
    )
    inspection = Inspection.objects.get()
    [entry] = entries(inspection)
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == org.a.dept_supervisor
    assert entry.changes_dict["reason"] == ["None", "走访不实"]
    assert entry.changes_dict["points"][1] == "2"


def test_appeal_decision_and_month_state_record_before_after(client, org):
    client.force_login(org.a.dept_supervisor)
    inspection = services.inspection_record(
        inspector=org.a.dept_supervisor,
        manager_id=org.a.cm.pk,
        inspected_on=TODAY,
        item_code="visits",
        points=2,
        reason="r",
    )
    client.force_login(org.assessor)
    url = reverse("assessment:months")
    client.post(url, {"action": "close", "month": MONTH.isoformat()})
    client.post(url, {"action": "review", "month": MONTH.isoformat()})
    month = AssessmentMonth.objects.get(month=MONTH)
    state_changes = [(e.action, e.actor, e.changes_dict.get("state")) for e in entries(month)]
    assert (LogEntry.Action.CREATE, org.assessor, ["None", "draft"]) in state_changes
    assert state_changes[-1] == (LogEntry.Action.UPDATE, org.assessor, ["draft", "review"])

    appeal = services.appeal_file(inspection=inspection, user=org.a.cm, reason="不服")
    client.force_login(org.a.center_supervisor)
    client.post(
        reverse("assessment:appeal_decide", args=[appeal.pk]),
        {"decision": "reject", "reason": "证据充分"},
    )
    update = entries(Appeal.objects.get())[-1]
    assert update.action == LogEntry.Action.UPDATE
    assert update.actor == org.a.center_supervisor
    assert update.changes_dict["status"] == ["pending", "rejected"]
    assert update.changes_dict["decision_reason"] == ["", "证据充分"]


def test_audit_page_lists_and_filters_entries(client, org):
    client.force_login(org.assessor)
    client.post(reverse("assessment:months"), {"action": "close", "month": MONTH.isoformat()})
    response = client.get(reverse("assessment:audit"))
    assert response.status_code == 200
    rows = [row.entry for row in response.context["page"].object_list]
    assert rows and all(e.content_type.app_label in {"assessment", "retailers"} for e in rows)
    assert any(e.actor == org.assessor for e in rows)
    month_type = next(e.content_type_id for e in rows if e.content_type.model == "assessmentmonth")
    response = client.get(reverse("assessment:audit") + f"?model={month_type}")
    assert {r.entry.content_type_id for r in response.context["page"].object_list} == {month_type}
    response = client.get(reverse("assessment:audit") + f"?date_to={date(2001, 1, 1)}")
    assert response.context["page"].paginator.count == 0


def test_audit_page_only_for_admin_and_assessment_center(client, org):
    for user in (org.a.center_supervisor, org.hr, org.a.cm, org.a.dept_supervisor):
        client.force_login(user)
        assert client.get(reverse("assessment:audit")).status_code == 404
    client.force_login(org.admin)
    assert client.get(reverse("assessment:audit")).status_code == 200


def test_audit_rows_read_as_names_not_codes_or_ids(org):
    from assessment.audit import audit_rows
    from reports.models import TierProposal

    proposal = TierProposal.objects.create(
        quarter_start=date(2026, 7, 1),
        manager=org.a.cm,
        current_tier="three_star",
        proposed_tier="four_star",
        reasons={"average": "91.50", "text": ["季度平均分 91.50 ≥ 90"]},
    )
    with translation.override("zh-hans"):
        [row] = audit_rows(entries(proposal))
    assert row.record == "A经理一 三星 → 四星"  # was "<manager id> three_star → four_star"
    changes = {change.label: change.after for change in row.changes}
    assert "ID" not in changes and "id" not in changes
    assert changes["客户经理"] == "A经理一"
    assert changes["建议等级"] == "四星"
    assert "季度平均分 91.50 ≥ 90" in changes.values()  # the reasons' sentences, not JSON
