"""The quarterly tier review against the database: inputs, proposals, decisions, command."""

from datetime import date, datetime
from decimal import Decimal as D
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import OrgUnit
from assessment.models import AssessmentMonth, ManagerScore, MonthState
from reports.models import ManagerTier, ProposalStatus, Tier, TierProposal
from reports.selectors.tiers import review_inputs
from reports.services.tiers import proposal_decide, tier_set, tiers_review
from reports.tasks import review_tiers_task
from tests.factories import RetailerFactory, TerritoryFactory, UserFactory
from visits.models import SatisfactionSurvey, SurveyChannel

TZ = ZoneInfo("Asia/Shanghai")
Q3 = date(2026, 7, 1)
MONTHS = [date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)]


def publish(months=MONTHS, state=MonthState.PUBLISHED):
    company = OrgUnit.objects.sole_company()
    return {
        m: AssessmentMonth.objects.create(company=company, month=m, state=state) for m in months
    }


def score(assessment, manager, total, boxes="0", target=None):
    return ManagerScore.objects.create(
        assessment=assessment,
        manager=manager,
        territory=getattr(manager, "territory", None),
        bonus_raw=D(0),
        bonus=D(0),
        total=D(total),
        sales_boxes=D(boxes),
        sales_target_boxes=None if target is None else D(target),
    )


def survey(territory, day, value, recorded_by):
    return SatisfactionSurvey.objects.create(
        retailer=RetailerFactory(territory=territory),
        score=value,
        surveyed_on=day,
        channel=SurveyChannel.PHONE,
        recorded_by=recorded_by,
    )


def set_tier(manager, tier, start=date(2025, 1, 1)):
    return ManagerTier.objects.create(manager=manager, tier=tier, effective_from=start)


@pytest.fixture
def quarter(org):
    """Q3 2026 published. A1 (二星) promotes; A2 (三星) demotes on one month < 60;
    B1 (一星) is flagged for training; B2 (四星) stays (sales 90 %)."""
    months = publish()
    a1, a2, b1, b2 = org.a.cm, org.a.cm2, org.b.cm, org.b.cm2
    for manager in (a1, a2, b1, b2):
        manager.hire_date = date(2020, 1, 1)
        manager.save()
    set_tier(a1, Tier.TWO)
    set_tier(a2, Tier.THREE)
    set_tier(b1, Tier.ONE)
    set_tier(b2, Tier.FOUR)
    set_tier(a1, Tier.ONE, start=date(2026, 10, 1))  # not yet in force in Q3
    for month, assessment in months.items():
        score(assessment, a1, "92", boxes="40", target="30" if month.month != 8 else None)
        score(assessment, a2, {7: "100", 8: "100", 9: "59"}[month.month])
        score(assessment, b1, "70")
        score(assessment, b2, "95", boxes="90", target="100")
    # A1's territory: answers 5 and 4 in the quarter (4.5); one in June does not count.
    survey(org.a.territory, date(2026, 7, 3), 5, org.admin)
    survey(org.a.territory, date(2026, 9, 30), 4, org.admin)
    survey(org.a.territory, date(2026, 6, 30), 1, org.admin)
    return months


def test_inputs_gathered_set_wise(quarter, org):
    with CaptureQueriesContext(connection) as ctx:
        inputs = review_inputs(Q3, org.company)
    assert len(ctx.captured_queries) == 4
    a1 = inputs[org.a.cm.pk]
    assert a1.current_tier == Tier.TWO
    assert a1.monthly_totals == (D("92"), D("92"), D("92"))
    # August has no target: Σ actual / Σ target over July and September = 80 / 60
    assert (a1.sales_actual, a1.sales_target) == (D("80"), D("60"))
    assert a1.satisfaction_mean == D("4.5")
    assert inputs[org.b.cm.pk].satisfaction_mean is None
    assert a1.quarter_end == date(2026, 9, 30)


