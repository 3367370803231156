"""Filter forms on a desktop (1440×900): the fields sit side by side at their natural width
with the buttons at the end of the row (not one narrow column); on a phone they stack.

Screenshots of two list pages land in artifacts/screenshots/ (filters-*-desktop.png).
"""

import pytest

from tests.browser.conftest import assert_no_horizontal_scroll, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1440, "height": 900}
# List page → at most this many visual rows of filter fields on a desktop.
PAGES = {"/retailers/": 2, "/visits/": 1}
FORM = "details.filter-card form"
# One of each kind of the other filter forms: a .card form, a django-filter list, a report.
OTHER_PAGES = ("/assessment/ranking/", "/complaints/", "/reports/visit-completion/")
BOXES = """form => [...form.children].filter(el => el.offsetParent !== null && el.type !== 'hidden')
  .map(el => { const r = el.getBoundingClientRect(); return [r.top, r.bottom, r.left]; })"""


def visual_rows(page, form=FORM):
    """The form's children grouped by line: a child starts a line below the previous one."""
    rows = []
    for top, bottom, left in page.eval_on_selector(form, BOXES):
        if rows and top < rows[-1]["bottom"] - 1:
            rows[-1]["lefts"].append(left)
            rows[-1]["bottom"] = max(rows[-1]["bottom"], bottom)
        else:
            rows.append({"bottom": bottom, "lefts": [left]})
    return [row["lefts"] for row in rows]


def test_filters_sit_in_a_row_on_a_desktop_and_stack_on_a_phone(browser, live_server, org):
    context = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, locale="zh-CN", device_scale_factor=1
    )
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("工号").fill(org.a.dept_supervisor.employee_no)
    page.get_by_label("密码").fill(org.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    for url, most in PAGES.items():
        page.goto(url)
        page.locator("details.filter-card > summary").click()
        screenshot(page, f"filters-{url.strip('/')}-desktop")
        rows = visual_rows(page)
        assert len(rows) <= most, (url, rows)
        assert len(rows[0]) >= 5, (url, rows)  # side by side, not one narrow column
        button = page.get_by_role("button", name="应用").bounding_box()
        assert button["x"] > 400 and button["y"] >= page.locator(FORM).bounding_box()["y"]
    # The other filter forms (reports, ranking, audit, rates …) follow the same rule.
    for url in OTHER_PAGES:
        page.goto(url)
        if page.locator("details.filter-card").count():
            page.locator("details.filter-card > summary").click()
        rows = visual_rows(page, "main form[method=get].row")
        assert len(rows) <= 2 and len(rows[0]) >= 3, (url, rows)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/visits/")
    page.locator("details.filter-card > summary").click()
    rows = visual_rows(page)
    assert max(len(lefts) for lefts in rows) <= 2 and len(rows) >= 3, rows
    screenshot(page, "filters-visits-phone")
    page.goto("/assessment/ranking/")  # a .card form: two fields a line, no sideways scroll
    rows = visual_rows(page, "main form[method=get].row")
    assert max(len(lefts) for lefts in rows) <= 2, rows
    assert_no_horizontal_scroll(page)
    screenshot(page, "filters-ranking-phone")
    context.close()
