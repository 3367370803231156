"""The holiday calendar (DOMAIN.md §9): which days are working days.

Monday to Friday are working days and Saturday and Sunday are not, except the days the
calendar names: a statutory holiday (休息日) is not a working day, a make-up working day
(调休上班) is. A city company's own calendar row overrides the national (province) row of
the same date.
"""

from datetime import date, timedelta

from django.db.models import Q

from ..models import CalendarDay, DayKind

WEEKEND = (5, 6)  # Saturday, Sunday


def calendar_overrides(first: date, last: date, company=None) -> dict[date, str]:
    """{date: DayKind} of the calendar rows between ``first`` and ``last`` (inclusive) for a
    city company (its own rows win over the defaults), in one query."""
    company_id = getattr(company, "pk", company)
    scope = Q(company__isnull=True)
    if company_id is not None:
        scope |= Q(company_id=company_id)
    kinds: dict[date, str] = {}
    rows = CalendarDay.objects.filter(scope, date__range=(first, last)).values_list(
        "date", "kind", "company_id"
    )
    for day, kind, _owner in sorted(rows, key=lambda row: row[2] is not None):
        kinds[day] = kind  # defaults first, then the city's own rows override them
    return kinds


def is_working(day: date, overrides: dict[date, str]) -> bool:
    kind = overrides.get(day)
    if kind == DayKind.HOLIDAY:
        return False
    if kind == DayKind.WORKDAY:
        return True
    return day.weekday() not in WEEKEND


def working_days(first: date, last: date, company=None) -> list[date]:
    """The working days from ``first`` to ``last`` (inclusive), in order, for a city company
    (a company object or id; None: the national calendar only)."""
    if last < first:
        return []
    overrides = calendar_overrides(first, last, company)
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if is_working(day, overrides)]


# How far back to look for a working day before a due day (the longest Chinese holiday run,
# 春节 or 国庆节 with weekends, is 9 days).
LOOKBACK_DAYS = 31


def working_day_on_or_before(day: date, company=None) -> date:
    """``day`` if it is a working day, else the last working day before it (``day`` itself
    when none is found within a month: a calendar error must not lose a due time)."""
    days = working_days(day - timedelta(days=LOOKBACK_DAYS), day, company)
    return days[-1] if days else day
