"""The leader (领导, DOMAIN.md §1): reads their subtree, sees no pay or audit, writes nothing.

Leaders sit at center A's department (``420111``), at center A (``410101``) and at the
company (``400001``). The rows: in each center a retailer, a visit with a photo, its
information and complaint, a lead, another complaint, scores of a closed month in review
with a deduction, a bonus point and an appeal; a pay run with an export job, a tier and a
tier proposal. The write tests compare every row of the project's tables before and after.
"""

import io
import re
import uuid
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from accounts import services as accounts_services
from accounts.models import OrgKind, Role
from accounts.selectors import scope_summary_for
from assessment import services as assessment_services
from assessment.models import BonusPoint, ManagerScore
from config.urls import router
from reports.models import ExportJob, ExportStatus, PayLine, Tier, TierProposal
from reports.services import exports as export_services
from reports.services import pay as pay_services
from reports.services import tiers as tier_services
from retailers import services as retailer_services
from retailers.models import add_months
from tests.factories import (
    OrgUnitFactory,
    RetailerFactory,
    TerritoryFactory,
    UserFactory,
)
from tests.reports.test_export_sheet import make_run
from tests.visits.test_rates_counts import build_case
from visits.models import (
    Complaint,
    InformationItem,
    InfoType,
    SatisfactionSurvey,
    SurveyChannel,
    VisitPlan,
    WorkPlan,
)
from visits.services import feedback as feedback_services
from visits.services import plans as plan_services
from visits.services import visits as visit_services
from visits.services.rates import shelf_rates_refresh

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)
PROJECT_APPS = ("accounts", "retailers", "visits", "assessment", "reports", "health")


def image_file():
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(buffer, "PNG")
    return SimpleUploadedFile("shelf.png", buffer.getvalue(), content_type="image/png")


def _visit(manager, shop, label):
    now = timezone.now()
    visit, created = visit_services.visit_submit(
        user=manager,
        data=visit_services.VisitInput(
            client_id=uuid.uuid4(),
            retailer_id=shop.pk,
            checked_in_at=now - timedelta(minutes=30),
            checked_out_at=now - timedelta(minutes=10),
            latitude=shop.latitude,
            longitude=shop.longitude,
            accuracy_m=10,
            notes=f"{label}走访",
            information=[visit_services.InfoLine(kind=InfoType.PRICE, content=f"{label}价格偏高")],
            complaint=f"{label}走访投诉",
        ),
    )
    assert created
    visit_services.visit_photo_add(
        visit=visit, user=manager, client_id=uuid.uuid4(), image=image_file()
    )
    return visit


@pytest.fixture
def leaders(org):
    return SimpleNamespace(
        department=UserFactory(
            employee_no="420111", name="甲部经理", role=Role.LEADER, org_unit=org.a.department
        ),
        center=UserFactory(
            employee_no="410101", name="甲中心主任", role=Role.LEADER, org_unit=org.a.center
        ),
        company=UserFactory(
            employee_no="400001", name="市公司领导", role=Role.LEADER, org_unit=org.company
        ),
    )


