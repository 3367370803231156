"""Supervisor pages read as people read: item names not codes, distinct field ids, 30 %,
and an audit trail with labels, names, local time and verbs."""

import re
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from assessment import services
from assessment.models import AssessmentMonth, Inspection

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def deduct(org, item="info"):
    return services.inspection_record(
        inspector=org.a.dept_supervisor,
        manager_id=org.a.cm.pk,
        inspected_on=TODAY,
        item_code=item,
        points=Decimal("2"),
        reason="信息未报",
    )


def test_item_names_not_codes_on_lists_appeals_and_recent(client, org):
    inspection = deduct(org)
    client.force_login(org.a.dept_supervisor)
    for url in (reverse("assessment:inspections"), reverse("assessment:inspect")):
        body = client.get(url).content.decode()
        assert "A经理一 · 信息反馈" in body or "<td>信息反馈</td>" in body
        assert "<td>info</td>" not in body and "· info ·" not in body
    services.month_close(month=MONTH)
    AssessmentMonth.objects.filter(month=MONTH).update(state="review", review_from=timezone.now())
    client.force_login(org.a.cm)
    assert (
        "信息反馈"
        in client.get(reverse("assessment:appeal_file", args=[inspection.pk])).content.decode()
    )
    services.appeal_file(inspection=inspection, user=org.a.cm, reason="已报")
    body = client.get(reverse("assessment:appeals")).content.decode()
    assert "· 信息反馈 ·" in body and "· info ·" not in body


def test_inspection_page_ids_are_unique(client, org):
    client.force_login(org.a.dept_supervisor)
    body = client.get(reverse("assessment:inspect")).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', body))
    assert [name for name, n in ids.items() if n > 1] == []
    assert {"id_manager", "id_bonus_manager", "id_reason", "id_bonus_reason"} <= set(ids)
    # The bonus form still posts its usual field names.
    response = client.post(
        reverse("assessment:inspect"),
        {
            "kind": "bonus",
            "manager": org.a.cm.pk,
            "day": TODAY.isoformat(),
            "points": "1",
            "reason": "好人好事",
        },
    )
    assert response.status_code == 302


def test_coverage_minimums_read_as_percentages(client, org):
    client.force_login(org.a.center_supervisor)
    body = client.get(reverse("assessment:coverage"), **EN).content.decode()
    assert "at least 30% of the center's managers" in body
    assert "at least 10% of the company's managers" in body
    assert "0.30" not in body


def test_audit_rows_read_as_a_person_would(client, org):
    inspection = deduct(org)
    entry = LogEntry.objects.get_for_object(inspection).get()
    LogEntry.objects.filter(pk=entry.pk).update(timestamp=datetime(2026, 11, 3, 1, 30, tzinfo=UTC))
    inspection.points = Decimal("3")
    inspection.save()
    client.force_login(org.assessor)
    body = client.get(reverse("assessment:audit"), **EN).content.decode()
    rows = body.split('class="audit-entry"')[1:]
    created = next(row for row in rows if "2026-11-03" in row)
    assert "2026-11-03 09:30:00" in created  # 01:30 UTC is 09:30 in Shanghai
    assert "<td>Created</td>" in created
    assert "<strong>Manager</strong>" in created and "A经理一" in created
    assert "<strong>Inspector</strong>" in created and "A市场部督察" in created
    assert "<strong>Item</strong>" in created and "信息反馈" in created
    assert "<strong>item_code</strong>" not in created and "<strong>manager</strong>" not in created
    assert any("<td>Changed</td>" in row and "<strong>Deduction</strong>" in row for row in rows)
    assert Inspection.objects.count() == 1
