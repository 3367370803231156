"""A manager appeals a visit marked invalid from their score page on a phone; the
marketing-center supervisor reads it in words and accepts it (DOMAIN §10.11)."""

from decimal import Decimal

import pytest

from assessment.models import Appeal, AppealStatus, ManagerScore
from tests.assessment.test_appeal_targets import OCT, month  # noqa: F401 (fixture)
from tests.browser.conftest import assert_no_horizontal_scroll, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(browser, live_server, user, password):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("工号").fill(user.employee_no)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    return context, page


def test_appeal_an_invalid_visit_on_a_phone(browser, live_server, month):  # noqa: F811
    org = month.org
    context, page = sign_in(browser, live_server, org.a.cm, org.password)
    page.goto(f"{live_server.url}/assessment/my-score/?month={OCT.isoformat()}")
    row = page.locator(f"#invalid-visit-{month.visit.pk}")
    assert "河西烟酒店" in row.inner_text() and "定位距门店两公里" in row.inner_text()
    assert_no_horizontal_scroll(page)
    screenshot(page, "appeal-my-score")
    row.get_by_role("link", name="申诉").click()
    page.locator("#id_reason").fill("当天确在店内，附门店照片")
    screenshot(page, "appeal-form-visit")
    page.get_by_role("button", name="提交申诉").click()
    page.wait_for_url("**/assessment/my-score/**")
    assert Appeal.objects.get(visit=month.visit).status == AppealStatus.PENDING
    context.close()

    context, page = sign_in(browser, live_server, org.a.center_supervisor, org.password)
    page.goto(f"{live_server.url}/assessment/appeals/")
    entry = page.locator(f"#appeal-{Appeal.objects.get(visit=month.visit).pk}")
    text = entry.inner_text()
    assert "河西烟酒店" in text and "2026-10-12" in text and "定位距门店两公里" in text
    assert_no_horizontal_scroll(page)
    screenshot(page, "appeal-list-visit")
    entry.locator("textarea").fill("照片为证")
    entry.locator("button[value=accept]").click()
    page.wait_for_url("**/assessment/appeals/")
    score = ManagerScore.objects.get(manager=org.a.cm, assessment__month=OCT)
    assert score.items.get(code="visits").points == Decimal("15.00")
    context.close()