@pytest.fixture
def world(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = SimpleNamespace()
    w.shop_a = RetailerFactory(
        territory=org.a.territory, shop_name="甲一便利店", license_no="329901000001", abc_class="A"
    )
    w.shop_b = RetailerFactory(
        territory=org.b.territory, shop_name="乙一食杂店", license_no="329902000001", abc_class="A"
    )
    w.visit_a = _visit(org.a.cm, w.shop_a, "甲")
    w.visit_b = _visit(org.b.cm, w.shop_b, "乙")
    w.lead_a = feedback_services.info_report(
        user=org.a.cm, kind=InfoType.GROUP, content="甲团购线索", retailer=w.shop_a
    )
    w.lead_b = feedback_services.info_report(
        user=org.b.cm, kind=InfoType.GROUP, content="乙团购线索", retailer=w.shop_b
    )
    w.complaint_a = feedback_services.complaint_open(
        retailer=w.shop_a, user=org.a.cm, content="甲投诉：送货晚"
    )
    w.complaint_b = feedback_services.complaint_open(
        retailer=w.shop_b, user=org.b.cm, content="乙投诉：价格高"
    )
    w.survey_a = feedback_services.survey_record(
        retailer=w.shop_a,
        user=org.a.dept_supervisor,
        score=4,
        surveyed_on=TODAY,
        channel=SurveyChannel.SUPERVISOR,
        note="甲满意",
    )
    feedback_services.work_plans_generate(today=TODAY)
    w.work_plan = WorkPlan.objects.filter(manager=org.a.cm).order_by("pk").first()
    plan_services.plans_generate(month=add_months(MONTH, 1), today=TODAY)
    w.plan = VisitPlan.objects.filter(manager=org.a.cm).order_by("pk").first()
    w.inspection_a = assessment_services.inspection_record(
        inspector=org.a.dept_supervisor,
        manager_id=org.a.cm.pk,
        inspected_on=TODAY,
        item_code="visits",
        points=Decimal("2"),
        reason="甲走访记录不实",
    )
    w.inspection_b = assessment_services.inspection_record(
        inspector=org.b.dept_supervisor,
        manager_id=org.b.cm.pk,
        inspected_on=TODAY,
        item_code="visits",
        points=Decimal("3"),
        reason="乙未按线路走访",
    )
    w.bonus_a = assessment_services.bonus_grant(
        user=org.a.dept_supervisor,
        manager_id=org.a.cm.pk,
        day=TODAY,
        points=Decimal("1"),
        reason="甲表扬",
    )
    assessment_services.month_close(month=MONTH)
    assessment_services.month_start_review(month=MONTH, user=org.assessor)
    w.appeal_a = assessment_services.appeal_file(
        inspection=w.inspection_a, user=org.a.cm, reason="已按线路走访，有照片"
    )
    w.score_a = ManagerScore.objects.get(manager=org.a.cm, assessment__month=MONTH)
    w.score_b = ManagerScore.objects.get(manager=org.b.cm, assessment__month=MONTH)
    w.run = make_run(org)
    w.line = PayLine.objects.filter(run=w.run, manager=org.a.cm).get()
    w.job = ExportJob.objects.create(run=w.run, requested_by=org.hr, status=ExportStatus.DONE)
    w.tier = tier_services.tier_set(
        manager=org.a.cm, tier=Tier.THREE, effective_from=MONTH, user=org.admin, reason="初定"
    )
    w.proposal = TierProposal.objects.create(
        quarter_start=date(2026, 7, 1),
        manager=org.a.cm,
        current_tier=Tier.THREE,
        proposed_tier=Tier.FOUR,
    )
    assert w.plan is not None and w.work_plan is not None
    return w


def fingerprint():
    """Every row of every table of the project's apps (and the audit log)."""
    models = [m for label in PROJECT_APPS for m in apps.get_app_config(label).get_models()]
    models.append(apps.get_model("auditlog", "LogEntry"))
    return {
        model._meta.label: list(model.objects.order_by("pk").values_list())
        for model in models
        if not model._meta.proxy
    }


def login(client, user):
    client.force_login(user)
    return client


def api_for(user):
    api = APIClient()
    api.force_login(user)
    return api


def ids(response):
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


# --- Reads inside the subtree -----------------------------------------------------------------


def test_department_leader_reads_retailers_and_visits_of_their_department(
    client, org, leaders, world
):
    login(client, leaders.department)
    response = client.get(reverse("retailers:list"))
    assert [r.shop_name for r in response.context["page"].object_list] == ["甲一便利店"]
    card = client.get(reverse("retailers:detail", args=[world.shop_a.pk]))
    assert card.status_code == 200 and card.context["retailer"] == world.shop_a
    assert card.context["can_override"] is False
    assert client.get(reverse("retailers:detail", args=[world.shop_b.pk])).status_code == 404

    response = client.get(reverse("visits:list"))
    assert [v.pk for v in response.context["page"].object_list] == [world.visit_a.pk]
    detail = client.get(reverse("visits:detail", args=[world.visit_a.pk]))
    assert detail.status_code == 200 and detail.context["can_review"] is False
    photo = world.visit_a.photos.get()
    assert reverse("visits:photo", args=[photo.pk]) in detail.content.decode()
    assert client.get(reverse("visits:detail", args=[world.visit_b.pk])).status_code == 404

    export = client.get(reverse("retailers:register", args=[org.a.territory.pk]))
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert export.content[:2] == b"PK"
    assert client.get(reverse("retailers:register", args=[org.b.territory.pk])).status_code == 404

    api = api_for(leaders.department)
    assert ids(api.get("/api/v1/retailers/")) == {world.shop_a.pk}
    assert ids(api.get("/api/v1/visits/")) == {world.visit_a.pk}
    assert api.get(f"/api/v1/visits/{world.visit_b.pk}/").status_code == 404


def test_department_leader_reads_information_complaints_and_surveys(client, org, leaders, world):
    login(client, leaders.department)
    feed = client.get(reverse("visits:info_feed"))
    assert feed.context["can_review"] is False
    assert {i.content for i in feed.context["page"].object_list} == {"甲团购线索", "甲价格偏高"}
    detail = client.get(reverse("visits:info_detail", args=[world.lead_a.pk]))
    assert detail.status_code == 200
    assert (detail.context["can_review"], detail.context["can_follow_up"]) == (False, False)
    assert client.get(reverse("visits:info_detail", args=[world.lead_b.pk])).status_code == 404

    complaints = client.get(reverse("visits:complaints"))
    contents = {c.content for c in complaints.context["page"].object_list}
    assert contents == {"甲投诉：送货晚", "甲走访投诉"}
    assert complaints.context["can_open"] is False
    assert reverse("visits:complaint_new") not in complaints.content.decode()
    detail = client.get(reverse("visits:complaint_detail", args=[world.complaint_a.pk]))
    assert detail.status_code == 200 and detail.context["actions"] == {}
    assert (
        client.get(reverse("visits:complaint_detail", args=[world.complaint_b.pk])).status_code
        == 404
    )

    surveys = client.get(reverse("visits:surveys"))
    assert [s.note for s in surveys.context["page"].object_list] == ["甲满意"]
    assert surveys.context["form"] is None

    plans = client.get(reverse("visits:work_plans"))
    managers = {p.manager_id for p in plans.context["page"].object_list}
    assert managers == {org.a.cm.pk, org.a.cm2.pk}

    api = api_for(leaders.department)
    in_a = {"retailer__territory__department": org.a.department}
    assert ids(api.get("/api/v1/information/")) == set(
        InformationItem.objects.filter(**in_a).values_list("pk", flat=True)
    )
    assert len(ids(api.get("/api/v1/information/"))) == 2
    assert ids(api.get("/api/v1/complaints/")) == set(
        Complaint.objects.filter(**in_a).values_list("pk", flat=True)
    )
    assert world.complaint_a.pk in ids(api.get("/api/v1/complaints/"))
    assert api.get(f"/api/v1/complaints/{world.complaint_b.pk}/").status_code == 404


def test_department_leader_reads_ranking_scores_inspections_and_coverage(
    client, org, leaders, world
):
    login(client, leaders.department)
    ranking = client.get(reverse("assessment:ranking"), {"month": MONTH.isoformat()})
    assert ranking.status_code == 200
    rows = {row.manager_id: row for row in ranking.context["rows"]}
    assert set(rows) == {org.a.cm.pk, org.a.cm2.pk}
    assert rows[org.a.cm.pk].total == world.score_a.total
    assert rows[org.a.cm.pk].by_code["visits"].deductions == Decimal("2")
    assert rows[org.a.cm2.pk].by_code["visits"].deductions == Decimal("0")
    assert rows[org.a.cm.pk].bonus == Decimal("1")

    detail = client.get(reverse("assessment:score_detail", args=[world.score_a.pk]))
    assert detail.status_code == 200
    assert detail.context["own"] is False
    body = detail.content.decode()
    assert "甲走访记录不实" in body and "甲表扬" in body
    assert reverse("assessment:appeal_file", args=[world.inspection_a.pk]) not in body
    assert (
        client.get(reverse("assessment:score_detail", args=[world.score_b.pk])).status_code == 404
    )

    inspections = client.get(reverse("assessment:inspections"))
    assert [i.pk for i in inspections.context["page"].object_list] == [world.inspection_a.pk]

    coverage = client.get(reverse("assessment:coverage"), {"month": MONTH.isoformat()})
    report = coverage.context["report"]
    assert [d.unit for d in report.departments] == [org.a.department]
    # One level-3 inspection of one manager: 0 of 2 managers reach the minimum of 2.
    assert (report.departments[0].managers, report.departments[0].covered) == (2, 0)
    assert sorted(g.inspections for g in report.departments[0].gaps) == [0, 1]
    assert report.companies == []

    api = api_for(leaders.department)
    scores = api.get("/api/v1/assessment/scores/").json()["results"]
    assert {row["manager"] for row in scores} == {org.a.cm.pk, org.a.cm2.pk}
    assert api.get(f"/api/v1/assessment/scores/{world.score_b.pk}/").status_code == 404


def test_company_leader_reads_both_centers(client, org, leaders, world):
    login(client, leaders.company)
    names = {r.shop_name for r in client.get(reverse("retailers:list")).context["page"]}
    assert names == {"甲一便利店", "乙一食杂店"}
    for url in (
        reverse("retailers:detail", args=[world.shop_b.pk]),
        reverse("visits:detail", args=[world.visit_b.pk]),
        reverse("visits:info_detail", args=[world.lead_b.pk]),
        reverse("visits:complaint_detail", args=[world.complaint_b.pk]),
        reverse("assessment:score_detail", args=[world.score_b.pk]),
        reverse("retailers:register", args=[org.b.territory.pk]),
    ):
        assert client.get(url).status_code == 200, url
    ranking = client.get(reverse("assessment:ranking"), {"month": MONTH.isoformat()})
    assert {row.manager_id for row in ranking.context["rows"]} == {
        org.a.cm.pk,
        org.a.cm2.pk,
        org.b.cm.pk,
        org.b.cm2.pk,
    }
    coverage = client.get(reverse("assessment:coverage"), {"month": MONTH.isoformat()})
    assert [c.unit for c in coverage.context["report"].companies] == [org.company]
    assert ids(api_for(leaders.company).get("/api/v1/visits/")) == {
        world.visit_a.pk,
        world.visit_b.pk,
    }
    # The center leader of A is inside A like the department leader.
    login(client, leaders.center)
    assert client.get(reverse("visits:detail", args=[world.visit_a.pk])).status_code == 200
    assert client.get(reverse("visits:detail", args=[world.visit_b.pk])).status_code == 404


def test_shelf_rate_report_by_level(client, org, leaders):
    case = build_case(org)
    shelf_rates_refresh(month=date(2026, 10, 1))

    def brand_x(user, **params):
        response = login(client, user).get("/shelf-rates/", {"month": "2026-10", **params})
        assert response.status_code == 200
        report = response.context["report"]
        [block] = [b for b in report.blocks if b.brand.code == "X"]
        rows = [(c.scope.name, c.active, c.observed_on_shelf, c.ordered) for c in block.children]
        return report.scope.pk, (block.total.active, block.total.observed_on_shelf), rows

    scope, total, rows = brand_x(leaders.department)
    assert scope == org.a.department.pk and total == (6, 2)
    assert rows == [(case.t1.name, 4, 1, 1), (case.t2.name, 2, 1, 0)]
    scope, total, rows = brand_x(leaders.company)
    assert scope == org.company.pk and total == (8, 4)
    assert rows == [(org.a.center.name, 6, 2, 1), (org.b.center.name, 2, 2, 0)]
    login(client, leaders.department)
    for params in ({"unit": org.b.department.pk}, {"territory": case.t3.pk}):
        assert client.get("/shelf-rates/", {"month": "2026-10", **params}).status_code == 404


def test_province_leader_reads_every_city_and_a_city_leader_only_theirs(client, org, leaders):
    province = OrgUnitFactory(name="江淮省烟草公司", code="32", kind=OrgKind.PROVINCE)
    accounts_services.org_unit_update(unit=org.company, parent=province)
    other = OrgUnitFactory(name="西林市烟草公司", code="C2", kind=OrgKind.COMPANY, parent=province)
    center = OrgUnitFactory(code="C2-1", kind=OrgKind.MARKETING_CENTER, parent=other)
    department = OrgUnitFactory(code="C2-1-1", kind=OrgKind.SERVICE_DEPARTMENT, parent=center)
    manager = UserFactory(role=Role.CUSTOMER_MANAGER, org_unit=department)
    far = RetailerFactory(
        territory=TerritoryFactory(department=department, manager=manager), shop_name="西林店"
    )
    near = RetailerFactory(territory=org.a.territory, shop_name="东江店")
    top = UserFactory(employee_no="400002", role=Role.LEADER, org_unit=province)
    top.full_clean()
    names = {r.shop_name for r in login(client, top).get(reverse("retailers:list")).context["page"]}
    assert names == {"西林店", "东江店"}
    assert client.get(reverse("retailers:detail", args=[far.pk])).status_code == 200
    login(client, leaders.company)
    assert client.get(reverse("retailers:detail", args=[near.pk])).status_code == 200
    assert client.get(reverse("retailers:detail", args=[far.pk])).status_code == 404


def test_home_and_menu(client, org, leaders, world):
    # The home page (or the dashboard it leads a leader to) answers.
    response = login(client, leaders.department).get(reverse("home"), follow=True)
    assert response.status_code == 200
    summary = scope_summary_for(leaders.department)
    assert (summary["territories"], summary["managers"]) == (2, 2)
    urls = {item["url"].split("?")[0] for item in response.context["nav_items"]}
    for name in (
        "visits:list",
        "retailers:list",
        "visits:shelf_rates",
        "visits:info_feed",
        "visits:complaints",
        "visits:surveys",
        "assessment:ranking",
        "assessment:inspections",
        "assessment:coverage",
        "accounts:org_tree",
    ):
        assert reverse(name) in urls, name
    for name in (
        "visits:today",
        "assessment:inspect",
        "assessment:appeals",
        "assessment:months",
        "assessment:audit",
        "reports:pay_run",
        "reports:what_if",
        "reports:bonus_sheet",
        "reports:tier_history",
        "reports:tier_review",
        "retailers:import",
    ):
        assert reverse(name) not in urls, name
    assert login(client, leaders.company).get(reverse("home"), follow=True).status_code == 200
    summary = scope_summary_for(leaders.company)
    assert (summary["territories"], summary["managers"]) == (4, 4)


# --- What a leader does not see ---------------------------------------------------------------


def test_no_pay_tiers_or_audit(client, org, leaders, world):
    hidden = [
        reverse("reports:my_pay"),
        reverse("reports:pay_run"),
        reverse("reports:what_if"),
        reverse("reports:bonus_sheet"),
        reverse("reports:bonus_sheet") + f"?month=2026-10&company={org.company.pk}&format=xlsx",
        reverse("reports:export_job", args=[world.job.pk]),
        reverse("reports:export_job_status", args=[world.job.pk]),
        reverse("reports:export_download", args=[world.job.pk]),
        reverse("reports:tier_review"),
        reverse("reports:tier_history"),
        reverse("reports:tier_history") + f"?manager={org.a.cm.pk}",
        reverse("assessment:audit"),
        reverse("assessment:months"),
        reverse("assessment:inspect"),
        reverse("assessment:appeals"),
        reverse("assessment:my_score"),
        reverse("retailers:import"),
        reverse("visits:new") + f"?retailer={world.shop_a.pk}",
        reverse("visits:today"),
        reverse("visits:complaint_new"),
    ]
    for leader in (leaders.department, leaders.company):
        login(client, leader)
        for url in hidden:
            assert client.get(url).status_code == 404, (leader.employee_no, url)
        api = api_for(leader)
        assert ids(api.get("/api/v1/pay/runs/")) == set()
        assert ids(api.get("/api/v1/pay/lines/")) == set()
        assert api.get(f"/api/v1/pay/runs/{world.run.pk}/").status_code == 404
        assert api.get(f"/api/v1/pay/lines/{world.line.pk}/").status_code == 404
    # The same pages answer for those whose pages they are.
    assert login(client, org.hr).get(reverse("reports:pay_run")).status_code == 200
    assert (
        login(client, org.a.dept_supervisor).get(reverse("reports:tier_history")).status_code == 200
    )


# --- Writes: refused everywhere ---------------------------------------------------------------

# What a leader might send: enough to make each write valid for a role that may take it.
FORM = {
    "new_class": "C",
    "reason": "领导试改",
    "pinned": "on",
    "valid": "1",
    "note": "领导试写",
    "status": "following",
    "content": "领导试写的内容",
    "opened_at": "",
    "action": "resolve",
    "resolution": "领导试办结",
    "substantiated": "true",
    "score": "5",
    "channel": "supervisor",
    "surveyed_on": TODAY.isoformat(),
    "direction": "up",
    "day": TODAY.isoformat(),
    "decision": "approve",
    "month": MONTH.isoformat(),
    "kind": "bonus",
    "points": "1",
    "item_code": "visits",
    "inspected_on": TODAY.isoformat(),
}
# A leader sets their own password like everyone else (it changes no business data).
OPEN_TO_READERS = {"login", "logout", "set_language", "accounts:password_change"}
# DRF views outside the router: the schema and its docs have no write at all.
NOT_WRITABLE = {"schema": 405, "swagger-ui": 405}


def _routes(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            space = namespace
            if pattern.namespace:
                space = f"{namespace}{pattern.namespace}:"
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern), space)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield prefix + str(pattern.pattern), name


