"""The dashboard in chromium on the demo company, at 1440×900 and 390×844.

A company leader, a marketing center leader and a service department supervisor log in,
land on the dashboard, pick last month, see every chart drawn (a canvas in each chart, no
console errors) and every KPI equal to the API's value, and drill down by clicks to a
retailer's card (the leader: company → center → department → manager → retailer; on a
desktop the center through a bar of the chart). Screenshots of each level land in
artifacts/screenshots/.
"""

from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from retailers.models import add_months
from tests.browser.conftest import assert_no_horizontal_scroll, screenshot
from tests.reports.test_dashboard_page import expected_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# Demo logins (README): the company leader, a center leader and a department supervisor.
USERS = {
    "leader": "400001",
    "center": "410101",
    "department": "501011",
}


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=StringIO())


def open_page(browser, live_server, viewport, employee_no):
    context = browser.new_context(
        base_url=live_server.url,
        viewport=viewport,
        locale="zh-CN",
        device_scale_factor=1,  # full-page screenshots at 2x were the slow part
        is_mobile=viewport is PHONE,
        has_touch=viewport is PHONE,
    )
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("工号").fill(employee_no)
    page.get_by_label("密码").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/dashboard/")  # the home page of leaders and supervisors
    return context, page, errors


def query(page) -> dict:
    return {key: values[0] for key, values in parse_qs(urlparse(page.url).query).items()}


def check_charts(page):
    """Every chart container holds a drawn canvas."""
    charts = page.locator("[data-chart]")
    assert charts.count() >= 2
    page.wait_for_function(
        "[...document.querySelectorAll('[data-chart]')].every("
        "el => el.dataset.ready === '1' && el.querySelector('canvas'))"
    )
    sizes = charts.evaluate_all(
        "els => els.map(el => { const c = el.querySelector('canvas');"
        " return [el.dataset.chart, c.width, c.height]; })"
    )
    for name, width, height in sizes:
        assert width > 100 and height > 100, name


def check_kpis(page):
    """Every figure and change on the cards reads as the API's value for the same scope."""
    params = {key: value for key, value in query(page).items() if key != "page"}
    api = page.request.get("/api/v1/dashboard/kpis/", params=params).json()
    shown = dict(
        page.locator("[data-kpi]").evaluate_all(
            "els => els.map(el => [el.dataset.kpi, el.textContent.trim()])"
        )
    )
    changes = dict(
        page.locator("[data-change]").evaluate_all(
            "els => els.map(el => [el.dataset.change, el.textContent.trim()])"
        )
    )
    want_kpis, want_changes = expected_text(api)
    assert shown == want_kpis
    assert changes == want_changes
    assert page.locator("h1").inner_text() == api["scope"]["name"]


def look(page, name, viewport, errors):
    check_charts(page)
    check_kpis(page)
    if viewport is PHONE:
        assert_no_horizontal_scroll(page)
    screenshot(page, f"dashboard-{name}-{viewport['width']}")
    assert errors == []


def click_first_bar(page):
    """Click the first bar of the one-level-down chart (ECharts draws on a canvas)."""
    chart = page.locator("[data-chart='children']")
    chart.scroll_into_view_if_needed()
    x, y = chart.evaluate(
        "el => { const c = echarts.getInstanceByDom(el);"
        " const v = c.getOption().series[0].data[0] || 1;"
        " return c.convertToPixel({seriesIndex: 0}, [v / 2, 0]); }"
    )
    box = chart.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def drill(page, month):
    """Open the first unit (or manager) of the drill-down table, keeping the month."""
    link = page.locator("#drilldown a[data-drill]").first
    name = link.inner_text()
    link.click()
    page.wait_for_function(f"document.querySelector('h1').textContent.trim() === {name!r}")
    assert query(page)["month"] == month
    return name


def test_dashboard_charts_figures_and_drill_down(browser, live_server, demo):
    """The three users and both widths in one test: building the demo is the slow part, so
    it is built once (each walk only reads)."""
    for who in ("leader", "center", "department"):
        for viewport in (DESKTOP, PHONE):
            walk_down(browser, live_server, who, viewport)
    published_month(browser, live_server)


def walk_down(browser, live_server, who, viewport):
    context, page, errors = open_page(browser, live_server, viewport, USERS[who])
    look(page, f"{who}-this-month", viewport, errors)

    last_month = f"{add_months(timezone.localdate(), -1):%Y-%m}"
    with page.expect_navigation():
        page.locator("#id_month").select_option(last_month)
    assert query(page)["month"] == last_month
    look(page, who, viewport, errors)

    levels = {"leader": ["center", "department"], "center": ["department"], "department": []}
    for n, level in enumerate(levels[who]):
        if who == "leader" and n == 0 and viewport is DESKTOP:
            first = page.locator("#drilldown a[data-drill]").first.inner_text()
            click_first_bar(page)
            page.wait_for_function(f"document.querySelector('h1').textContent.trim() === {first!r}")
            assert query(page)["month"] == last_month
        else:
            drill(page, last_month)
        look(page, f"{who}-{level}", viewport, errors)
        # Breadcrumbs lead back up with the month kept.
        crumbs = page.locator("nav[aria-label] .breadcrumb a")
        assert crumbs.count() >= 1
        assert f"month={last_month}" in crumbs.last.get_attribute("href")

    drill(page, last_month)
    assert "manager" in query(page)
    look(page, f"{who}-manager", viewport, errors)
    shop = page.locator("#retailers tbody th a").first
    shop_name = shop.inner_text()
    shop.click()
    page.wait_for_url("**/retailers/*/")
    assert page.get_by_role("heading", name=shop_name).is_visible()
    assert errors == []
    context.close()


def published_month(browser, live_server):
    """The demo publishes the last complete quarter: its last month has scores."""
    today = timezone.localdate()
    quarter_end = add_months(today.replace(day=1, month=(today.month - 1) // 3 * 3 + 1), -1)
    context, page, errors = open_page(browser, live_server, DESKTOP, USERS["leader"])
    page.goto(f"{live_server.url}/dashboard/?month={quarter_end:%Y-%m}")
    look(page, "leader-published", DESKTOP, errors)
    assert page.locator("[data-chart='scores'] canvas").count() == 1
    # The charts follow the window: narrower after a resize to a phone's width.
    trend = page.locator("[data-chart='trend'] canvas")
    wide = trend.evaluate("c => c.getBoundingClientRect().width")
    page.set_viewport_size(PHONE)
    page.wait_for_function(
        "document.querySelector(\"[data-chart='trend'] canvas\")"
        f".getBoundingClientRect().width < {wide / 2}"
    )
    assert errors == []
    context.close()
