"""Appeals against a visit or an information item marked invalid (DOMAIN §10.11), besides
deductions: filing, deciding one level above the reviewer, the recomputed month, publishing,
the pages and the API.

Hand-computed fixture (manager A1, October 2026, default scheme):
- two planned visits (class C, window the whole month); shop 1 visited (valid), shop 2
  visited once, and that visit marked invalid by the level-3 supervisor: completed 1 of 2,
  so ``visits`` = 15 × min(1 ÷ 2, 1) = 7.50; the visit counting again → 15 × 2 ÷ 2 = 15.00;
- eight information items, one marked invalid before the close: counted 7, so ``info`` =
  10 × min(7 ÷ 8, 1) = 8.75; the item counting again → 10 × 8 ÷ 8 = 10.00 (+1.25).
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role
from assessment import services
from assessment.models import Appeal, AppealStatus, AssessmentMonth, Level, ManagerScore
from assessment.selectors import decidable_appeals
from tests.factories import RetailerFactory, UserFactory
from visits.models import InformationItem, Validity, Visit, VisitPlan, VisitStatus
from visits.services.feedback import info_review
from visits.services.visits import visit_review

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
OCT = date(2026, 10, 1)


def at(day, hour=10):
    return datetime.combine(day, datetime.min.time(), TZ).replace(hour=hour)


def make_visit(manager, retailer, day):
    return Visit.objects.create(
        manager=manager,
        retailer=retailer,
        territory=retailer.territory,
        checked_in_at=at(day),
        check_in_date=day,
        checked_out_at=at(day, 11),
    )


def plan(manager, retailer, day):
    return VisitPlan.objects.create(
        manager=manager,
        territory=retailer.territory,
        retailer=retailer,
        month=OCT,
        window_start=OCT,
        window_end=date(2026, 10, 31),
        planned_class="C",
        scheduled_for=day,
    )


@pytest.fixture
def month(org):
    """October in review (opened now) with A1's invalid visit and invalid item."""
    cm = org.a.cm
    shop1 = RetailerFactory(territory=org.a.territory, shop_name="城东便利店")
    shop2 = RetailerFactory(territory=org.a.territory, shop_name="河西烟酒店")
    plan(cm, shop1, date(2026, 10, 10))
    plan(cm, shop2, date(2026, 10, 12))
    make_visit(cm, shop1, date(2026, 10, 10))
    invalid = make_visit(cm, shop2, date(2026, 10, 12))
    visit_review(visit=invalid, user=org.a.dept_supervisor, valid=False, note="定位距门店两公里")
    items = [
        InformationItem.objects.create(
            kind="price",
            content=f"价格信息{n}",
            reported_by=cm,
            territory=org.a.territory,
            reported_at=at(date(2026, 10, 1 + n)),
        )
        for n in range(8)
    ]
    item = items[3]
    item.kind, item.content = "brand", "某品牌在城东断货三天"
    item.save(update_fields=["kind", "content"])
    info_review(item=item, user=org.a.dept_supervisor, valid=False)
    # Another manager's invalid visit in the same department.
    other = make_visit(org.a.cm2, RetailerFactory(territory=org.a.territory2), date(2026, 10, 15))
    visit_review(visit=other, user=org.a.dept_supervisor, valid=False, note="无照片")
    services.month_close(month=OCT)
    assessment = services.month_start_review(month=OCT)
    return SimpleNamespace(
        org=org, visit=invalid, item=item, other=other, assessment=assessment, shop2=shop2
    )


def item_points(manager, code):
    score = ManagerScore.objects.get(manager=manager, assessment__month=OCT)
    return score.items.get(code=code).points, score.total


# --- scores --------------------------------------------------------------------------------------


def test_accepted_visit_appeal_completes_the_plan_rejected_changes_nothing(month):
    org = month.org
    visits, total = item_points(org.a.cm, "visits")
    assert visits == Decimal("7.50")  # 15 × 1 ÷ 2

    appeal = services.appeal_file(visit=month.visit, user=org.a.cm, reason="当天确在店内")
    assert (appeal.manager, appeal.month, appeal.level) == (org.a.cm, OCT, Level.DEPARTMENT)
    assert (appeal.marked_by, appeal.invalid_note) == (org.a.dept_supervisor, "定位距门店两公里")
    services.appeal_decide(
        appeal=appeal, user=org.a.center_supervisor, accept=False, reason="无证据"
    )
    assert item_points(org.a.cm, "visits") == (Decimal("7.50"), total)
    month.visit.refresh_from_db()
    assert month.visit.status == VisitStatus.INVALID
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decision_reason) == (AppealStatus.REJECTED, "无证据")

    # Marked invalid again (a new decision): the manager may appeal that one.
    visit_review(visit=month.visit, user=org.a.dept_supervisor, valid=False, note="复核仍无效")
    again = services.appeal_file(visit=month.visit, user=org.a.cm, reason="补交门店照片")
    assert again.pk != appeal.pk
    services.appeal_decide(
        appeal=again, user=org.a.center_supervisor, accept=True, reason="照片属实"
    )
    month.visit.refresh_from_db()
    assert month.visit.status == VisitStatus.VALID
    assert month.visit.reviewed_by == org.a.center_supervisor
    assert "照片属实" in month.visit.review_note
    # 15 × min(2 ÷ 2, 1) = 15.00: +7.50 on the item and on the total.
    assert item_points(org.a.cm, "visits") == (Decimal("15.00"), total + Decimal("7.50"))


