"""The month lifecycle of DOMAIN.md §4: publishing strictly after the appeal window and with
no pending appeal (after a confirm step), months in order, sending a month in review back to
draft, missing months and deadlines on the months page."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from assessment import services
from assessment.models import Appeal, AppealStatus, AssessmentMonth, MonthState
from reports.models import AlertRules
from retailers.models import add_months
from tests.factories import OrderLineFactory, RetailerFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)
M1, M2, M3, M4 = (add_months(MONTH, -n) for n in (1, 2, 3, 4))
OPENED = datetime(2026, 11, 3, 9, 0, tzinfo=TZ)  # review opened
WINDOW_END = OPENED + timedelta(days=5)  # 2026-11-08 09:00:00 local


def deduct(org, center=None):
    center = center or org.a
    return services.inspection_record(
        inspector=center.dept_supervisor,
        manager_id=center.cm.pk,
        inspected_on=TODAY,
        item_code="visits",
        points=Decimal(2),
        reason="走访记录不实",
    )


def order_in(org, month):
    OrderLineFactory(retailer=RetailerFactory(territory=org.a.territory), order_date=month)


def in_review(month=MONTH, now=None):
    services.month_close(month=month)
    return services.month_start_review(month=month, now=now)


def state(month):
    return AssessmentMonth.objects.get(month=month).state


# --- publishing: strictly after the appeal window, no pending appeal ---------------------------


def test_publish_is_refused_until_strictly_after_the_window(org, english):
    in_review(now=OPENED)
    for moment in (WINDOW_END - timedelta(seconds=1), WINDOW_END):
        with pytest.raises(ValidationError) as refused:
            services.month_publish(month=MONTH, user=org.assessor, now=moment)
        assert refused.value.messages == [
            "Managers may appeal until 2026-11-08 09:00:00: the month can be published after that."
        ]
        assert state(MONTH) == MonthState.REVIEW
    after = WINDOW_END + timedelta(seconds=1)
    services.month_publish(month=MONTH, user=org.assessor, now=after)
    month = AssessmentMonth.objects.get(month=MONTH)
    assert (month.state, month.published_at, month.published_by) == (
        MonthState.PUBLISHED,
        after,
        org.assessor,
    )


def test_appeal_until_the_end_of_the_window_and_publish_refused_while_pending(org, english):
    inspection = deduct(org)
    in_review(now=OPENED)
    appeal = services.appeal_file(
        inspection=inspection, user=org.a.cm, reason="有照片", now=WINDOW_END
    )
    late = WINDOW_END + timedelta(hours=1)
    with pytest.raises(ValidationError, match="1 appeals are still pending"):
        services.month_publish(month=MONTH, now=late)
    assert state(MONTH) == MonthState.REVIEW
    services.appeal_decide(appeal=appeal, user=org.a.center_supervisor, accept=False, reason="不符")
    services.month_publish(month=MONTH, now=late)
    assert state(MONTH) == MonthState.PUBLISHED


def test_publishing_on_the_page_asks_to_confirm_and_says_from_when(client, org):
    deduct(org)
    in_review(now=timezone.now() - timedelta(days=5, seconds=1))
    client.force_login(org.assessor)
    url = reverse("assessment:months")
    data = {"action": "publish", "month": MONTH.isoformat(), "company": org.company.pk}
    response = client.post(url, data)
    assert response.status_code == 302
    assert f"confirm={MONTH:%Y-%m}" in response["Location"]
    assert state(MONTH) == MonthState.REVIEW  # nothing happens before the confirmation
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Publish 测试市烟草公司 {MONTH:%Y-%m}?" in page
    end = timezone.localtime(AssessmentMonth.objects.get().appeal_window_end)
    assert f"Can be published after {end:%Y-%m-%d %H:%M}" in page
    client.post(url, {**data, "confirm": "1"})
    assert state(MONTH) == MonthState.PUBLISHED


def test_the_page_refuses_publishing_inside_the_window_and_says_why(client, org):
    in_review()
    client.force_login(org.assessor)
    response = client.post(
        reverse("assessment:months"),
        {"action": "publish", "month": MONTH.isoformat(), "confirm": "1"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert state(MONTH) == MonthState.REVIEW
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("Managers may appeal until ")


def test_the_confirm_step_inside_the_window_says_from_when_and_offers_no_publish(client, org):
    """The step names the end of the window (then the pending appeals) instead of a button
    the service would refuse; once both are cleared the same step offers the button."""
    inspection = deduct(org)
    assessment = in_review()
    appeal = services.appeal_file(inspection=inspection, user=org.a.cm, reason="有照片")
    client.force_login(org.assessor)
    url = f"{reverse('assessment:months')}?company={org.company.pk}&confirm={MONTH:%Y-%m}"

    def step():
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        start = page.index('id="confirm"')
        return page[start : page.index("</section>", start)]

    end = timezone.localtime(assessment.appeal_window_end)
    refused = step()
    assert f"测试市烟草公司 {MONTH:%Y-%m} cannot be published yet" in refused
    assert f"Managers may appeal until {end:%Y-%m-%d %H:%M:%S}: the month can be" in refused
    assert 'value="publish"' not in refused
    AssessmentMonth.objects.update(review_from=assessment.review_from - timedelta(days=6))
    pending = step()
    assert "1 appeals are still pending; decide them before publishing." in pending
    assert 'value="publish"' not in pending
    services.appeal_decide(appeal=appeal, user=org.a.center_supervisor, accept=False, reason="不符")
    offered = step()
    assert f"Publish 测试市烟草公司 {MONTH:%Y-%m}?" in offered and 'value="publish"' in offered


# --- months in order -----------------------------------------------------------------------------


def test_months_are_opened_for_review_in_order(org, english):
    order_in(org, M4)  # order history before the first assessed month: not a missing month
    in_review(M3)
    order_in(org, M2)  # data, no row: missing
    services.month_close(month=M1)
    with pytest.raises(ValidationError) as refused:
        services.month_start_review(month=M1)
    assert refused.value.messages == [
        f"Months are closed in order: {M2:%Y-%m} of 测试市烟草公司 has data and is not in "
        "review or published yet."
    ]
    services.month_close(month=M2)  # a draft still holds the later month back
    with pytest.raises(ValidationError, match=f"{M2:%Y-%m}"):
        services.month_start_review(month=M1)
    assert state(M1) == MonthState.DRAFT
    services.month_start_review(month=M2)
    services.month_start_review(month=M1)
    assert state(M1) == MonthState.REVIEW


def test_a_month_without_data_does_not_hold_the_next_back(org):
    in_review(M3)  # M2 has no data and no row
    in_review(M1)
    assert state(M1) == MonthState.REVIEW
    assert not AssessmentMonth.objects.filter(month=M2).exists()


# --- back to draft -------------------------------------------------------------------------------


def test_send_back_to_draft_withdraws_appeals_which_can_be_filed_again(client, org, english):
    inspection = deduct(org)
    decided = deduct(org, org.b)
    in_review()
    appeal = services.appeal_file(inspection=inspection, user=org.a.cm, reason="有照片")
    rejected = services.appeal_file(inspection=decided, user=org.b.cm, reason="不服")
    services.appeal_decide(appeal=rejected, user=org.admin, accept=False, reason="证据充分")
    for user in (org.hr, org.a.center_supervisor, org.a.cm):
        with pytest.raises(PermissionDenied):
            services.month_send_back(month=MONTH, user=user, reason="目标录错")
    with pytest.raises(ValidationError):
        services.month_send_back(month=MONTH, user=org.assessor, reason="  ")

    client.force_login(org.assessor)  # through the page: the audit trail names the assessor
    client.post(
        reverse("assessment:months"),
        {"action": "send_back", "month": MONTH.isoformat(), "reason": "十月销量目标录错，重算"},
    )
    month = AssessmentMonth.objects.get(month=MONTH)
    assert (month.state, month.review_from) == (MonthState.DRAFT, None)
    assert (month.sent_back_by, month.sent_back_reason) == (org.assessor, "十月销量目标录错，重算")
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decision_reason) == (
        AppealStatus.WITHDRAWN,
        "十月销量目标录错，重算",
    )
    rejected.refresh_from_db()
    assert rejected.status == AppealStatus.REJECTED  # a decided appeal stays decided

    entry = LogEntry.objects.get_for_object(month).order_by("-timestamp", "-pk").first()
    assert entry.actor == org.assessor
    assert entry.changes_dict["state"] == ["review", "draft"]
    assert entry.changes_dict["sent_back_reason"][1] == "十月销量目标录错，重算"
    withdrawal = LogEntry.objects.get_for_object(appeal).order_by("-timestamp", "-pk").first()
    assert (withdrawal.actor, withdrawal.changes_dict["status"]) == (
        org.assessor,
        ["pending", "withdrawn"],
    )

    # Recomputed, back in review: the manager files the appeal again (the same deduction).
    in_review()
    again = services.appeal_file(inspection=inspection, user=org.a.cm, reason="补充照片")
    assert again.pk == appeal.pk
    assert (again.status, again.reason, again.decided_by) == (
        AppealStatus.PENDING,
        "补充照片",
        None,
    )
    with translation.override("en"), pytest.raises(ValidationError, match="already been appealed"):
        services.appeal_file(inspection=decided, user=org.b.cm, reason="再申诉")
    assert Appeal.objects.filter(status=AppealStatus.PENDING).count() == 1


def test_only_a_month_in_review_is_sent_back(org):
    services.month_close(month=MONTH)
    with pytest.raises(ValidationError):
        services.month_send_back(month=MONTH, user=org.assessor, reason="x")


# --- the months page: missing months and deadlines ------------------------------------------------


def test_a_month_with_data_and_no_row_is_shown_missing_with_the_deadlines(client, org):
    AlertRules.objects.create(
        version=990,
        company=org.company,
        effective_from=date(2000, 1, 1),
        close_by_day=7,
        publish_by_day=20,
    )
    in_review(M3)
    order_in(org, M2)  # missing
    services.month_close(month=M1)
    client.force_login(org.assessor)
    response = client.get(reverse("assessment:months"), HTTP_ACCEPT_LANGUAGE="en")
    rows = response.context["rows"]
    assert [(row.month, row.state) for row in rows] == [
        (M1, MonthState.DRAFT),
        (M2, "missing"),
        (M3, MonthState.REVIEW),
    ]
    assert [(row.close_by, row.publish_by) for row in rows] == [
        (add_months(m, 1).replace(day=7), add_months(m, 1).replace(day=20)) for m in (M1, M2, M3)
    ]
    body = response.content.decode()
    missing = body[body.index(f'id="month-{M2:%Y-%m}"') :]
    missing = missing[: missing.index("</tr>")]
    assert "Not assessed" in missing
    assert f"Close by {add_months(M2, 1):%Y-%m}-07" in missing
    assert f"Publish by {add_months(M2, 1):%Y-%m}-20" in missing
    assert 'value="close"' in missing  # it can be computed from here


def test_default_deadlines_are_the_5th_and_the_15th(client, org):
    services.month_close(month=M1)
    client.force_login(org.assessor)
    body = client.get(reverse("assessment:months"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Close by {MONTH:%Y-%m}-05" in body
    assert f"Publish by {MONTH:%Y-%m}-15" in body