def _fill(route, values):
    """A URL from a route or regex pattern: named arguments from ``values`` (else "1")."""
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values.get(m[1], 1)), route)
    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m[1], 1)), route)
    return "/" + route.replace("^", "").replace("$", "").replace("\\.", ".")


def web_targets(org, w):
    real = {
        "accounts:territory_detail": org.a.territory.pk,
        "retailers:detail": w.shop_a.pk,
        "retailers:override": w.shop_a.pk,
        "retailers:register": org.a.territory.pk,
        "visits:plan_move": w.plan.pk,
        "visits:plan_reschedule": w.plan.pk,
        "visits:detail": w.visit_a.pk,
        "visits:review": w.visit_a.pk,
        "visits:info_detail": w.lead_a.pk,
        "visits:info_review": w.lead_a.pk,
        "visits:lead_update": w.lead_a.pk,
        "visits:complaint_detail": w.complaint_a.pk,
        "visits:complaint_action": w.complaint_a.pk,
        "visits:work_plan_submit": w.work_plan.pk,
        "assessment:score_detail": w.score_a.pk,
        "assessment:appeal_file": w.inspection_a.pk,
        "assessment:appeal_decide": w.appeal_a.pk,
        "reports:tier_decide": w.proposal.pk,
        "reports:export_job": w.job.pk,
        "reports:export_job_status": w.job.pk,
        "reports:export_download": w.job.pk,
    }
    targets = []
    for route, name in _routes(get_resolver().url_patterns):
        if route.startswith("api/v1/"):
            continue  # the router: test_every_api_write_is_403_and_nothing_is_written
        values = {"pk": real.get(name, 1), "name": "retailers.csv", "path": "x.png"}
        url = _fill(route, values)
        try:
            resolve(url)
        except Resolver404:  # e.g. an admin route for one app label: "1" is none
            continue
        targets.append((name, url))
    return targets