def test_query_count_does_not_grow_with_managers(quarter, org):
    for i in range(5):
        manager = UserFactory(role=org.a.cm.role, org_unit=org.a.department)
        TerritoryFactory(code=f"T-X{i}", department=org.a.department, manager=manager)
        for assessment in quarter.values():
            score(assessment, manager, "80")
    with CaptureQueriesContext(connection) as ctx:
        inputs = review_inputs(Q3, org.company)
    assert len(inputs) == 9
    assert len(ctx.captured_queries) == 4


def test_manager_without_a_tier_gets_the_default(quarter, org):
    ManagerTier.objects.filter(manager=org.b.cm2).delete()
    org.b.cm2.hire_date = date(2025, 12, 1)  # probation until 2026-12-01
    org.b.cm2.save()
    ManagerTier.objects.filter(manager=org.b.cm).delete()
    org.b.cm.hire_date = None
    org.b.cm.save()
    inputs = review_inputs(Q3, org.company)
    assert inputs[org.b.cm2.pk].current_tier == Tier.PROBATION
    assert inputs[org.b.cm.pk].current_tier == Tier.ONE


def test_review_refuses_when_a_month_is_unpublished(org):
    publish([MONTHS[0]])
    publish([MONTHS[1]], state=MonthState.REVIEW)
    with pytest.raises(ValidationError) as exc:
        tiers_review(quarter_start=Q3)
    assert "2026-08, 2026-09" in exc.value.messages[0]
    assert not TierProposal.objects.exists()


def test_review_refuses_a_date_that_is_not_a_quarter(org):
    with pytest.raises(ValidationError):
        tiers_review(quarter_start=date(2026, 8, 1))


def test_proposals_only_for_changes_and_flags(quarter, org):
    result = tiers_review(quarter_start=Q3)
    assert result == {
        "quarter": "2026-Q3",
        "company": "C0",
        "managers": 4,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
        "decided": 0,
    }
    rows = {p.manager_id: p for p in TierProposal.objects.all()}
    assert set(rows) == {org.a.cm.pk, org.a.cm2.pk, org.b.cm.pk}
    a1 = rows[org.a.cm.pk]
    assert (a1.current_tier, a1.proposed_tier, a1.flag) == (Tier.TWO, Tier.THREE, "")
    assert a1.reasons["average"] == "92.00"
    assert a1.reasons["sales_completion"] == "1.3333"
    assert (rows[org.a.cm2.pk].proposed_tier, rows[org.a.cm2.pk].flag) == (Tier.TWO, "")
    assert (rows[org.b.cm.pk].proposed_tier, rows[org.b.cm.pk].flag) == (Tier.ONE, "training")
    assert all(p.status == ProposalStatus.PROPOSED for p in rows.values())


def test_review_is_idempotent_and_leaves_decided_alone(quarter, org):
    tiers_review(quarter_start=Q3)
    again = tiers_review(quarter_start=Q3)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert TierProposal.objects.count() == 3

    rejected = TierProposal.objects.get(manager=org.a.cm2)
    proposal_decide(proposal=rejected, user=org.admin, approve=False, note="复核后不降级")
    # A1's September total is corrected: average (92 + 92 + 80) / 3 = 88 → no change.
    ManagerScore.objects.filter(manager=org.a.cm, assessment__month=MONTHS[2]).update(total=80)
    # B1 now has a month below 60 on top: still training, reasons change.
    ManagerScore.objects.filter(manager=org.b.cm, assessment__month=MONTHS[0]).update(total=50)
    third = tiers_review(quarter_start=Q3)
    assert (third["removed"], third["updated"], third["decided"]) == (1, 1, 1)
    assert not TierProposal.objects.filter(manager=org.a.cm).exists()
    b1 = TierProposal.objects.get(manager=org.b.cm)
    assert b1.reasons["lowest_month"] == "50.00"
    rejected.refresh_from_db()
    assert rejected.status == ProposalStatus.REJECTED
    assert rejected.decision_note == "复核后不降级"


