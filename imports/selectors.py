"""Reads for imports: the file limits in force."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from django.utils import timezone

from .models import FileLimits

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The limits one import is held to (a FileLimits row, detached from the database)."""

    xlsx_max_unpacked_mb: int = 200
    max_rows: int = 2_000_000
    max_columns: int = 64
    max_cell_chars: int = 1000
    order_max_cartons: int = 5000
    order_max_amount: Decimal = Decimal("2000000")
    latitude_min: Decimal = Decimal("3")
    latitude_max: Decimal = Decimal("54")
    longitude_min: Decimal = Decimal("73")
    longitude_max: Decimal = Decimal("136")

    @property
    def xlsx_max_unpacked_bytes(self) -> int:
        return self.xlsx_max_unpacked_mb * MB

    @property
    def csv_max_line_chars(self) -> int:
        """The longest CSV line: every column full, quoted, with its separator."""
        return self.max_columns * (self.max_cell_chars + 3) + 2


def file_limits(company=None, on: date | None = None) -> Limits:
    """The limits in force for a city company (its override, else the province default)."""
    month = (on or timezone.localdate()).replace(day=1)
    row = FileLimits.objects.in_force(month, company)
    if row is None:
        return Limits()
    return Limits(**{f.name: getattr(row, f.name) for f in fields(Limits)})