def test_every_page_refuses_a_leader_and_nothing_is_written(client, org, leaders, world):
    targets = web_targets(org, world)
    assert len(targets) > 60  # the project's pages and the admin site
    login(client, leaders.department)
    before = fingerprint()
    checked = 0
    for name, url in targets:
        if name in OPEN_TO_READERS:
            continue
        data = {
            **FORM,
            "retailer": world.shop_a.pk,
            "manager": org.a.cm.pk,
            "company": org.company.pk,
        }
        response = client.post(url, data)
        assert response.status_code == NOT_WRITABLE.get(name, 403), (name, url)
        checked += 1
    assert checked > 60
    assert fingerprint() == before
    # A leader still signs out and switches the language.
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def api_targets(org, w):
    real = {
        "orgunit": org.a.department.pk,
        "territory": org.a.territory.pk,
        "user": org.a.cm.pk,
        "retailer": w.shop_a.pk,
        "visitplan": w.plan.pk,
        "visit": w.visit_a.pk,
        "information": w.lead_a.pk,
        "complaints": w.complaint_a.pk,
        "surveys": w.survey_a.pk,
        "work-plans": w.work_plan.pk,
        "inspection": w.inspection_a.pk,
        "bonuspoint": w.bonus_a.pk,
        "appeal": w.appeal_a.pk,
        "managerscore": w.score_a.pk,
        "payrun": w.run.pk,
        "payline": w.line.pk,
    }
    targets = []
    for pattern in router.urls:
        route = str(pattern.pattern)
        if "(?P<format>" in route or "format>" in route:
            continue
        basename = pattern.name.rsplit("-", 1)[0]
        values = {"pk": real.get(basename, 1), "client_id": w.visit_a.client_id}
        targets.append((pattern.name, "/api/v1" + _fill(route, values)))
    return targets


