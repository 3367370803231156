"""The report of one import: counts, and errors by row, column, value and reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

MAX_ERRORS = 200

# A detail line of the imports that take dated data (DOMAIN §4, late data).
LATE_LABEL = gettext_lazy(
    "Rows dated in a month in review or published (carried as adjustments, 调整, into the "
    "next open month)"
)


@dataclass(frozen=True)
class RowError:
    """One problem in the file. ``row`` is None for a problem with the whole file."""

    row: int | None
    column: str
    value: str
    reason: str


@dataclass
class ImportReport:
    kind: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    details: list[tuple[str, int]] = field(default_factory=list)
    # What the import made for its caller beyond rows (e.g. ``code_sheet``: the id of the
    # staff import's initial-codes sheet).
    results: dict[str, Any] = field(default_factory=dict)
    max_errors: int = MAX_ERRORS

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def truncated(self) -> bool:
        return self.error_count > len(self.errors)

    def add_error(self, row: int | None, column: str, value: Any, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < self.max_errors:
            self.errors.append(RowError(row, str(column), _display(value), str(reason)))

    def merge_errors(self, errors: Iterable[RowError], total: int) -> None:
        """Add errors found out of row order (set-based checks), keeping the first by row."""
        merged = sorted([*self.errors, *errors], key=lambda e: e.row or 0)
        self.errors = merged[: self.max_errors]
        self.error_count += total

    def fail(self) -> None:
        """Nothing was imported: the counts of a failed file would only mislead."""
        self.created = self.updated = self.unchanged = 0
        self.details = []
        self.results = {}

    def summary(self) -> str:
        if not self.ok:
            return ngettext(
                "%(count)s error found in %(rows)s rows; nothing was imported.",
                "%(count)s errors found in %(rows)s rows; nothing was imported.",
                self.error_count,
            ) % {"count": self.error_count, "rows": self.rows}
        text = _(
            "%(rows)s rows: %(created)s created, %(updated)s updated, %(unchanged)s unchanged."
        ) % {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }
        if self.dry_run:
            text = _("Check only, nothing was written. %(summary)s") % {"summary": text}
        return text

    def lines(self) -> list[str]:
        """The report as plain text lines (management commands)."""
        out = [self.summary()]
        out += [f"{label}: {number}" for label, number in self.details]
        for error in self.errors:
            out.append(
                _("Row %(row)s, column %(column)s, value “%(value)s”: %(reason)s")
                % {
                    "row": error.row if error.row is not None else "-",
                    "column": error.column or "-",
                    "value": error.value,
                    "reason": error.reason,
                }
            )
        if self.truncated:
            out.append(
                _("Only the first %(shown)s of %(count)s errors are listed.")
                % {"shown": len(self.errors), "count": self.error_count}
            )
        return out


def _display(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 100 else text[:99] + "…"
