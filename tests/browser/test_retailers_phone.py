"""A customer manager finds a retailer on a phone and reads its management card."""

from datetime import date

import pytest

from retailers.services import classification_run
from tests.browser.conftest import assert_no_horizontal_scroll, screenshot
from tests.factories import OrderLineFactory, RetailerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_searches_and_opens_a_card(phone, live_server, org):
    shop = RetailerFactory(territory=org.a.territory, shop_name="惠民便利店", retail_format="B")
    RetailerFactory(territory=org.a.territory, shop_name="兴隆超市", retail_format="S")
    RetailerFactory(territory=org.b.territory, shop_name="别处烟酒行")
    OrderLineFactory(retailer=shop, order_date=date.today().replace(day=1), quantity=250)
    classification_run(month=date.today())

    phone.goto(f"{live_server.url}/login/")
    phone.get_by_label("工号").fill(org.a.cm.employee_no)
    phone.get_by_label("密码").fill(org.password)
    phone.get_by_role("button", name="登录").click()
    phone.get_by_role("link", name="零售户").last.click()
    assert phone.get_by_role("link", name="兴隆超市").is_visible()
    assert phone.get_by_text("别处烟酒行").count() == 0
    assert_no_horizontal_scroll(phone)

    phone.get_by_text("筛选").click()
    phone.get_by_label("搜索").fill("惠民")
    phone.get_by_role("button", name="应用").click()
    assert phone.get_by_text("兴隆超市").count() == 0
    screenshot(phone, "retailer-list-phone")

    phone.get_by_role("link", name="惠民便利店").click()
    assert phone.get_by_role("heading", name="惠民便利店").is_visible()
    assert phone.get_by_text("零售户管理卡").is_visible()
    assert phone.get_by_text(date.today().strftime("%Y-%m")).first.is_visible()
    assert_no_horizontal_scroll(phone)
    screenshot(phone, "retailer-card-phone")
