"""Bounds of the dates the product takes from a user: API parameters and bodies, list filters.

The rules compute around a date (the month before, the same month a year earlier, a deadline
days later, a local midnight), and outside these bounds that arithmetic leaves the calendar
Python knows. A date outside them is refused with this message (400), never a server error.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)


def check_day(value):
    """A date or datetime between FIRST_DAY and LAST_DAY (None passes)."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(
            _("Enter a date between %(first)s and %(last)s."),
            code="date_range",
            params={"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        )
