"""The commands of the reports app's scheduled jobs: each prints what it did per city and a
second run changes nothing and says so."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from reports.models import ManagerMonthKpi, RetailerOrderMonth
from tests.factories import OrderLineFactory, RetailerFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def orders(org):
    one = RetailerFactory(territory=org.a.territory, abc_class="A")
    two = RetailerFactory(territory=org.b.territory, abc_class="C")
    OrderLineFactory(retailer=one, quantity=10, order_date=date(2026, 10, 3))
    OrderLineFactory(retailer=one, quantity=5, order_date=date(2026, 10, 20))
    OrderLineFactory(retailer=two, quantity=3, order_date=date(2026, 10, 9))
    return one, two


def test_refresh_order_rollup_twice(org, orders):
    RetailerOrderMonth.objects.all().delete()  # the import would have queued it
    assert run("refresh_order_rollup", "2026-10") == (
        "C0 测试市烟草公司 2026-10: 2 retailers ordered, 18 条 net (changed).\n"
    )
    assert RetailerOrderMonth.objects.get(retailer=orders[0]).net_cartons == 15
    assert run("refresh_order_rollup", "2026-10") == (
        "C0 测试市烟草公司 2026-10: 2 retailers ordered, 18 条 net (nothing changed).\n"
    )


def test_refresh_kpis_twice(org, orders):
    assert run("refresh_kpis", "2026-10", "--company", "C0") == (
        "C0 测试市烟草公司 2026-10: 4 managers (changed).\n"
    )
    row = ManagerMonthKpi.objects.get(month=date(2026, 10, 1), manager=org.a.cm)
    assert row.sales_cartons == 15
    assert run("refresh_kpis", "2026-10") == (
        "C0 测试市烟草公司 2026-10: 4 managers (nothing changed).\n"
    )