def test_every_api_write_is_403_and_nothing_is_written(org, leaders, world):
    targets = api_targets(org, world)
    assert len(targets) > 50
    api = api_for(leaders.company)
    body = {
        "valid": True,
        "note": "领导试写",
        "kind": InfoType.PRICE,
        "content": "领导试写的内容",
        "retailer": world.shop_a.pk,
        "client_id": str(uuid.uuid4()),
        "checked_in_at": timezone.now().isoformat(),
        "resolution": "领导试办结",
        "substantiated": True,
        "score": 5,
        "channel": SurveyChannel.SUPERVISOR,
        "surveyed_on": TODAY.isoformat(),
        "accept": True,
        "reason": "领导试改",
        "inspection": world.inspection_a.pk,
        "manager_id": org.a.cm.pk,
        "day": TODAY.isoformat(),
        "points": "1",
        "status": "following",
    }
    before = fingerprint()
    for name, url in targets:
        for method in ("post", "put", "patch", "delete"):
            response = getattr(api, method)(url, body, format="json")
            assert response.status_code == 403, (method, name, url, response.status_code)
    assert fingerprint() == before
    # The rule does not depend on how the client signed in.
    token_like = APIClient()
    token_like.force_authenticate(leaders.department)
    payload = {"kind": InfoType.PRICE, "content": "x", "retailer": world.shop_a.pk}
    assert token_like.post("/api/v1/information/", payload, format="json").status_code == 403
    assert token_like.get("/api/v1/information/").status_code == 200
    assert fingerprint() == before


