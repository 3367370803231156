from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.utils import translation

from accounts.templatetags.formats import (
    boxes,
    clock,
    day,
    local_time,
    money,
    month,
    num,
    pct,
    price_class,
    signed,
)


def test_figures():
    assert pct(Decimal("0.1234")) == "12.3%"
    assert pct(Decimal("0.12345"), 2) == "12.35%"
    assert pct(1) == "100.0%"
    assert money(Decimal("1234.5")) == "1,234.50"
    assert money(Decimal("0.005")) == "0.01"  # ROUND_HALF_UP
    assert boxes(625) == "2.50" and boxes(1) == "0.00" and boxes(2) == "0.01"
    assert num(Decimal("1234.56")) == "1,235" and num(Decimal("1234.56"), 1) == "1,234.6"
    assert (signed(-3), signed(Decimal("2.5")), signed(0)) == ("−3", "+2.5", "0")
    assert signed(Decimal("-1.234"), 1) == "−1.2"
    for missing in (pct, money, boxes, num, signed, day, local_time):
        assert missing(None) == "—"


def test_dates_are_shown_in_shanghai_time():
    utc = datetime(2026, 12, 1, 17, 30, tzinfo=ZoneInfo("UTC"))  # 01:30 on the 2nd in Shanghai
    assert local_time(utc) == "2026-12-02 01:30"
    assert day(utc) == "2026-12-02"
    assert day(date(2026, 1, 5)) == "2026-01-05"
    assert day(utc, "short") == "12-02" and clock(utc) == "01:30"
    assert local_time(utc, "s") == "2026-12-02 01:30:00"
    assert local_time(utc, "short") == "12-02 01:30"
    assert month(utc) == "2026-12"  # the Shanghai month, not November in UTC
    assert month(date(2026, 10, 1)) == "2026-10"
    for missing in (month, clock, price_class):
        assert missing(None) == "—"


def test_price_classes_by_name():
    with translation.override("zh-hans"):
        assert [price_class(n) for n in (1, "5")] == ["一类", "五类"]
    with translation.override("en"):
        assert price_class(2) == "Class 2"


def test_in_a_template():
    html = Template("{% load formats %}{{ r|pct }} {{ c|boxes }} {{ m|money }}").render(
        Context({"r": Decimal("0.5"), "c": 250, "m": 3})
    )
    assert html == "50.0% 1.00 3.00"
