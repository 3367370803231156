"""Returns (退货) in the figures (DOMAIN §10.4, §10.5), hand-computed.

November 2026. Brands: K (一类, key brand in November) and P (三类).

| manager | retailer | October | November | net per class | floored |
|---|---|---|---|---|---|
| cm  | r1 | K 300 (S0) | K 500, return of S0 −100; P 200 | K 400, P 200 | 600 条 = 2.4 箱 |
| cm2 | r2 | K 1000 (S1) | K 100, return of S1 −300; P 250 | K −200, P 250 | 0 + 250 = 1 箱 |
"""

from datetime import date
from decimal import Decimal

import pytest

from assessment.selectors import gather_inputs
from retailers.models import KeyBrandMonth
from retailers.selectors import credited_cartons, floored_cartons, floored_cartons_with_key
from retailers.services import classification_run
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory
from visits.selectors.rates import shelf_rate_counts

pytestmark = pytest.mark.django_db

OCT, NOV, DEC = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)


def sale(retailer, brand, day, quantity, *, no=None, settled=True):
    extra = {"source_order_no": no} if no else {}
    return OrderLineFactory(
        retailer=retailer,
        brand=brand,
        order_date=day,
        quantity=quantity,
        settled_on_time=settled,
        **extra,
    )


def give_back(original, day, quantity, *, settled=True):
    """A return of ``quantity`` 条 of ``original`` (negative quantity and amount)."""
    return OrderLineFactory(
        retailer=original.retailer,
        brand=original.brand,
        order_date=day,
        quantity=-quantity,
        amount=-original.brand.wholesale_price * quantity,
        returns_line=original,
        settled_on_time=settled,
    )


@pytest.fixture
def case(org):
    key = BrandFactory(code="K", price_class=1, wholesale_price=Decimal("285.00"))
    plain = BrandFactory(code="P", price_class=3, wholesale_price=Decimal("120.00"))
    KeyBrandMonth.objects.create(brand=key, month=NOV)
    r1 = RetailerFactory(territory=org.a.territory)
    r2 = RetailerFactory(territory=org.a.territory2)
    s0 = sale(r1, key, date(2026, 10, 20), 300)
    sale(r1, key, date(2026, 11, 3), 500)
    give_back(s0, date(2026, 11, 10), 100)
    sale(r1, plain, date(2026, 11, 5), 200)
    s1 = sale(r2, key, date(2026, 10, 5), 1000)
    sale(r2, key, date(2026, 11, 4), 100)
    give_back(s1, date(2026, 11, 12), 300)
    sale(r2, plain, date(2026, 11, 6), 250)
    return key, plain


def test_actual_boxes_net_per_price_class_floored_at_zero(case, org):
    cm, cm2 = org.a.cm, org.a.cm2
    # The plain net (returns counted in their own month) and the floored one.
    assert credited_cartons(start=NOV, end=DEC) == {cm.pk: 600, cm2.pk: 50}
    assert floored_cartons(start=NOV, end=DEC) == {cm.pk: 600, cm2.pk: 250}
    # The close reads both in one pass: every line, and the key brand's alone (K 400; K −200
    # floors at 0 for cm2).
    key_brands = KeyBrandMonth.objects.filter(month=NOV).values("brand_id")
    assert floored_cartons_with_key(start=NOV, end=DEC, key_brands=key_brands) == (
        {cm.pk: 600, cm2.pk: 250},
        {cm.pk: 400, cm2.pk: 0},
    )

    inputs = gather_inputs(NOV)
    assert inputs[cm.pk].sales_boxes == Decimal("2.4")  # (400 + 200) ÷ 250
    assert inputs[cm.pk].key_brand_boxes == Decimal("1.6")  # 400 ÷ 250
    # 一类 −200 floors at 0; 三类 250 is unaffected: 250 ÷ 250.
    assert inputs[cm2.pk].sales_boxes == Decimal("1")
    assert inputs[cm2.pk].key_brand_boxes == Decimal("0")
    # October keeps its own sales: returns count on their own date.
    assert floored_cartons(start=OCT, end=NOV) == {cm.pk: 300, cm2.pk: 1000}


def test_order_based_shelf_rate_ignores_return_lines(case, org):
    """r2's November key-brand lines are a sale and a return; r3's only line is a return."""
    key, plain = case
    r3 = RetailerFactory(territory=org.a.territory)
    october = sale(r3, plain, date(2026, 10, 2), 10)
    give_back(october, date(2026, 11, 20), 4)
    rows = shelf_rate_counts(month=NOV, level="territory", brand_ids=[key.pk, plain.pk])
    ordered = {(r["scope_id"], r["brand_id"]): (r["active"], r["ordered"]) for r in rows}
    t1, t2 = org.a.territory.pk, org.a.territory2.pk
    assert ordered[(t1, key.pk)] == (2, 1)  # r1
    assert ordered[(t1, plain.pk)] == (2, 1)  # r1 only: r3 returned, did not order
    assert ordered[(t2, key.pk)] == (1, 1)  # r2's sale of 100 (its return does not count)


def test_classification_floors_each_month_and_does_not_count_returns_as_orders(org):
    """Window of the run on 2026-11-01: August–October.

    August: DD1 300 条 settled. September: DD2 100 条 not settled, and a return (its own
    number, settled) of 200 条 of DD1: September's net −100 floors at 0. October: nothing.
    Volume 300 + 0 + 0 = 300 → average 100.00 (unfloored it would be 66.67). Orders for
    信誉: DD1 and DD2 (the return is not an order), one on time → 50.00 (with the return
    counted it would be 2 of 3 → 66.67).
    """
    brand = BrandFactory(code="K", price_class=1)
    shop = RetailerFactory(territory=org.a.territory)
    first = sale(shop, brand, date(2026, 8, 10), 300, no="DD1")
    sale(shop, brand, date(2026, 9, 3), 100, no="DD2", settled=False)
    give_back(first, date(2026, 9, 20), 200, settled=True)

    classification_run(month=NOV)

    record = shop.classifications.get(month=NOV)
    assert record.average_monthly_cartons == Decimal("100.00")
    assert record.credit_score == Decimal("50.00")
