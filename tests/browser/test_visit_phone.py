"""A customer manager logs a planned visit on a phone, online and offline."""

from datetime import date
from decimal import Decimal

import pytest

from retailers.models import KeyBrandMonth, month_start
from tests.browser.conftest import PHONE, assert_no_horizontal_scroll, screenshot
from tests.factories import BrandFactory, RetailerFactory
from visits.models import InformationItem, ShelfObservation, Visit, VisitPlan
from visits.services.plans import plans_generate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOP = {"latitude": 31.95, "longitude": 118.85}


@pytest.fixture
def planned(org):
    """Today's first stop of org.a.cm, and two brands worth checking there."""
    today = date.today()
    territory = org.a.territory
    territory.latitude, territory.longitude = Decimal("31.950000"), Decimal("118.850000")
    territory.save()
    shop = RetailerFactory(
        territory=territory,
        shop_name="惠民便利店",
        abc_class="C",
        latitude=Decimal("31.950000"),
        longitude=Decimal("118.850000"),
    )
    new_brand = BrandFactory(name="南京（雨花石）", launch_date=today.replace(day=1))
    key_brand = BrandFactory(name="黄山（红方印）")
    KeyBrandMonth.objects.create(brand=key_brand, month=month_start(today))
    BrandFactory(name="红塔山（硬经典）")  # not listed first: reached through "其他规格"
    plans_generate(month=today, today=today)
    plan = VisitPlan.objects.get(retailer=shop)
    plan.scheduled_for = today
    plan.save()
    return shop, plan, new_brand, key_brand


def phone_page(browser, live_server, org, *, offline_ready=False):
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation=SHOP,
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("工号").fill(org.a.cm.employee_no)
    page.get_by_label("密码").fill(org.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    return context, page


def fill_visit(page, new_brand, key_brand):
    page.get_by_role("button", name="签到").click()
    page.get_by_text("已签到").wait_for()
    for brand, answer in ((new_brand, "已上柜"), (key_brand, "未上柜")):
        row = page.locator(f".shelf-row[data-brand='{brand.pk}']")
        row.get_by_text(answer, exact=True).click()
    page.locator(f".shelf-row[data-brand='{new_brand.pk}'] .price").fill("26.5")
    page.get_by_role("button", name="+ 添加信息").click()
    page.locator(".info-row select").select_option("price")
    page.locator(".info-row textarea").fill("南京（雨花石）零售价偏高")


def test_planned_visit_from_todays_route(browser, live_server, org, planned):
    shop, plan, new_brand, key_brand = planned
    context, page = phone_page(browser, live_server, org)
    page.goto(f"{live_server.url}/visits/today/")
    assert page.get_by_text("惠民便利店").first.is_visible()
    assert_no_horizontal_scroll(page)
    screenshot(page, "visits-today-phone")
    page.get_by_role("link", name="开始走访").first.click()
    page.wait_for_url("**/visits/new/?plan=*")
    # New and key brands come first on the shelf check.
    first_two = page.locator("#shelf-list .shelf-row").evaluate_all(
        "rows => rows.slice(0, 2).map(r => Number(r.dataset.brand))"
    )
    assert set(first_two) == {new_brand.pk, key_brand.pk}
    fill_visit(page, new_brand, key_brand)
    page.locator("#add-brand").select_option(label="红塔山（硬经典）")
    page.get_by_role("button", name="添加", exact=True).click()
    page.locator(".shelf-row").filter(has_text="红塔山（硬经典）").get_by_text(
        "未上柜", exact=True
    ).click()
    assert_no_horizontal_scroll(page)
    screenshot(page, "visit-form-phone")
    page.get_by_role("button", name="签退并提交").click()
    page.wait_for_url("**/visits/?submitted=1")
    assert page.get_by_text("走访已提交").is_visible()
    assert page.get_by_role("link", name="惠民便利店").is_visible()
    screenshot(page, "visit-list-phone")
    context.close()

    visit = Visit.objects.get()
    assert (visit.retailer, visit.plan, visit.location_status, visit.distance_m) == (
        shop,
        plan,
        "ok",
        0,
    )
    shelf = {o.brand.name: (o.on_shelf, o.retail_price) for o in ShelfObservation.objects.all()}
    assert shelf == {
        new_brand.name: (True, Decimal("26.50")),
        key_brand.name: (False, None),
        "红塔山（硬经典）": (False, None),
    }
    assert InformationItem.objects.get().content == "南京（雨花石）零售价偏高"


def test_offline_visit_is_sent_when_back_online(browser, live_server, org, planned):
    shop, plan, new_brand, key_brand = planned
    context, page = phone_page(browser, live_server, org)
    page.goto(f"{live_server.url}/visits/new/?plan={plan.pk}")
    fill_visit(page, new_brand, key_brand)
    context.set_offline(True)
    page.get_by_role("button", name="签退并提交").click()
    page.get_by_text("当前无网络").wait_for()
    outbox = page.locator("#outbox-status")
    assert outbox.get_attribute("data-count") == "1"
    assert outbox.is_visible()
    screenshot(page, "visit-offline-phone")
    assert Visit.objects.count() == 0

    context.set_offline(False)
    page.wait_for_function(
        "document.getElementById('outbox-status').dataset.count === '0'", timeout=15000
    )
    assert Visit.objects.count() == 1
    assert ShelfObservation.objects.count() == 2
    page.goto(f"{live_server.url}/visits/")
    assert page.get_by_role("link", name="惠民便利店").is_visible()
    context.close()