def _attempts(org, w):
    """Every service that writes for a user, called by a leader: (label, call, error)."""
    now = timezone.now()
    visit_input = visit_services.VisitInput(
        client_id=uuid.uuid4(), retailer_id=w.shop_a.pk, checked_in_at=now
    )
    return [
        ("visit_submit", lambda u: visit_services.visit_submit(user=u, data=visit_input)),
        (
            "visit_photo_add",
            lambda u: visit_services.visit_photo_add(
                visit=w.visit_a, user=u, client_id=uuid.uuid4(), image=image_file()
            ),
        ),
        (
            "visit_review",
            lambda u: visit_services.visit_review(visit=w.visit_a, user=u, valid=False, note="x"),
        ),
        (
            "info_report",
            lambda u: feedback_services.info_report(
                user=u, kind=InfoType.PRICE, content="领导", retailer=w.shop_a
            ),
        ),
        (
            "info_review",
            lambda u: feedback_services.info_review(item=w.lead_a, user=u, valid=True),
        ),
        (
            "lead_update",
            lambda u: feedback_services.lead_update(
                item=w.lead_a, user=u, status="following", note="x"
            ),
        ),
        (
            "complaint_open",
            lambda u: feedback_services.complaint_open(retailer=w.shop_a, user=u, content="x"),
        ),
        (
            "complaint_respond",
            lambda u: feedback_services.complaint_respond(
                complaint=w.complaint_a, user=u, note="x"
            ),
        ),
        (
            "complaint_resolve",
            lambda u: feedback_services.complaint_resolve(
                complaint=w.complaint_a, user=u, resolution="x"
            ),
        ),
        (
            "complaint_close",
            lambda u: feedback_services.complaint_close(
                complaint=w.complaint_a, user=u, substantiated=True
            ),
        ),
        (
            "survey_record",
            lambda u: feedback_services.survey_record(
                retailer=w.shop_a, user=u, score=5, surveyed_on=TODAY, channel="supervisor"
            ),
        ),
        (
            "work_plan_submit",
            lambda u: feedback_services.work_plan_submit(plan=w.work_plan, user=u, content="x"),
        ),
        (
            "inspection_record",
            lambda u: assessment_services.inspection_record(
                inspector=u,
                manager_id=org.a.cm.pk,
                inspected_on=TODAY,
                item_code="visits",
                points=Decimal("1"),
                reason="x",
            ),
        ),
        (
            "bonus_grant",
            lambda u: assessment_services.bonus_grant(
                user=u, manager_id=org.a.cm.pk, day=TODAY, points=Decimal("1"), reason="x"
            ),
        ),
        (
            "appeal_file",
            lambda u: assessment_services.appeal_file(
                inspection=w.inspection_a, user=u, reason="x"
            ),
        ),
        (
            "appeal_decide",
            lambda u: assessment_services.appeal_decide(
                appeal=w.appeal_a, user=u, accept=True, reason="x"
            ),
        ),
        (
            "pay_run_prepare",
            lambda u: pay_services.pay_run_prepare(month=MONTH, user=u, company=org.company),
        ),
        ("pay_run_approve", lambda u: pay_services.pay_run_approve(run=w.run, user=u)),
        (
            "tier_set",
            lambda u: tier_services.tier_set(
                manager=org.a.cm, tier=Tier.ONE, effective_from=MONTH, user=u, reason="x"
            ),
        ),
        (
            "proposal_decide",
            lambda u: tier_services.proposal_decide(proposal=w.proposal, user=u, approve=True),
        ),
        (
            "export_request",
            lambda u: export_services.export_request(run=w.run, user=u, file_format="xlsx"),
        ),
    ]


