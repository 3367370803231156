"""The one set of display filters for figures (``{% load formats %}``).

Every new page shows numbers through these, so a rate, an amount of money, a quantity in 箱
or a time reads the same everywhere:

- ``ratio|pct``        0.1234 → "12.3%"  (a share, 0–1; ``pct:2`` for two decimals)
- ``value|money``      1234.5 → "1,234.50" (元, ROUND_HALF_UP)
- ``cartons|boxes``    625 (条) → "2.50" (箱, 1 箱 = 250 条, two decimals)
- ``value|num``        1234.5 → "1,234.5" (a plain figure; ``num:2`` for two decimals)
- ``delta|signed``     -3 → "−3", 2.5 → "+2.5" (a change against another period)
- ``day|day``          date or datetime → "2026-12-02" (Asia/Shanghai; ``day:"short"`` → "12-02")
- ``day|month``        date or datetime → "2026-12" (a month, Asia/Shanghai)
- ``moment|local_time`` datetime → "2026-12-02 09:30" (Asia/Shanghai; ``local_time:"s"`` adds
  seconds, ``local_time:"short"`` → "12-02 09:30")
- ``moment|clock``     datetime → "09:30" (Asia/Shanghai)
- ``n|price_class``    1 → "一类" (the price class's name)

A coefficient is shown with ``num:2`` (tier 1.3 → "1.30"); the score coefficient, which is the
score ÷ 100, as a percentage with ``pct:2`` (0.885 → "88.50%"), so it never needs more than two
decimals. No page shows a figure with more than two decimals (tests/project/test_page_sweep.py).

A missing value (None) shows as "—" in every filter.
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import timezone

register = template.Library()

MISSING = "—"
CARTONS_PER_BOX = Decimal(250)


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _grouped(value: Decimal, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    return f"{value.quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"


@register.filter
def pct(value, places=1):
    number = _decimal(value)
    if number is None:
        return MISSING
    return f"{_grouped(number * 100, int(places))}%"


@register.filter
def money(value):
    number = _decimal(value)
    return MISSING if number is None else _grouped(number, 2)


@register.filter
def boxes(cartons):
    number = _decimal(cartons)
    return MISSING if number is None else _grouped(number / CARTONS_PER_BOX, 2)


@register.filter
def num(value, places=0):
    number = _decimal(value)
    return MISSING if number is None else _grouped(number, int(places))


@register.filter
def signed(value, places=None):
    number = _decimal(value)
    if number is None:
        return MISSING
    text = str(number) if places is None else _grouped(abs(number), int(places))
    text = text.lstrip("-")
    if number > 0:
        return f"+{text}"
    return f"−{text}" if number < 0 else text


@register.filter
def day(value, short=""):
    if value is None or value == "":
        return MISSING
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    if not isinstance(value, date):
        return str(value)
    return value.strftime("%m-%d") if short else value.isoformat()


@register.filter
def month(value):
    if value is None or value == "":
        return MISSING
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m") if isinstance(value, date) else str(value)


TIME_FORMATS = {"": "%Y-%m-%d %H:%M", "s": "%Y-%m-%d %H:%M:%S", "short": "%m-%d %H:%M"}


@register.filter
def local_time(value, form=""):
    if not isinstance(value, datetime):
        return MISSING
    value = timezone.localtime(value) if timezone.is_aware(value) else value
    return value.strftime(TIME_FORMATS[form])


@register.filter
def clock(value):
    if not isinstance(value, datetime):
        return MISSING
    value = timezone.localtime(value) if timezone.is_aware(value) else value
    return value.strftime("%H:%M")


@register.filter
def price_class(value):
    from retailers.models import PriceClass

    try:
        return str(PriceClass(int(value)).label)
    except (TypeError, ValueError):
        return MISSING if value in (None, "") else str(value)
