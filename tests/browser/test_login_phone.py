"""A customer manager logs in on a phone-sized screen and finds their territory."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_horizontal_scroll, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_logs_in_on_a_phone(phone, live_server, org):
    phone.goto(f"{live_server.url}/login/")
    assert phone.locator("html").get_attribute("lang") == "zh-hans"
    assert phone.get_by_label("工号").is_visible()
    assert_no_horizontal_scroll(phone)
    screenshot(phone, "login-phone")

    phone.get_by_label("工号").fill(org.a.cm.employee_no)
    phone.get_by_label("密码").fill(org.password)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(f"{live_server.url}/")
    assert phone.get_by_role("heading", name=f"您好，{org.a.cm.name}").is_visible()
    assert phone.get_by_text(org.a.territory.name).is_visible()
    assert_no_horizontal_scroll(phone)
    screenshot(phone, "home-manager-phone")

    # The collapsed menu opens with the thumb and offers logging out.
    # Wait for the collapse to finish opening before the click: a click during Bootstrap's
    # height transition can land while the button is still clipped (a CI flake on a loaded
    # machine), and the navigation is awaited together with the click that starts it.
    phone.get_by_role("button", name="菜单").click()
    phone.locator("#main-nav.collapse.show").wait_for(state="visible")
    logout = phone.get_by_role("button", name="退出登录")
    expect(logout).to_be_visible()
    with phone.expect_navigation(url=f"{live_server.url}/login/"):
        logout.click()
    assert phone.get_by_label("工号").is_visible()


def test_wrong_password_message_in_chinese(phone, live_server, org):
    phone.goto(f"{live_server.url}/login/")
    phone.get_by_label("工号").fill(org.a.cm.employee_no)
    phone.get_by_label("密码").fill("not-the-password")
    phone.get_by_role("button", name="登录").click()
    assert phone.get_by_role("alert").inner_text().startswith("请输入一个正确的")
    screenshot(phone, "login-error-phone")


def test_supervisor_org_tree_on_desktop(browser, live_server, org):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("工号").fill(org.a.center_supervisor.employee_no)
    page.get_by_label("密码").fill(org.password)
    page.get_by_role("button", name="登录").click()
    page.locator("#main-nav").get_by_role("link", name="组织架构").click()
    assert page.get_by_text(org.a.territory.name).is_visible()
    assert page.get_by_text(org.b.territory.name).count() == 0
    screenshot(page, "org-tree-desktop")
    context.close()