def test_every_service_refuses_a_leader(org, leaders, world):
    before = fingerprint()
    for leader in (leaders.department, leaders.company):
        for label, attempt in _attempts(org, world):
            with pytest.raises(PermissionDenied):
                attempt(leader)
                pytest.fail(f"{label} let a leader write")
    # These modules refuse with a ValidationError, as they do for any other role.
    with pytest.raises(ValidationError):
        retailer_services.class_override(
            retailer=world.shop_a, user=leaders.company, new_class="C", reason="x"
        )
    with pytest.raises(ValidationError):
        plan_services.plan_move(plan=world.plan, user=leaders.company, direction=-1)
    with pytest.raises(ValidationError):
        plan_services.plan_reschedule(plan=world.plan, user=leaders.company, day=TODAY)
    plan_services.route_optimise(
        user=leaders.company, day=world.plan.scheduled_for, plans=[world.plan]
    )
    assert fingerprint() == before
    # The refusals are the leader's, not the data's: a manager may still take these steps.
    assert (
        feedback_services.info_report(
            user=org.a.cm, kind=InfoType.PRICE, content="经理上报", retailer=world.shop_a
        ).reported_by
        == org.a.cm
    )
    assert SatisfactionSurvey.objects.count() == 1
    assert BonusPoint.objects.count() == 1
