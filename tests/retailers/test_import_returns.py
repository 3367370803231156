"""Returns (退货, DOMAIN §10.5) through the order import: a negative line naming its original.

Both staging paths (``insert`` everywhere, ``copy`` on PostgreSQL) give the same results.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from imports.kinds import import_file
from retailers.imports.orders import OrderImporter
from retailers.models import OrderLine
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = [
    "订单号",
    "许可证号",
    "规格编码",
    "订单日期",
    "数量（条）",
    "金额（元）",
    "按时结算",
    "原订单号",
]
SOLD = [
    ["DD001", "320100000001", "B100", "2026-10-08", "10", "2850.00", "是", ""],
    ["DD001", "320100000001", "B200", "2026-10-08", "4", "480.00", "是", ""],
]


@pytest.fixture(params=["insert", "copy"])
def method(request):
    if request.param == "copy" and not OrderImporter.can_copy():
        pytest.skip("COPY needs PostgreSQL")
    return request.param


@pytest.fixture
def shop(org):
    BrandFactory(code="B100", wholesale_price=Decimal("285.00"))
    BrandFactory(code="B200", wholesale_price=Decimal("120.00"))
    return {
        "one": RetailerFactory(license_no="320100000001", territory=org.a.territory),
        "two": RetailerFactory(license_no="320100000002", territory=org.a.territory),
    }


def errors(report):
    return [(e.row, e.column, e.value, e.reason) for e in report.errors]


def lines():
    return sorted(
        (o.source_order_no, o.brand.code, o.quantity, o.amount, o.returns_line_id)
        for o in OrderLine.objects.select_related("brand")
    )


def test_a_return_in_the_same_file_and_a_later_one_are_linked_to_their_line(
    shop, write_csv, method
):
    before = timezone.now()
    first = [
        HEADER,
        *SOLD,
        ["TH01", "320100000001", "B100", "2026-10-20", "-3", "-855.00", "是", "DD001"],
    ]
    report = import_file("orders", write_csv(first), method=method)
    assert report.errors == []
    assert (report.rows, report.created) == (3, 3)

    later = [["TH02", "320100000001", "B100", "2026-11-02", "-7", "-1995.00", "否", "DD001"]]
    report = import_file("orders", write_csv([HEADER, *later], name="later.csv"), method=method)
    assert report.errors == []
    assert report.created == 1

    original = OrderLine.objects.get(source_order_no="DD001", brand__code="B100").pk
    assert lines() == [
        ("DD001", "B100", 10, Decimal("2850.00"), None),
        ("DD001", "B200", 4, Decimal("480.00"), None),
        ("TH01", "B100", -3, Decimal("-855.00"), original),
        ("TH02", "B100", -7, Decimal("-1995.00"), original),
    ]
    # Every new line records when it arrived (the import's time).
    assert all(o.arrived_at >= before for o in OrderLine.objects.all())
    # Importing the return again changes nothing (3 + 7 = 10 is not exceeded twice).
    again = import_file("orders", write_csv([HEADER, *later], name="again.csv"), method=method)
    assert again.ok, again.errors
    assert (again.created, again.unchanged) == (0, 1)


def test_returns_beyond_the_quantity_or_without_an_original_are_refused(shop, write_csv, method):
    import_file("orders", write_csv([HEADER, *SOLD]), method=method)
    OrderLineFactory(  # an earlier return of 6 of the 10 条 of DD001/B100
        source_order_no="TH00",
        retailer=shop["one"],
        brand=OrderLine.objects.get(source_order_no="DD001", brand__code="B100").brand,
        quantity=-6,
        amount=Decimal("-1710.00"),
        returns_line=OrderLine.objects.get(source_order_no="DD001", brand__code="B100"),
    )
    rows = [
        HEADER,
        ["TH01", "320100000001", "B100", "2026-10-20", "-3", "-855.00", "是", "DD001"],  # 2: 6+3+2
        ["TH02", "320100000001", "B100", "2026-10-21", "-2", "-570.00", "是", "DD001"],  # 3: 11>10
        ["TH03", "320100000001", "B100", "2026-10-21", "-1", "-285.00", "是", "DD999"],  # 4: none
        ["TH04", "320100000002", "B200", "2026-10-21", "-1", "-120.00", "是", "DD001"],  # 5: other
        ["TH05", "320100000001", "B200", "2026-10-21", "-1", "120.00", "是", "DD001"],  # 6: sign
        ["TH06", "320100000001", "B200", "2026-10-21", "-1", "-120.00", "是", ""],  # 7: no original
        ["DD007", "320100000001", "B200", "2026-10-21", "1", "120.00", "是", "DD001"],  # 8: sale
    ]
    report = import_file("orders", write_csv(rows, name="returns.csv"), method=method)

    missing = (
        "No order line of this retailer and brand has this order number: a return names the "
        "order line it returns."
    )
    too_many = "All returns of this order line come to 11 条, more than the 10 条 ordered."
    assert errors(report) == [
        (2, "原订单号", "DD001 / B100", too_many),
        (3, "原订单号", "DD001 / B100", too_many),
        (4, "原订单号", "DD999", missing),
        (5, "原订单号", "DD001", missing),
        (
            6,
            "金额（元）",
            "120.00",
            "A return has a negative quantity and a negative amount; an order line has both "
            "positive.",
        ),
        (
            7,
            "原订单号",
            "",
            "A return (negative quantity) names the order number of the line it returns.",
        ),
        (
            8,
            "原订单号",
            "DD001",
            "Only a return (negative quantity) names an original order number.",
        ),
    ]
    assert OrderLine.objects.count() == 3  # nothing written


def test_the_database_refuses_inconsistent_signs(shop):
    sale = OrderLineFactory(retailer=shop["one"], quantity=5)
    bad = [
        {"quantity": -1, "amount": Decimal("-1")},  # a return naming nothing
        {"quantity": 1, "amount": Decimal("1"), "returns_line": sale},  # a sale naming a line
        {"quantity": -1, "amount": Decimal("1"), "returns_line": sale},  # signs differ
    ]
    for values in bad:
        with pytest.raises(IntegrityError), transaction.atomic():
            OrderLineFactory(retailer=shop["one"], brand=sale.brand, **values)
    OrderLineFactory(
        retailer=shop["one"], brand=sale.brand, quantity=-1, amount=Decimal("-1"), returns_line=sale
    )


def test_clean_refuses_another_brand_and_returns_beyond_the_quantity(shop):
    sale = OrderLineFactory(retailer=shop["one"], quantity=5)
    OrderLineFactory(
        retailer=shop["one"], brand=sale.brand, quantity=-3, amount=Decimal("-3"), returns_line=sale
    )
    other = BrandFactory(code="B300")
    with pytest.raises(ValidationError) as error:
        OrderLine(
            retailer=shop["one"], brand=other, quantity=-1, amount=Decimal("-1"), returns_line=sale
        ).clean()
    assert error.value.message_dict == {
        "returns_line": ["A return names an order line of the same retailer and brand."]
    }
    with pytest.raises(ValidationError) as error:  # 3 + 3 > 5
        OrderLine(
            retailer=shop["one"],
            brand=sale.brand,
            quantity=-3,
            amount=Decimal("-3"),
            returns_line=sale,
        ).clean()
    assert error.value.message_dict == {
        "quantity": ["All returns of an order line may not exceed its quantity."]
    }
    OrderLine(
        retailer=shop["one"], brand=sale.brand, quantity=-2, amount=Decimal("-2"), returns_line=sale
    ).clean()  # 3 + 2 = 5: allowed