def test_approve_records_the_tier_from_next_month(quarter, org):
    tiers_review(quarter_start=Q3)
    proposal = TierProposal.objects.get(manager=org.a.cm2)
    # 2026-10-31 23:30 in Shanghai: the change takes effect from 2026-11-01.
    now = datetime(2026, 10, 31, 23, 30, tzinfo=TZ)
    proposal_decide(proposal=proposal, user=org.admin, approve=True, note="同意", now=now)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED
    assert proposal.decided_by == org.admin
    assert proposal.decided_at == now
    row = ManagerTier.objects.get(manager=org.a.cm2, effective_from=date(2026, 11, 1))
    assert row.tier == Tier.TWO
    assert row.created_by == org.admin
    assert "三星 → 二星" in row.reason
    # History is kept: the earlier tier is still on record.
    assert list(ManagerTier.objects.filter(manager=org.a.cm2).values_list("tier", flat=True)) == [
        Tier.TWO,
        Tier.THREE,
    ]
    with pytest.raises(ValidationError):
        proposal_decide(proposal=proposal, user=org.admin, approve=False)


def test_approve_is_audited(quarter, org):
    from auditlog.models import LogEntry

    tiers_review(quarter_start=Q3)
    proposal = TierProposal.objects.get(manager=org.a.cm2)
    proposal_decide(proposal=proposal, user=org.admin, approve=True)
    audited = {entry.content_type.model for entry in LogEntry.objects.all()}
    assert {"tierproposal", "managertier"} <= audited


def test_reject_records_no_tier(quarter, org):
    tiers_review(quarter_start=Q3)
    proposal = TierProposal.objects.get(manager=org.a.cm)
    before = ManagerTier.objects.count()
    proposal_decide(proposal=proposal, user=org.admin, approve=False, note="销量待核实")
    assert ManagerTier.objects.count() == before
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED


def test_approving_a_flag_alone_records_no_tier(quarter, org):
    tiers_review(quarter_start=Q3)
    before = ManagerTier.objects.count()
    proposal = TierProposal.objects.get(manager=org.b.cm)
    proposal_decide(proposal=proposal, user=org.admin, approve=True)
    assert ManagerTier.objects.count() == before


@pytest.mark.parametrize("who", ["hr", "assessor"])
def test_only_admins_decide(quarter, org, who):
    tiers_review(quarter_start=Q3)
    proposal = TierProposal.objects.get(manager=org.a.cm)
    with pytest.raises(PermissionDenied):
        proposal_decide(proposal=proposal, user=getattr(org, who), approve=True)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PROPOSED


def test_tier_set(org):
    row = tier_set(
        manager=org.a.cm,
        tier=Tier.TWO,
        effective_from=date(2026, 1, 1),
        user=org.admin,
        reason="初始定级",
    )
    assert (row.tier, row.created_by, row.reason) == (Tier.TWO, org.admin, "初始定级")
    with pytest.raises(ValidationError):
        tier_set(
            manager=org.a.cm,
            tier=Tier.TWO,
            effective_from=date(2026, 1, 2),
            user=org.admin,
            reason="x",
        )
    with pytest.raises(ValidationError):
        tier_set(
            manager=org.hr,
            tier=Tier.TWO,
            effective_from=date(2026, 1, 1),
            user=org.admin,
            reason="x",
        )
    with pytest.raises(PermissionDenied):
        tier_set(
            manager=org.a.cm,
            tier=Tier.TWO,
            effective_from=date(2026, 1, 1),
            user=org.a.dept_supervisor,
            reason="x",
        )


def test_command_prints_the_proposals(quarter, org):
    out = StringIO()
    call_command("review_tiers", "2026-Q3", stdout=out)
    text = out.getvalue()
    assert "2026-Q3" in text
    assert org.a.cm.employee_no in text
    assert "three_star" in text or "三星" in text or "Three stars" in text
    assert TierProposal.objects.count() == 3


def test_command_errors(org):
    with pytest.raises(CommandError):
        call_command("review_tiers", "2026-Q7")
    with pytest.raises(CommandError, match="2026-07"):
        call_command("review_tiers", "2026-Q3")


def test_task_reviews_the_last_complete_quarter(quarter, org, celery_eager, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 10, 9))
    [result] = review_tiers_task.delay().get()  # one city company
    assert (result["quarter"], result["company"]) == ("2026-Q3", "C0")
    assert result["created"] == 3
    assert review_tiers_task.delay("2026-Q2").get()[0]["skipped"]