def test_accepted_info_item_appeal_counts_the_item_again(month):
    org = month.org
    info, total = item_points(org.a.cm, "info")
    assert info == Decimal("8.75")  # 10 × 7 ÷ 8
    appeal = services.appeal_file(info_item=month.item, user=org.a.cm, reason="已核实断货")
    services.appeal_decide(appeal=appeal, user=org.assessor, accept=True, reason="核实属实")
    month.item.refresh_from_db()
    assert (month.item.validity, month.item.reviewed_by) == (Validity.VALID, org.assessor)
    assert item_points(org.a.cm, "info") == (Decimal("10.00"), total + Decimal("1.25"))
    # The decision is in the audit trail, with its decider.
    entry = LogEntry.objects.get_for_object(appeal).order_by("-timestamp", "-pk").first()
    assert entry.changes_dict["status"] == ["pending", "accepted"]
    assert entry.changes_dict["decision_reason"][1] == "核实属实"


# --- filing refused --------------------------------------------------------------------------


def test_filing_refused_outside_the_window_by_another_manager_and_on_a_valid_visit(month, english):
    org = month.org
    end = month.assessment.appeal_window_end
    with pytest.raises(ValidationError, match="The 5 days to appeal have passed."):
        services.appeal_file(
            visit=month.visit, user=org.a.cm, reason="迟了", now=end + timedelta(seconds=1)
        )
    with pytest.raises(PermissionDenied, match="Only the manager who made the visit"):
        services.appeal_file(visit=month.visit, user=org.a.cm2, reason="代申诉")
    with pytest.raises(PermissionDenied, match="Only the manager who reported the item"):
        services.appeal_file(info_item=month.item, user=org.a.cm2, reason="代申诉")
    valid = Visit.objects.get(manager=org.a.cm, retailer__shop_name="城东便利店")
    with pytest.raises(ValidationError, match="Only a visit marked invalid can be appealed."):
        services.appeal_file(visit=valid, user=org.a.cm, reason="x")
    with pytest.raises(ValidationError, match="one deduction, one visit or one information"):
        services.appeal_file(visit=month.visit, info_item=month.item, user=org.a.cm, reason="x")
    # At the very end of the window (inclusive) it is filed; a second one is refused.
    services.appeal_file(visit=month.visit, user=org.a.cm, reason="在店", now=end)
    with pytest.raises(ValidationError, match="This visit has already been appealed."):
        services.appeal_file(visit=month.visit, user=org.a.cm, reason="再次", now=end)
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database says so too
        Appeal.objects.create(**Appeal.target_fields(visit=month.visit), reason="绕过")


def test_filing_refused_while_the_month_is_a_draft(org, english):
    shop = RetailerFactory(territory=org.a.territory)
    visit = make_visit(org.a.cm, shop, date(2026, 10, 5))
    visit_review(visit=visit, user=org.a.dept_supervisor, valid=False, note="太短")
    services.month_close(month=OCT)
    with pytest.raises(ValidationError, match="Appeals are filed while the month is in review."):
        services.appeal_file(visit=visit, user=org.a.cm, reason="x")


def test_exactly_one_target_is_a_database_rule(month):
    both = {**Appeal.target_fields(visit=month.visit), "info_item": month.item}
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.create(**both, reason="两个")


# --- publishing and deciding ---------------------------------------------------------------


def test_a_pending_visit_appeal_blocks_publishing(month, english):
    org = month.org
    appeal = services.appeal_file(visit=month.visit, user=org.a.cm, reason="在店")
    after = month.assessment.appeal_window_end + timedelta(seconds=1)
    with pytest.raises(ValidationError, match="1 appeals are still pending"):
        services.month_publish(month=OCT, now=after)
    services.appeal_decide(appeal=appeal, user=org.a.center_supervisor, accept=False, reason="否")
    assert services.month_publish(month=OCT, now=after).state == "published"


