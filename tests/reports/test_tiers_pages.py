"""The tier review page (admins) and the tier history page, through HTTP."""

from datetime import date

import pytest
from django.urls import reverse

from assessment.models import MonthState
from reports.models import ManagerTier, ProposalStatus, Tier, TierProposal
from reports.services.tiers import tiers_review
from tests.reports.test_tiers_services import MONTHS, Q3, publish, quarter  # noqa: F401


def login(client, user):
    client.force_login(user)
    return client


REVIEW = "/tiers/review/?quarter=2026-Q3"


@pytest.mark.parametrize("who", ["hr", "assessor", "a.dept_supervisor", "a.cm"])
def test_review_page_is_404_for_non_admins(client, quarter, org, who):  # noqa: F811
    user = org
    for part in who.split("."):
        user = getattr(user, part)
    login(client, user)
    assert client.get(reverse("reports:tier_review")).status_code == 404
    assert client.post(reverse("reports:tier_review"), {"quarter": "2026-Q3"}).status_code == 404
    assert not TierProposal.objects.exists()
    tiers_review(quarter_start=Q3)
    proposal = TierProposal.objects.first()
    response = client.post(
        reverse("reports:tier_decide", args=[proposal.pk]), {"decision": "approve"}
    )
    assert response.status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PROPOSED


def test_admin_runs_the_review_and_decides(client, quarter, org):  # noqa: F811
    login(client, org.admin)
    page = client.get(REVIEW)
    assert page.status_code == 200
    assert "2026-Q3" in page.content.decode()
    response = client.post(reverse("reports:tier_review"), {"quarter": "2026-Q3"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"?company={org.company.pk}&quarter=2026-Q3")
    assert TierProposal.objects.count() == 3
    html = client.get(REVIEW).content.decode()
    assert org.a.cm.name in html
    assert "晋一级：二星 → 三星" in html

    proposal = TierProposal.objects.get(manager=org.a.cm)
    client.post(
        reverse("reports:tier_decide", args=[proposal.pk]),
        {"decision": "approve", "note": "同意晋级"},
    )
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_note) == (ProposalStatus.APPROVED, "同意晋级")
    assert ManagerTier.objects.filter(manager=org.a.cm, tier=Tier.THREE).exists()

    other = TierProposal.objects.get(manager=org.a.cm2)
    client.post(reverse("reports:tier_decide", args=[other.pk]), {"decision": "reject"})
    other.refresh_from_db()
    assert other.status == ProposalStatus.REJECTED
    assert not ManagerTier.objects.filter(manager=org.a.cm2, tier=Tier.TWO).exists()


def test_review_with_an_unpublished_month_shows_the_error(client, org):
    publish(MONTHS[:2])
    publish(MONTHS[2:], state=MonthState.REVIEW)
    login(client, org.admin)
    response = client.post(reverse("reports:tier_review"), {"quarter": "2026-Q3"}, follow=True)
    assert "2026-09" in response.content.decode()
    assert not TierProposal.objects.exists()


def test_manager_sees_own_history_only(client, org):
    ManagerTier.objects.create(
        manager=org.a.cm, tier=Tier.TWO, effective_from=date(2025, 1, 1), reason="初始定级"
    )
    TierProposal.objects.create(
        quarter_start=Q3,
        manager=org.a.cm,
        current_tier=Tier.TWO,
        proposed_tier=Tier.THREE,
        reasons={"text": ["待审批的建议"]},
    )
    login(client, org.a.cm)
    url = reverse("reports:tier_history")
    html = client.get(url).content.decode()
    assert "初始定级" in html
    assert "待审批的建议" not in html  # a pending proposal is not shown to the manager
    assert client.get(url, {"manager": org.a.cm.pk}).status_code == 200
    assert client.get(url, {"manager": org.a.cm2.pk}).status_code == 404
    assert client.get(url, {"manager": "x"}).status_code == 404


def test_supervisor_sees_subtree_only(client, org):
    ManagerTier.objects.create(
        manager=org.a.cm2, tier=Tier.FOUR, effective_from=date(2025, 1, 1), reason="四星定级"
    )
    url = reverse("reports:tier_history")
    for user in (org.a.dept_supervisor, org.a.center_supervisor, org.hr, org.admin):
        login(client, user)
        response = client.get(url, {"manager": org.a.cm2.pk})
        assert response.status_code == 200, user
        assert "四星定级" in response.content.decode()
    login(client, org.b.dept_supervisor)
    assert client.get(url, {"manager": org.a.cm2.pk}).status_code == 404
    assert client.get(url).status_code == 200
