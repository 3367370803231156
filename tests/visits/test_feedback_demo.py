"""Demo information, complaints, surveys and work plans: every case present, deterministic."""

import random
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from accounts.models import Role
from tests.factories import BrandFactory, RetailerFactory, TerritoryFactory, UserFactory
from visits.demo import feedback as demo
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
from visits.selectors.feedback import complaint_overdue_q, local_datetime, work_plan_counts

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 20)


@pytest.fixture
def ctx(org):
    territories = [org.a.territory, org.a.territory2, org.b.territory, org.b.territory2]
    for _n in range(2):  # six territories, so every fixed complaint case is seeded
        manager = UserFactory(role=Role.CUSTOMER_MANAGER, org_unit=org.a.department)
        territories.append(TerritoryFactory(department=org.a.department, manager=manager))
    retailers = [RetailerFactory(territory=t) for t in territories for _ in range(10)]
    return SimpleNamespace(
        rng=random.Random(5),
        today=TODAY,
        company=org.company,
        centers=[org.a.center, org.b.center],
        departments=[org.a.department, org.b.department],
        territories=territories,
        managers=[t.manager for t in territories],
        logins={
            Role.SERVICE_DEPT_SUPERVISOR: [org.a.dept_supervisor, org.b.dept_supervisor],
            Role.MARKETING_CENTER_SUPERVISOR: [org.a.center_supervisor, org.b.center_supervisor],
            Role.ASSESSMENT_CENTER: [org.assessor],
        },
        retailers=retailers,
        brands=[BrandFactory(name="南京（炫赫门）"), BrandFactory(name="中华（硬）")],
    )


def snapshot():
    return (
        list(
            InformationItem.objects.order_by("client_id").values_list(
                "kind", "content", "reported_at", "validity", "lead_status", "client_id"
            )
        ),
        list(
            Complaint.objects.order_by("client_id").values_list(
                "status", "opened_at", "resolved_at", "substantiated", "client_id"
            )
        ),
        sorted(SatisfactionSurvey.objects.values_list("retailer_id", "score", "surveyed_on")),
        sorted(WorkPlan.objects.values_list("manager_id", "kind", "period_start", "submitted_at")),
    )


def test_demo_covers_every_case(ctx):
    demo.seed(ctx)
    midnight = local_datetime(TODAY)

    items = InformationItem.objects.all()
    assert set(items.values_list("kind", flat=True)) == set(InfoType.values)
    assert set(items.values_list("validity", flat=True)) == set(Validity.values)
    assert {LeadStatus.FOLLOWING, LeadStatus.WON} <= set(
        items.values_list("lead_status", flat=True)
    )
    assert items.filter(reported_at__gte=midnight).count() == 0
    for item in items.filter(validity=Validity.VALID)[:20]:
        item.full_clean()

    complaints = Complaint.objects.all()
    assert set(complaints.values_list("status", flat=True)) == set(ComplaintStatus.values)
    assert complaints.filter(complaint_overdue_q(midnight)).exists()
    assert set(complaints.filter(status="closed").values_list("substantiated", flat=True)) == {
        True,
        False,
    }
    for complaint in complaints:
        complaint.full_clean()
        assert complaint.resolve_by - complaint.opened_at == timedelta(hours=72)

    active = sum(1 for r in ctx.retailers if r.status == "active")
    assert SatisfactionSurvey.objects.count() == round(active * 0.2)

    # Five weekly plans and three monthly (last, this and next month) per manager.
    per_kind = {kind: WorkPlan.objects.filter(kind=kind).count() for kind in WorkPlanKind.values}
    assert per_kind == {"weekly": 5 * 6, "monthly": 3 * 6}
    counts = work_plan_counts(month=date(2026, 11, 1), closed_at=midnight)
    assert sum(c["late"] for c in counts.values()) + sum(c["missing"] for c in counts.values()) > 0


def test_demo_is_deterministic(ctx):
    demo.seed(ctx)
    first = snapshot()
    for model in (InformationItem, Complaint, SatisfactionSurvey, WorkPlan):
        model.objects.all().delete()
    ctx.rng = random.Random(5)
    demo.seed(ctx)
    assert snapshot() == first
