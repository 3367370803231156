"""The row engine: read, check and write rows in batches inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from config.database import analyze

from .parsing import Column, bind_header, cell, parse_cells
from .reading import Table
from .report import ImportReport
from .selectors import Limits

CHUNK_SIZE = 1000  # rows per write batch of the row-by-row importers


# An import of at least this many rows refreshes the planner statistics of what it wrote.
ANALYZE_AFTER_ROWS = 1000


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class RowImporter:
    """Reads rows lazily, checks each, and writes them in batches inside one transaction.

    Subclasses define ``columns``, ``key_columns`` (the natural key, for duplicate rows),
    ``prepare`` (load the small reference tables), ``check`` (resolve references; returns
    the model field values) and ``flush`` (match a batch on the natural key and write it).
    """

    kind: str = ""
    columns: tuple[Column, ...] = ()
    key_columns: tuple[str, ...] = ()
    # The tables a large import fills in bulk: their planner statistics are refreshed after
    # it (``config.database.analyze``), so the jobs that read them next are planned well.
    analyze_models: tuple[type[models.Model], ...] = ()

    def __init__(self, *, on: date | None = None, **options):
        self.on = on or timezone.localdate()
        self.limits: Limits = options.pop("limits", None) or Limits()
        self.options = options

    @classmethod
    def for_header(cls, header: list[str], **options) -> RowImporter:
        return cls(**options)

    def run(self, table: Table, report: ImportReport, *, dry_run: bool = False) -> None:
        self.bound = bind_header(table.header, self.columns)
        self.prepare()
        seen: dict[tuple, int] = {}
        batch: list[tuple[int, dict]] = []
        for row, cells in table.rows():
            report.rows += 1
            values = parse_cells(row, cells, self.bound, report)
            if values is None:
                continue
            fields = self.check(row, values, report)
            if fields is None:
                continue
            key = self.natural_key(fields)
            if key in seen:
                first = self.bound[self.key_columns[0]]
                shown = " / ".join(
                    text
                    for k in self.key_columns
                    if k in self.bound and (text := cell(cells, self.bound[k].index))
                )
                report.add_error(
                    row, first.header, shown, _("Duplicate of row %(row)s.") % {"row": seen[key]}
                )
                continue
            seen[key] = row
            if not report.ok:
                continue  # keep checking, stop writing: the transaction is rolled back
            batch.append((row, fields))
            if len(batch) >= CHUNK_SIZE:
                self.flush(batch, report)
                batch = []
        if report.ok and batch:
            self.flush(batch, report)
        if report.ok:
            self.finish(report)
        if report.ok and not dry_run and report.rows >= ANALYZE_AFTER_ROWS:
            analyze(*self.analyze_models)

    def header_of(self, key: str) -> str:
        bound = self.bound.get(key)
        return bound.header if bound else next(c.header for c in self.columns if c.key == key)

    def prepare(self) -> None:
        pass

    def natural_key(self, fields: dict) -> tuple:
        raise NotImplementedError

    def check(self, row: int, values: dict, report: ImportReport) -> dict | None:
        return values

    def flush(self, batch: list[tuple[int, dict]], report: ImportReport) -> None:
        raise NotImplementedError

    def finish(self, report: ImportReport) -> None:
        pass

    @staticmethod
    def apply(instance: models.Model, fields: dict) -> list[str]:
        """Set the fields that differ; return their names."""
        changed = []
        for name, value in fields.items():
            if getattr(instance, name) != value:
                setattr(instance, name, value)
                changed.append(name)
        return changed
