"""A customer manager's home on a 390 px phone: the to-do panel and the month so far fit
the screen, and every link is a tap target of at least 44 px."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from retailers.models import SalesTarget
from tests.browser.conftest import assert_no_horizontal_scroll, screenshot
from tests.factories import RetailerFactory
from visits.models import Visit, VisitPlan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_home_on_a_phone(browser, live_server, org):
    a = org.a
    today = timezone.localdate()
    first = today.replace(day=1)
    shops = [RetailerFactory(territory=a.territory) for _ in range(3)]
    for shop in shops:
        VisitPlan.objects.create(
            manager=a.cm,
            territory=a.territory,
            retailer=shop,
            month=first,
            window_start=first,
            window_end=today,
            planned_class="C",
            scheduled_for=today,
        )
    moment = timezone.now()
    Visit.objects.create(
        manager=a.cm,
        retailer=shops[0],
        territory=a.territory,
        checked_in_at=moment - timedelta(minutes=10),
        check_in_date=today,
        checked_out_at=moment,
    )
    SalesTarget.objects.create(manager=a.cm, month=first, total_boxes=Decimal(40))

    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("工号").fill(a.cm.employee_no)
    page.get_by_label("密码").fill(org.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")

    stops = page.locator('[data-todo="stops"]')
    assert stops.is_visible()
    assert stops.locator(".todo-count").inner_text() == "2"
    assert page.locator('[data-item="visits"]').is_visible()
    assert_no_horizontal_scroll(page)
    for link in page.locator(".todo-panel a, .progress-panel a").all():
        assert link.bounding_box()["height"] >= 44
    screenshot(page, "home-manager-todo-phone")
    stops.tap()
    page.wait_for_url(f"{live_server.url}/visits/today/")
    context.close()