def test_decided_one_level_above_the_reviewer(month, english):
    org = month.org
    level3 = services.appeal_file(visit=month.visit, user=org.a.cm, reason="在店")
    # The reviewer's own level (and the reviewer) cannot decide; another center cannot see it.
    with pytest.raises(PermissionDenied, match="one level above the supervisor"):
        services.appeal_decide(appeal=level3, user=org.a.dept_supervisor, accept=True, reason="x")
    assert list(decidable_appeals(org.a.center_supervisor)) == [level3]
    assert list(decidable_appeals(org.a.dept_supervisor)) == []
    assert list(decidable_appeals(org.b.center_supervisor)) == []

    # An item marked invalid by level 1: another assessment-center user decides it.
    info_review(item=month.item, user=org.assessor, valid=False)
    level1 = services.appeal_file(info_item=month.item, user=org.a.cm, reason="属实")
    assert (level1.level, level1.marked_by) == (Level.COMPANY, org.assessor)
    other = UserFactory(role=Role.ASSESSMENT_CENTER, org_unit=org.company)
    for user in (org.a.center_supervisor, org.assessor):
        with pytest.raises(PermissionDenied):
            services.appeal_decide(appeal=level1, user=user, accept=True, reason="x")
    assert level1 not in decidable_appeals(org.assessor)
    assert set(decidable_appeals(other)) == {level1, level3}
    services.appeal_decide(appeal=level1, user=other, accept=True, reason="核实")
    assert item_points(org.a.cm, "info")[0] == Decimal("10.00")


# --- pages -----------------------------------------------------------------------------------


def test_pages_my_score_appeal_form_and_the_deciders_list(client, month):
    org = month.org
    client.force_login(org.a.cm)
    page = client.get(reverse("assessment:my_score"), {"month": OCT.isoformat()}).content.decode()
    visit_url = reverse("assessment:appeal_visit", args=[month.visit.pk])
    item_url = reverse("assessment:appeal_info_item", args=[month.item.pk])
    assert visit_url in page and item_url in page
    assert "河西烟酒店" in page and "定位距门店两公里" in page and "某品牌在城东断货三天" in page
    detail = client.get(reverse("visits:detail", args=[month.visit.pk])).content.decode()
    assert visit_url in detail

    form = client.get(visit_url).content.decode()
    assert "河西烟酒店" in form and "定位距门店两公里" in form
    response = client.post(visit_url, {"reason": "当天确在店内，附照片"})
    assert response.status_code == 302
    client.post(item_url, {"reason": "断货属实"})
    assert Appeal.objects.filter(manager=org.a.cm, status=AppealStatus.PENDING).count() == 2
    page = client.get(reverse("assessment:my_score"), {"month": OCT.isoformat()}).content.decode()
    assert visit_url not in page and item_url not in page  # filed: no second button

    # Another manager's visit, and a supervisor: 404 (not their own).
    client.force_login(org.a.cm2)
    assert client.get(visit_url).status_code == 404
    assert client.post(visit_url, {"reason": "x"}).status_code == 404
    client.force_login(org.a.dept_supervisor)
    assert client.get(visit_url).status_code == 404

    client.force_login(org.a.center_supervisor)
    listing = client.get(reverse("assessment:appeals")).content.decode()
    for words in ("河西烟酒店", "2026-10-12", "定位距门店两公里", "某品牌在城东断货三天"):
        assert words in listing
    assert f"#{month.visit.pk}" not in listing and "info_item" not in listing
    appeal = Appeal.objects.get(visit=month.visit)
    client.post(
        reverse("assessment:appeal_decide", args=[appeal.pk]),
        {"decision": "accept", "reason": "照片为证"},
    )
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.ACCEPTED
    assert item_points(org.a.cm, "visits")[0] == Decimal("15.00")


def test_api_files_a_visit_appeal_and_refuses_another_managers(month):
    org = month.org
    api = APIClient()
    api.force_login(org.a.cm2)
    refused = api.post(
        "/api/v1/assessment/appeals/", {"visit": month.visit.pk, "reason": "x"}, format="json"
    )
    assert refused.status_code == 400  # not a visit they can see
    api.force_login(org.a.cm)
    response = api.post(
        "/api/v1/assessment/appeals/", {"visit": month.visit.pk, "reason": "在店"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["visit"], body["inspection"], body["level"]) == (month.visit.pk, None, 3)
    assert body["month"] == "2026-10-01"
    assert AssessmentMonth.objects.get(month=OCT).state == "review"


def test_sent_back_to_draft_withdraws_a_visit_appeal_which_is_filed_again(month):
    org = month.org
    appeal = services.appeal_file(visit=month.visit, user=org.a.cm, reason="在店")
    services.month_send_back(month=OCT, user=org.assessor, reason="目标录错")
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.WITHDRAWN
    services.month_close(month=OCT)
    services.month_start_review(month=OCT)
    again = services.appeal_file(visit=month.visit, user=org.a.cm, reason="在店，补照片")
    assert (again.pk, again.status, again.reason) == (appeal.pk, "pending", "在店，补照片")
