"""Assignment history: sales are credited to the manager assigned on the order date."""

from datetime import date

import pytest

from retailers.models import RetailerAssignment
from retailers.selectors import credited_sales
from retailers.services import assignments_sync, retailer_update, territory_set_manager
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory, UserFactory

pytestmark = pytest.mark.django_db


def history(retailer):
    return list(
        RetailerAssignment.objects.filter(retailer=retailer)
        .order_by("valid_from")
        .values_list("territory__code", "manager__employee_no", "valid_from", "valid_to")
    )


def test_transfer_and_manager_change_make_history(org):
    shop = RetailerFactory(territory=org.a.territory, on=date(2026, 1, 1))
    retailer_update(retailer=shop, territory=org.a.territory2, on=date(2026, 10, 16))
    newcomer = UserFactory(employee_no="1A09", org_unit=org.a.department)
    territory_set_manager(territory=org.a.territory2, manager=newcomer, on=date(2026, 11, 1))
    assert history(shop) == [
        ("T-A1", "1A01", date(2026, 1, 1), date(2026, 10, 16)),
        ("T-A2", "1A02", date(2026, 10, 16), date(2026, 11, 1)),
        ("T-A2", "1A09", date(2026, 11, 1), None),
    ]


def test_sync_is_idempotent_and_same_day_change_replaces(org):
    shop = RetailerFactory(territory=org.a.territory, on=date(2026, 3, 1))
    assert assignments_sync(on=date(2026, 4, 1)) == 0
    retailer_update(retailer=shop, territory=org.a.territory2, on=date(2026, 3, 1))
    assert history(shop) == [("T-A2", "1A02", date(2026, 3, 1), None)]


def test_sales_credited_by_order_date(org):
    one, three = BrandFactory(price_class=1), BrandFactory(price_class=3)
    shop = RetailerFactory(territory=org.a.territory, on=date(2026, 1, 1))
    OrderLineFactory(retailer=shop, brand=one, order_date=date(2026, 10, 15), quantity=100)
    OrderLineFactory(retailer=shop, brand=three, order_date=date(2026, 10, 15), quantity=30)
    OrderLineFactory(retailer=shop, brand=one, order_date=date(2026, 10, 16), quantity=40)
    OrderLineFactory(retailer=shop, brand=one, order_date=date(2026, 11, 1), quantity=999)
    retailer_update(retailer=shop, territory=org.a.territory2, on=date(2026, 10, 16))
    rows = list(credited_sales(start=date(2026, 10, 1), end=date(2026, 11, 1)))
    assert rows == [
        {"manager_id": org.a.cm.pk, "price_class": 1, "cartons": 100},
        {"manager_id": org.a.cm.pk, "price_class": 3, "cartons": 30},
        {"manager_id": org.a.cm2.pk, "price_class": 1, "cartons": 40},
    ]


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026-10", date(2026, 10, 1)),
        ("2026-10-17", date(2026, 10, 1)),
        (" 2027-01 ", date(2027, 1, 1)),
    ],
)
def test_parse_month(text, month):
    from retailers.models import parse_month

    assert parse_month(text) == month


@pytest.mark.parametrize("text", ["2026-13", "10/2026", "", "2026"])
def test_parse_month_refuses(text):
    from retailers.models import parse_month

    with pytest.raises(ValueError):
        parse_month(text)


def test_commands_refuse_a_bad_month():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="parse_month"):
        call_command("close_month", "2026/10")
