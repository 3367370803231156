"""On a phone (390×844, location granted) today's route shows how far each shop is and
links to the map app and the phone; the unplanned visit lists the nearest shops. In WeChat's
built-in browser the app says to open the system browser."""

from datetime import date
from decimal import Decimal

import pytest

from tests.browser.conftest import assert_no_horizontal_scroll, screenshot
from tests.factories import RetailerFactory
from visits.geo import geo_uri
from visits.models import VisitPlan
from visits.services.plans import plans_generate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_390 = {"width": 390, "height": 844}
HERE = {"latitude": 31.95, "longitude": 118.85}
WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 13; V2219A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 "
    "MMWEBSDK/20231202 MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 "
    "Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)


def shop(territory, name, lat, lng, phone=""):
    return RetailerFactory(
        territory=territory,
        shop_name=name,
        abc_class="C",
        phone=phone,
        address=f"{name}所在的东江市很长很长的测试路一百二十三号附近",
        latitude=Decimal(lat),
        longitude=Decimal(lng),
    )


def test_route_distances_links_and_nearby_shops(browser, live_server, org):
    today = date.today()
    # Distances from HERE by hand (R = 6,371,000 m): 300 m north, 944 m east, 4,003 m north.
    near = shop(org.a.territory, "惠民便利店", "31.952700", "118.850000", phone="025-8888 1234")
    shop(org.a.territory, "东门烟酒商行（二十四小时营业）", "31.950000", "118.860000")
    shop(org.a.territory, "远郊烟酒店", "31.986000", "118.850000")
    shop(org.a.territory2, "同事的店", "31.950000", "118.850000")  # 0 m, not his
    plans_generate(month=today, today=today)
    VisitPlan.objects.filter(manager=org.a.cm).update(scheduled_for=today)

    context = browser.new_context(
        viewport=PHONE_390,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation=HERE,
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("工号").fill(org.a.cm.employee_no)
    page.get_by_label("密码").fill(org.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/visits/today/")
    row = page.locator(".route-stop", has_text="惠民便利店")
    row.locator(".route-distance").get_by_text("距此 300 m").wait_for()
    distances = {
        name: page.locator(".route-stop", has_text=name).locator(".route-distance").inner_text()
        for name in ("惠民便利店", "东门烟酒商行", "远郊烟酒店")
    }
    assert distances == {
        "惠民便利店": "距此 300 m",
        "东门烟酒商行": "距此 940 m",
        "远郊烟酒店": "距此 4.0 km",
    }
    nav = row.get_by_role("link", name="导航")
    assert nav.get_attribute("href") == geo_uri("31.952700", "118.850000", "惠民便利店")
    call = row.get_by_role("link", name="打电话")
    assert call.get_attribute("href") == "tel:02588881234"
    assert call.bounding_box()["height"] >= 48 and nav.bounding_box()["height"] >= 48
    # Shops without a phone number have no call button.
    assert page.locator(".route-call").count() == 1
    assert page.locator("#browser-check").is_hidden()
    assert_no_horizontal_scroll(page)
    screenshot(page, "route-today-390")

    page.get_by_role("link", name="计划外走访").click()
    page.locator(".nearby-shop").first.wait_for()
    shops = [
        (item.locator(".fw-semibold").inner_text(), item.locator(".nearby-distance").inner_text())
        for item in page.locator(".nearby-shop").all()
    ]
    assert shops == [
        ("惠民便利店", "300 m"),
        ("东门烟酒商行（二十四小时营业）", "940 m"),
        ("远郊烟酒店", "4.0 km"),
    ]
    assert page.get_by_role("searchbox").is_visible()  # the search stays
    assert_no_horizontal_scroll(page)
    screenshot(page, "route-nearby-390")
    page.locator(".nearby-shop").first.click()
    page.wait_for_url(f"{live_server.url}/visits/new/?retailer={near.pk}")
    context.close()


def test_wechat_browser_shows_the_banner(browser, live_server):
    context = browser.new_context(
        viewport=PHONE_390,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        user_agent=WECHAT_UA,
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    banner = page.locator("#browser-check")
    banner.wait_for()
    assert banner.get_by_text("这是微信的内置浏览器").is_visible()
    assert banner.get_by_text("请用系统浏览器打开本页面。").is_visible()
    assert banner.get_by_text("点右上角 ···，再点“在浏览器打开”。").is_visible()
    assert_no_horizontal_scroll(page)
    screenshot(page, "route-wechat-banner-390")
    banner.get_by_role("button", name="复制链接").click()
    banner.get_by_text("链接已复制").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == f"{live_server.url}/login/"
    banner.get_by_role("button", name="关闭").click()
    assert banner.is_hidden()
    page.reload()  # closed for this tab
    assert page.locator("#browser-check").is_hidden()
    context.close()
