"""Pure rules of the alerts (预警, DOMAIN.md §8): the decisions once the inputs are gathered.

``reports.selectors.alerts`` gathers the inputs set-wise (and applies the row-wise thresholds
in SQL); these functions decide the edge cases and are unit-tested without a database.
"""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from retailers.models import add_months, month_start

RATIO_PLACES = Decimal("0.0001")


def evaluation_day(month: date, today: date) -> date:
    """Today for the current month (or a later one), the month's last day for a past month."""
    first = month_start(month)
    if first >= month_start(today):
        return today
    return add_months(first, 1) - timedelta(days=1)


def shown_month(month: date | None, today: date) -> date:
    """The month an alerts page or API call shows: the one asked for, the current month when
    none (or a later one) is asked for."""
    this_month = month_start(today)
    return this_month if month is None or month_start(month) > this_month else month_start(month)


def last_complete_month(month: date, today: date) -> date:
    """The month the rules over complete months (订单异动, scores) look at: last month for
    the current month (or a later one), else the month itself."""
    first = month_start(month)
    return add_months(first, -1) if first >= month_start(today) else first


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (that month's last day if shorter)."""
    first = add_months(day, -months)
    last = add_months(first, 1) - timedelta(days=1)
    return first.replace(day=min(day.day, last.day))


def ratio_hundredths(ratio: Decimal) -> int:
    """The anomaly threshold in hundredths, so SQL compares integers exactly:
    relative < ratio ⇔ this × 100 × Σlast < last × hundredths × Σthis."""
    return int((Decimal(ratio) * 100).to_integral_value(rounding=ROUND_HALF_UP))


def anomaly_ratios(
    this: int, last: int, department_this: int, department_last: int
) -> tuple[Decimal, Decimal, Decimal]:
    """(retailer ratio, department ratio, relative), each rounded to 4 decimals at the end:
    this ÷ last, Σthis ÷ Σlast of the department, and the first ÷ the second."""
    retailer = Decimal(this) / Decimal(last)
    department = Decimal(department_this) / Decimal(department_last)
    relative = retailer / department
    return tuple(x.quantize(RATIO_PLACES, ROUND_HALF_UP) for x in (retailer, department, relative))


def score_flags(
    total: Decimal, previous: Decimal | None, floor: Decimal, drop: Decimal
) -> tuple[bool, bool]:
    """(below the floor, dropped): total < floor; previous − total ≥ drop (exact Decimals)."""
    below = total < floor
    dropped = previous is not None and previous - total >= drop
    return below, dropped


def coverage_gap_raised(*, missing: int, day: date, last_day: date, month_over: bool) -> bool:
    """A level-3 gap is raised once the month is over, or earlier when the calendar days
    left (the evaluation day included) are fewer than the inspections still missing."""
    return month_over or (last_day - day).days + 1 < missing


def deadline_missed(*, deadline: date, done_on: date | None, day: date) -> bool:
    """On ``day``, a step due by the end of ``deadline`` was missed: the deadline has passed
    and the step was not done by it (``done_on``: when it was done, or None)."""
    return day > deadline and (done_on is None or done_on > deadline)


def order_file_overdue(*, last_received: date | None, day: date, expected_days: int) -> bool:
    """On ``day``, no order file has arrived for ``expected_days`` days or more (never any
    file counts too); ``expected_days`` 0 turns the alert off."""
    if expected_days <= 0:
        return False
    return last_received is None or (day - last_received).days >= expected_days
