"""A customer manager logs a planned visit on a phone, online and offline; the shortened
shelf check with its shortcuts; a refused visit corrected and sent again."""

import io
import json
import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image

from retailers.models import KeyBrandMonth, month_start
from tests.browser.conftest import PHONE, assert_no_horizontal_scroll, screenshot
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory
from visits.models import InformationItem, ShelfObservation, Visit, VisitPhoto, VisitPlan
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


def phone_page(browser, live_server, org, *, offline_ready=False, viewport=PHONE):
    context = browser.new_context(
        viewport=viewport,
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


def test_offline_visit_waits_on_the_route_and_is_sent_when_back_online(
    browser, live_server, org, planned
):
    shop, plan, new_brand, key_brand = planned
    context, page = phone_page(browser, live_server, org)
    # Online once, under the service worker, which keeps today's route for offline use.
    page.goto(f"{live_server.url}/visits/today/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=10000)
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

    # Back on today's route, still offline: the stop waits to be sent, it is not to start.
    page.goto(f"{live_server.url}/visits/today/")
    stop = page.locator(f".route-stop[data-plan='{plan.pk}']")
    stop.locator("[data-outbox-badge]").get_by_text("待发送").wait_for()
    assert not stop.get_by_role("link", name="开始走访").is_visible()
    screenshot(page, "visits-today-waiting-phone")

    context.set_offline(False)
    stop.locator("[data-outbox-badge]").get_by_text("已发送").wait_for(timeout=15000)
    assert page.locator("#outbox-status").get_attribute("data-count") == "0"
    assert Visit.objects.count() == 1
    assert ShelfObservation.objects.count() == 2
    page.reload()
    assert stop.get_by_text("已访", exact=True).is_visible()
    assert "已访 1 户" in page.locator("main").inner_text()
    context.close()


TALL_PHONE = {"width": 390, "height": 844}


@pytest.fixture
def fifteen_brands(planned):
    """The planned shop sells 13 more brands: 15 on its shelf check, 2 of them new or key."""
    shop, plan, new_brand, key_brand = planned
    others = [BrandFactory(name=f"常销{n:02d}") for n in range(12)]
    others.append(BrandFactory._meta.model.objects.get(name="红塔山（硬经典）"))
    for brand in others:
        OrderLineFactory(retailer=shop, brand=brand, order_date=date.today(), quantity=5)
    # Last time: the key brand on shelf (low stock, ¥12.50), the first other brand not.
    at = timezone.now() - timedelta(days=7)
    last = Visit.objects.create(
        manager=plan.manager,
        retailer=shop,
        territory=shop.territory,
        checked_in_at=at,
        check_in_date=timezone.localdate(at),
    )
    for brand, on_shelf, price, stock in (
        (key_brand, True, "12.50", "low"),
        (others[0], False, None, ""),
    ):
        ShelfObservation.objects.create(
            visit=last,
            retailer=shop,
            observed_at=at,
            brand=brand,
            on_shelf=on_shelf,
            retail_price=price,
            stock_level=stock,
        )
    return others


def camera_photo() -> bytes:
    """A 4000×3000 camera-like JPEG of some 12 MB (noise does not compress)."""
    image = Image.frombytes("RGB", (4000, 3000), os.urandom(4000 * 3000 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def test_short_shelf_check_with_a_shortcut_at_390(
    browser, live_server, org, planned, fifteen_brands, settings
):
    shop, plan, new_brand, key_brand = planned
    context, page = phone_page(browser, live_server, org, viewport=TALL_PHONE)
    page.goto(f"{live_server.url}/visits/new/?plan={plan.pk}")
    page.get_by_role("button", name="签到").click()
    page.get_by_text("已签到").wait_for()
    assert page.locator("#shelf-list .shelf-row").count() == 2  # new and key: open
    assert page.locator("#shelf-more-list .shelf-row").count() == 13  # the rest: folded
    assert not page.locator("#shelf-more-list").is_visible()

    # "As last time" answers the brands of the last visit; each stays open to change.
    page.get_by_role("button", name="按上次").click()
    page.get_by_text("已按上次填好").wait_for()
    key_row = page.locator(f".shelf-row[data-brand='{key_brand.pk}']")
    assert page.locator(f"#on-{key_brand.pk}").is_checked()
    assert key_row.locator(".stock").input_value() == "low"
    assert key_row.locator(".price").get_attribute("placeholder") == "上次 ¥12.50"
    assert page.locator(f"#off-{fifteen_brands[0].pk}").is_checked()
    assert not page.locator(f"#on-{new_brand.pk}").is_checked()

    page.get_by_role("button", name="全部上柜").click()
    page.get_by_text("已全部标为上柜").wait_for()
    assert page.locator("#shelf-more summary").inner_text().endswith("已填 13/13 · 上柜 13")
    shelf_height = page.locator("#shelf-card").bounding_box()["height"]
    document_height = page.evaluate("document.documentElement.scrollHeight")
    assert_no_horizontal_scroll(page)
    screenshot(page, "visit-form-short-390")
    # The shelf check fits one screen (it was some 4,000 px); the whole form about two.
    assert shelf_height <= TALL_PHONE["height"], shelf_height
    assert document_height <= 2 * TALL_PHONE["height"], document_height

    # Change one folded brand; answer the new brand's price; out of stock asks, never blocks.
    page.locator("#shelf-more summary").click()
    changed = fifteen_brands[0]
    page.locator(f".shelf-row[data-brand='{changed.pk}']").get_by_text("未上柜", exact=True).click()
    new_row = page.locator(f".shelf-row[data-brand='{new_brand.pk}']")
    new_row.locator(".price").fill("26.5")
    new_row.locator(".stock").select_option("none")
    new_row.get_by_text("已上柜却断货？").wait_for()
    new_row.get_by_role("button", name="是的，没错").click()
    assert not new_row.locator(".shelf-question").is_visible()
    key_row.locator(".price").fill("99")  # the usual price is 12.00 (wholesale ÷ 10)
    key_row.get_by_text("相差较大").wait_for()

    # A 12 MB camera photo is made smaller on the phone; a second one is removed before sending.
    photo = {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": camera_photo()}
    assert len(photo["buffer"]) > 10 * 1024 * 1024
    page.locator("#photos").set_input_files([photo])
    page.wait_for_function("document.getElementById('visit-form').dataset.photos === '1'")
    page.locator("#photos").set_input_files([dict(photo, name="IMG_0002.jpg")])
    page.wait_for_function("document.getElementById('visit-form').dataset.photos === '2'")
    page.get_by_role("button", name="删除照片").last.click()
    assert page.locator(".photo-thumb").count() == 1
    screenshot(page, "visit-form-shortcut-changed-390")
    page.get_by_role("button", name="签退并提交").click()
    page.wait_for_url("**/visits/?submitted=1", timeout=20000)
    context.close()

    visit = Visit.objects.latest("checked_in_at")
    assert visit.shelf_shortcut == "all_on_shelf"
    shelf = {o.brand_id: (o.on_shelf, o.retail_price, o.stock_level) for o in visit.shelf.all()}
    assert len(shelf) == 15
    assert shelf[changed.pk] == (False, None, "")
    assert shelf[new_brand.pk] == (True, Decimal("26.50"), "none")
    assert shelf[key_brand.pk] == (True, Decimal("99.00"), "low")
    assert sum(on for on, _, _ in shelf.values()) == 14
    stored = VisitPhoto.objects.get(visit=visit)
    assert stored.size_bytes < 3 * 1024 * 1024
    assert max(Image.open(stored.image.path).size) == 1600


def test_refused_visit_is_corrected_and_sent_again(browser, live_server, org, planned):
    shop, plan, new_brand, key_brand = planned
    context, page = phone_page(browser, live_server, org)
    page.goto(f"{live_server.url}/visits/new/?plan={plan.pk}")
    page.get_by_role("button", name="签到").click()
    page.get_by_text("已签到").wait_for()
    # The phone's clock was a day ahead at check-in: the server refuses the visit.
    key = f"visit-draft-{shop.pk}"
    draft = json.loads(page.evaluate(f"localStorage.getItem('{key}')"))
    draft["checked_in_at"] = page.evaluate("new Date(Date.now() + 86400000).toISOString()")
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [key, json.dumps(draft)])
    page.reload()
    new_row = page.locator(f".shelf-row[data-brand='{new_brand.pk}']")
    new_row.get_by_text("已上柜", exact=True).click()
    page.locator("#notes").fill("店主外出")
    page.get_by_role("button", name="签退并提交").click()
    banner = page.locator("#fix-banner")
    banner.get_by_text("签到时间：").wait_for()
    assert "{" not in banner.inner_text()  # words, not JSON
    assert Visit.objects.count() == 0

    # Later, from today's route: the stop is to correct; the form reopens filled in.
    page.goto(f"{live_server.url}/visits/today/")
    stop = page.locator(f".route-stop[data-plan='{plan.pk}']")
    stop.get_by_text("待修改").wait_for()
    reason = page.locator("#outbox-status [data-outbox-reason]").first.inner_text()
    assert reason.startswith("未被接受：签到时间：") and "{" not in reason
    screenshot(page, "visits-today-refused-phone")
    stop.get_by_role("link", name="修改后重发").click()
    page.wait_for_url("**fix=*")
    page.locator("#times-card").wait_for()
    assert page.locator(f"#on-{new_brand.pk}").is_checked()
    assert page.locator("#notes").input_value() == "店主外出"
    assert page.locator("#fix-checked-in").get_attribute("class").count("is-invalid") == 1
    screenshot(page, "visit-form-refused-phone")
    page.locator("#fix-checked-in").fill(
        page.evaluate(
            "(() => { const d = new Date(Date.now() - 15 * 60000);"
            " d.setMinutes(d.getMinutes() - d.getTimezoneOffset());"
            " return d.toISOString().slice(0, 16); })()"
        )
    )
    page.get_by_role("button", name="重新提交").click()
    page.wait_for_url("**/visits/?submitted=1")
    assert page.locator("#outbox-status").get_attribute("data-count") == "0"
    context.close()

    visit = Visit.objects.get()
    assert visit.notes == "店主外出"
    assert visit.checked_in_at < visit.checked_out_at
    assert visit.checked_out_at - visit.checked_in_at < timedelta(minutes=20)
    assert [(o.brand_id, o.on_shelf) for o in visit.shelf.all()] == [(new_brand.pk, True)]
