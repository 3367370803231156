"""Imports of retailers, brands, order lines and targets from CSV or XLSX files.

One engine serves the management commands (``import_retailers`` …) and the upload page:

- Reading: CSV (UTF-8 with or without BOM, otherwise GB18030) or XLSX (first sheet, read-only
  streaming). Row 1 is the header; rows are numbered as Excel shows them and are produced one
  at a time, never the whole file as Python objects. Headers are accepted in Chinese or
  English (``许可证号`` or ``license_no``); columns the importer does not know are ignored.
- Checking: every cell is parsed by its column; references (territory, brand, licence,
  employee number) are resolved; keys must be unique inside the file. Errors carry the row,
  the column header, the value and a translated reason; the first ``MAX_ERRORS`` are kept and
  all of them are counted.
- All or nothing: the whole file is imported in one transaction that is rolled back when
  any error was found (or for a dry run), so a file with errors writes nothing.
- Idempotent: rows are matched on their natural keys and only rows whose values differ are
  written, so importing the same file again changes nothing (every row "unchanged").
- Order lines (up to millions) go through a staging table: PostgreSQL ``COPY`` from a stream
  that converts the rows lazily (other databases: chunked inserts), then set-based SQL checks
  and one ``INSERT … SELECT``. Order lines are immutable: a line already imported with other
  values is an error, not an update.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import openpyxl
from django.db import connection, models, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import OrgUnit, Role, Territory, User

from .models import (
    Brand,
    Environment,
    KeyBrandMonth,
    MarketType,
    OrderLine,
    PriceClass,
    Retailer,
    RetailerStatus,
    RetailFormat,
    SalesTarget,
    ShelfTarget,
)
from .services import assignments_sync

MAX_ERRORS = 200
CHUNK_SIZE = 1000  # rows per write batch of the row-by-row importers
STAGE_CHUNK_SIZE = 5000  # rows per INSERT batch into the order staging table (non-PostgreSQL)


class ImportKind(models.TextChoices):
    RETAILERS = "retailers", gettext_lazy("Retailers")
    BRANDS = "brands", gettext_lazy("Brands")
    ORDERS = "orders", gettext_lazy("Order lines")
    TARGETS = "targets", gettext_lazy("Targets")


# --- Report -----------------------------------------------------------------------------


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


class FileError(Exception):
    """The file as a whole cannot be read (wrong type, encoding, missing columns)."""

    def __init__(self, reason: str, row: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.row = row


class CellError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- Reading ------------------------------------------------------------------------------


def detect_encoding(binary) -> str:
    """``utf-8-sig`` for a BOM, ``utf-8`` when the whole file decodes as UTF-8, else GB18030.

    The file is streamed in 1 MB chunks (a GB18030 file whose first megabyte is ASCII still
    ends up as GB18030) and rewound. A file that is neither raises FileError with the line
    of the first bad byte.
    """
    binary.seek(0)
    head = binary.read(4)
    binary.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileError(_("UTF-16 text is not supported; save the file as CSV (UTF-8)."))
    try:
        for encoding in ("utf-8", "gb18030"):
            decoder = codecs.getincrementaldecoder(encoding)()
            lines = 0
            try:
                while chunk := binary.read(1 << 20):
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as exc:
                        lines += chunk[: min(exc.start, len(chunk))].count(b"\n")
                        raise
                    lines += chunk.count(b"\n")
                decoder.decode(b"", final=True)
                return encoding
            except UnicodeDecodeError:
                binary.seek(0)
        raise FileError(_("The text is neither UTF-8 nor GB18030."), row=lines + 1)
    finally:
        binary.seek(0)


def cell_text(value: Any) -> str:
    """An XLSX cell as the text a CSV export of it would hold (dates as ISO 8601)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # 15 significant digits: what Excel shows, without binary noise (0.1 + 0.2).
        return format(value, ".15g")
    if isinstance(value, dt_time | timedelta):
        return str(value)
    return str(value).strip()


class Table:
    """An open CSV or XLSX file: ``header`` (row 1) and ``rows()`` (row number, cells).

    CSV cells are returned as read (the importer strips the ones it uses); XLSX cells are
    converted with ``cell_text``. Blank rows are skipped but counted, so row numbers stay
    those Excel shows.
    """

    def __init__(self, path: str | Path, filename: str | None = None):
        self.name = filename or Path(path).name
        lowered = self.name.lower()
        self._binary = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._workbook = None
        self.encoding = None
        try:
            head = self._binary.read(8)
            self._binary.seek(0)
            if not head:
                raise FileError(_("The file is empty."))
            if head.startswith(b"\xd0\xcf\x11\xe0") or lowered.endswith(".xls"):
                raise FileError(
                    _("Old Excel .xls files are not supported; save the file as .xlsx or CSV.")
                )
            if head.startswith(b"PK\x03\x04") or lowered.endswith((".xlsx", ".xlsm")):
                self.format = "xlsx"
                self._raw = self._open_xlsx()
            else:
                self.format = "csv"
                self.encoding = detect_encoding(self._binary)
                text = io.TextIOWrapper(self._binary, encoding=self.encoding, newline="")
                self._raw = csv.reader(text)
            self._row_number = 0
            first = self._next_raw()
            if first is None:
                raise FileError(_("The file is empty."))
            self.header = [cell_text(c) for c in first]
            if self.header and self.header[0].startswith("\ufeff"):
                self.header[0] = self.header[0].lstrip("\ufeff")
            if not any(self.header):
                raise FileError(_("Row 1 must hold the column headers."), row=1)
        except BaseException:
            self.close()
            raise

    def _open_xlsx(self):
        try:
            self._workbook = openpyxl.load_workbook(self._binary, read_only=True, data_only=True)
            sheet = self._workbook.worksheets[0]
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise FileError(
                _("Not a readable XLSX file (%(error)s).") % {"error": exc.__class__.__name__}
            ) from exc
        # Trust the cells, not the stored dimensions (some writers store wrong ones).
        sheet.reset_dimensions()
        return sheet.iter_rows(values_only=True)

    def _next_raw(self):
        try:
            raw = next(self._raw, None)
        except UnicodeDecodeError as exc:
            raise FileError(
                _("The text is neither UTF-8 nor GB18030."), row=self._row_number + 1
            ) from exc
        except csv.Error as exc:
            raise FileError(
                _("The CSV file is malformed (%(error)s).") % {"error": exc},
                row=self._row_number + 1,
            ) from exc
        if raw is not None:
            self._row_number += 1
        return raw

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        xlsx = self.format == "xlsx"
        while (raw := self._next_raw()) is not None:
            cells = [cell_text(c) for c in raw] if xlsx else raw
            if any(cells):
                yield self._row_number, cells

    def close(self):
        if self._workbook is not None:
            self._workbook.close()
        self._binary.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- Parsing cells ----------------------------------------------------------------------------


def normalize_word(text: str) -> str:
    """Compare headers and choice words loosely: full-width forms, case, spaces, _ and -."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_\-*]+", "", text)


LICENCE_RE = re.compile(r"^\d{12}$")
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_RE = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
EXCEL_SERIAL_RE = re.compile(r"^\d{1,5}(?:\.0+)?$")
MONTH_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")
COMPACT_MONTH_RE = re.compile(r"^(\d{4})(\d{2})$")
INT_RE = re.compile(r"^[+-]?\d+$")
AMOUNT_RE = re.compile(r"^\d{1,10}(?:\.\d{1,2})?$")
THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
EXCEL_EPOCH = date(1899, 12, 30)

TRUE_WORDS = {"是", "y", "yes", "1", "true", "t"}
FALSE_WORDS = {"否", "n", "no", "0", "false", "f"}


def parse_text(max_length: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise CellError(_("At most %(max)s characters.") % {"max": max_length})
        return value

    return parse


def parse_licence(value: str) -> str:
    if not LICENCE_RE.match(value):
        raise CellError(_("A licence number is 12 digits."))
    return value


def parse_date(value: str) -> date:
    """YYYY-MM-DD (also with / or . and an ignored time), YYYYMMDD, or an Excel day number."""
    try:
        if ISO_DATE_RE.match(value):
            return date.fromisoformat(value)
        if match := DATE_RE.match(value) or COMPACT_DATE_RE.match(value):
            year, month, day = (int(part) for part in match.groups())
            return date(year, month, day)
        if EXCEL_SERIAL_RE.match(value) and int(float(value)) > 0:
            return EXCEL_EPOCH + timedelta(days=int(float(value)))
    except (ValueError, OverflowError):
        pass
    raise CellError(_("Not a date; use YYYY-MM-DD or YYYYMMDD."))


def parse_month(value: str) -> date:
    """YYYY-MM (also YYYY/MM, YYYYMM, 2026年10月) or the first day of the month as a date."""
    try:
        if match := MONTH_RE.match(value) or COMPACT_MONTH_RE.match(value):
            return date(int(match.group(1)), int(match.group(2)), 1)
        if DATE_RE.match(value) or ISO_DATE_RE.match(value):
            day = parse_date(value)
            if day.day == 1:
                return day
    except (ValueError, CellError):
        pass
    raise CellError(_("Not a month; use YYYY-MM."))


def parse_months(value: str) -> frozenset[date]:
    parts = [p for p in re.split(r"[;；,，、\s]+", value) if p]
    try:
        return frozenset(parse_month(p) for p in parts)
    except CellError as exc:
        raise CellError(
            _("Not a list of months; use YYYY-MM separated by semicolons (2026-10;2026-11).")
        ) from exc


def parse_flag(value: str) -> bool:
    word = normalize_word(value)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(_("Use 是 or 否 (also Y/N, 1/0, true/false)."))


def parse_int(
    minimum: int | None = None, maximum: int | None = None, *, limit: int = 2**31 - 1
) -> Callable[[str], int]:
    """A whole number (10.0 from a spreadsheet counts) in [minimum, maximum]."""

    def parse(value: str) -> int:
        text = value.replace(",", "") if THOUSANDS_RE.match(value) else value
        if INT_RE.match(text):
            number = int(text)
        else:
            try:
                number_decimal = Decimal(text)
            except InvalidOperation:
                number_decimal = None
            if (
                number_decimal is None
                or not number_decimal.is_finite()
                or number_decimal != number_decimal.to_integral_value()
            ):
                raise CellError(_("Not a whole number."))
            number = int(number_decimal)
        if maximum is not None and (number > maximum or (minimum or 0) > number):
            raise CellError(
                _("Must be between %(min)s and %(max)s.") % {"min": minimum, "max": maximum}
            )
        if minimum is not None and number < minimum:
            raise CellError(_("Must be at least %(min)s.") % {"min": minimum})
        if abs(number) > limit:
            raise CellError(_("The number is too large."))
        return number

    return parse


def parse_decimal(
    *,
    max_digits: int,
    places: int,
    positive: bool = False,
    minimum: Decimal | None = Decimal("0"),
    maximum: Decimal | None = None,
    round_extra: bool = False,
) -> Callable[[str], Decimal]:
    """A decimal with at most ``places`` decimals (``round_extra``: rounded half up instead)."""
    step = Decimal(1).scaleb(-places)
    limit = Decimal(10) ** (max_digits - places)

    def parse(value: str) -> Decimal:
        text = value.replace(",", "") if THOUSANDS_RE.match(value) else value
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(_("Not a number.")) from None
        if not number.is_finite():
            raise CellError(_("Not a number."))
        if abs(number) >= limit:
            raise CellError(_("The number is too large."))
        if round_extra:
            number = number.quantize(step, rounding=ROUND_HALF_UP)
        elif number.as_tuple().exponent < -places and number != number.quantize(step):
            raise CellError(_("At most %(places)s decimal places.") % {"places": places})
        number = number.quantize(step)
        if positive and number <= 0:
            raise CellError(_("Must be greater than 0."))
        if minimum is not None and number < minimum:
            if minimum == 0:
                raise CellError(_("Must not be negative."))
            raise CellError(_("Must be at least %(min)s.") % {"min": minimum})
        if maximum is not None and number > maximum:
            raise CellError(_("Must be at most %(max)s.") % {"max": maximum})
        return number

    return parse


def parse_rate(value: str) -> Decimal:
    """A share: 0.6, or 60% (0 < rate ≤ 1), kept to 4 decimals."""
    text = value.strip()
    try:
        percent = text.endswith(("%", "％"))
        rate = Decimal(text[:-1].strip()) / 100 if percent else Decimal(text)
        rate = rate.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        rate = None
    if rate is None or not rate.is_finite() or not Decimal(0) < rate <= Decimal(1):
        raise CellError(_("Give a rate above 0 and at most 1 (0.6) or a percentage (60%)."))
    return rate


def parse_choice(words: dict[Any, list[str]]) -> Callable[[str], Any]:
    """A stored code, accepted as the code itself or one of its Chinese names."""
    lookup = {}
    for code, names in words.items():
        for word in [str(code), *names]:
            lookup[normalize_word(word)] = code
    accepted = "、".join(
        f"{code} {names[0]}" if names and str(code) != names[0] else str(code)
        for code, names in words.items()
    )

    def parse(value: str) -> Any:
        try:
            return lookup[normalize_word(value)]
        except KeyError:
            raise CellError(
                _("Unknown value; use one of: %(choices)s.") % {"choices": accepted}
            ) from None

    return parse


# The input vocabulary of the ordering system (not shown in the interface): code → names.
MARKET_TYPE_WORDS = {MarketType.TOWN: ["城镇"], MarketType.RURAL: ["乡村", "农村"]}
RETAIL_FORMAT_WORDS = {
    RetailFormat.GROCERY: ["食杂店"],
    RetailFormat.CONVENIENCE: ["便利店"],
    RetailFormat.SUPERMARKET: ["超市"],
    RetailFormat.MALL: ["商场"],
    RetailFormat.TOBACCO_LIQUOR: ["烟酒商店", "烟酒店"],
    RetailFormat.ENTERTAINMENT: ["娱乐服务类", "娱乐服务"],
    RetailFormat.OTHER: ["其他"],
}
ENVIRONMENT_WORDS = {
    Environment.BUSINESS_CENTER: ["商业中心"],
    Environment.TRANSPORT_HUB: ["交通枢纽"],
    Environment.RESIDENTIAL: ["居民区"],
    Environment.SCHOOL_HOSPITAL: ["学校医院周边"],
    Environment.URBAN_FRINGE: ["城乡结合部"],
    Environment.RURAL_TOWN: ["乡村集镇"],
    Environment.REMOTE_RURAL: ["偏远乡村"],
}
STATUS_WORDS = {
    RetailerStatus.ACTIVE: ["正常"],
    RetailerStatus.SUSPENDED: ["暂停"],
    RetailerStatus.CANCELLED: ["注销"],
}
PRICE_CLASS_WORDS = {
    PriceClass.ONE: ["一类", "1类"],
    PriceClass.TWO: ["二类", "2类"],
    PriceClass.THREE: ["三类", "3类"],
    PriceClass.FOUR: ["四类", "4类"],
    PriceClass.FIVE: ["五类", "5类"],
}


@dataclass(frozen=True)
class Column:
    """A column an importer understands.

    ``header`` is the Chinese header written in the samples; ``key`` (English) and
    ``aliases`` are accepted as well. A ``required`` column must be present and every one of
    its cells filled; an empty cell of an optional column means "no value" (on an update:
    keep the stored value).
    """

    key: str
    header: str
    parse: Callable[[str], Any]
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class BoundColumn:
    column: Column
    index: int
    header: str  # as written in the file


def bind_header(header: list[str], columns: Iterable[Column]) -> dict[str, BoundColumn]:
    """Map the file's header cells to columns; raise FileError for missing or doubled ones."""
    names = {}
    for column in columns:
        for name in (column.header, column.key, *column.aliases):
            names[normalize_word(name)] = column
    bound: dict[str, BoundColumn] = {}
    problems = []
    for index, text in enumerate(header):
        column = names.get(normalize_word(text)) if text else None
        if column is None:
            continue
        if column.key in bound:
            problems.append(
                _("Columns %(first)s and %(second)s mean the same field.")
                % {"first": bound[column.key].header, "second": text}
            )
            continue
        bound[column.key] = BoundColumn(column, index, text)
    missing = [c for c in columns if c.required and c.key not in bound]
    if missing:
        problems.append(
            _("Missing required columns: %(columns)s.")
            % {"columns": "、".join(f"{c.header} ({c.key})" for c in missing)}
        )
    if problems:
        raise FileError(" ".join(problems), row=1)
    return bound


def parse_cells(
    row: int, cells: list[str], bound: dict[str, BoundColumn], report: ImportReport
) -> dict[str, Any] | None:
    """The parsed values of the non-empty cells, or None when a cell has an error."""
    values = {}
    ok = True
    for key, b in bound.items():
        raw = _cell(cells, b.index)
        if not raw:
            if b.column.required:
                report.add_error(row, b.header, "", _("A value is required."))
                ok = False
            continue
        try:
            values[key] = b.column.parse(raw)
        except CellError as exc:
            report.add_error(row, b.header, raw, exc.reason)
            ok = False
    return values if ok else None


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- Row-by-row importers (retailers, brands, targets) ---------------------------------------


class RowImporter:
    """Reads rows lazily, checks each, and writes them in batches inside one transaction.

    Subclasses define ``columns``, ``key_columns`` (the natural key, for duplicate rows),
    ``prepare`` (load the small reference tables), ``check`` (resolve references; returns
    the model field values) and ``flush`` (match a batch on the natural key and write it).
    """

    kind: str = ""
    columns: tuple[Column, ...] = ()
    key_columns: tuple[str, ...] = ()

    def __init__(self, *, on: date | None = None):
        self.on = on or timezone.localdate()

    def run(self, table: Table, report: ImportReport) -> None:
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
                    cell
                    for k in self.key_columns
                    if k in self.bound and (cell := _cell(cells, self.bound[k].index))
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


class RetailerImporter(RowImporter):
    kind = ImportKind.RETAILERS
    key_columns = ("license_no",)
    columns = (
        Column("license_no", "许可证号", parse_licence, True, ("licence_no", "许可证编号")),
        Column("shop_name", "店铺名称", parse_text(100), True, ("店名", "零售户名称")),
        Column("owner_name", "负责人", parse_text(50), True, ("owner", "经营者", "法人")),
        Column("phone", "联系电话", parse_text(20), False, ("电话",)),
        Column("address", "经营地址", parse_text(200), True, ("地址",)),
        Column(
            "latitude",
            "纬度",
            parse_decimal(
                max_digits=9,
                places=6,
                minimum=Decimal(-90),
                maximum=Decimal(90),
                round_extra=True,
            ),
            False,
            ("lat",),
        ),
        Column(
            "longitude",
            "经度",
            parse_decimal(
                max_digits=9,
                places=6,
                minimum=Decimal(-180),
                maximum=Decimal(180),
                round_extra=True,
            ),
            False,
            ("lng", "lon"),
        ),
        Column("market_type", "市场类型", parse_choice(MARKET_TYPE_WORDS), True),
        Column("retail_format", "业态", parse_choice(RETAIL_FORMAT_WORDS), True, ("format",)),
        Column("environment", "所处环境", parse_choice(ENVIRONMENT_WORDS), True, ("环境",)),
        Column("potential", "发展潜力", parse_int(1, 5), False),
        Column("status", "状态", parse_choice(STATUS_WORDS), False),
        Column("territory_code", "片区编码", parse_text(32), True, ("territory", "片区代码")),
        Column("grade_tier", "档位", parse_int(1, 30), False),
    )
    defaults = {
        "phone": "",
        "latitude": None,
        "longitude": None,
        "potential": None,
        "status": RetailerStatus.ACTIVE,
        "grade_tier": None,
    }
    ID_TABLE = "import_retailer_ids"

    def prepare(self):
        self.territories = {
            code: (pk, active)
            for code, pk, active in Territory.objects.values_list("code", "pk", "is_active")
        }
        self.moved = 0
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.ID_TABLE}")
            cursor.execute(f"CREATE TEMPORARY TABLE {self.ID_TABLE} (id bigint PRIMARY KEY)")

    def natural_key(self, fields):
        return (fields["license_no"],)

    def check(self, row, values, report):
        code = values.pop("territory_code")
        territory = self.territories.get(code)
        ok = True
        if territory is None:
            report.add_error(row, self.header_of("territory_code"), code, _("No such territory."))
            ok = False
        elif not territory[1]:
            report.add_error(
                row, self.header_of("territory_code"), code, _("This territory is inactive.")
            )
            ok = False
        else:
            values["territory_id"] = territory[0]
        if ("latitude" in values) != ("longitude" in values):
            missing = "longitude" if "latitude" in values else "latitude"
            report.add_error(
                row, self.header_of(missing), "", _("Give both latitude and longitude, or neither.")
            )
            ok = False
        return values if ok else None

    def flush(self, batch, report):
        keys = [fields["license_no"] for _row, fields in batch]
        existing = {r.license_no: r for r in Retailer.objects.filter(license_no__in=keys)}
        new, changed, changed_fields = [], [], set()
        for _row, fields in batch:
            retailer = existing.get(fields["license_no"])
            if retailer is None:
                new.append(Retailer(**(self.defaults | fields)))
                report.created += 1
                continue
            before = retailer.territory_id
            names = self.apply(retailer, fields)
            if names:
                changed.append(retailer)
                changed_fields.update(names)
                report.updated += 1
                self.moved += retailer.territory_id != before
            else:
                report.unchanged += 1
        Retailer.objects.bulk_create(new)
        if changed:
            now = timezone.now()
            for retailer in changed:
                retailer.updated_at = now
            Retailer.objects.bulk_update(changed, [*sorted(changed_fields), "updated_at"])
        # Remember every retailer of the file for the assignment sync at the end.
        placeholders = ", ".join(["%s"] * len(keys))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {self.ID_TABLE} (id) SELECT id FROM {Retailer._meta.db_table} "
                f"WHERE license_no IN ({placeholders})",
                keys,
            )

    def finish(self, report):
        # One set-based sync for the whole file: new retailers get their first assignment
        # and moved ones a new one, both from the effective date.
        opened = assignments_sync(
            retailer_ids=RawSQL(f"SELECT id FROM {self.ID_TABLE}", ()), on=self.on
        )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {self.ID_TABLE}")
        report.details.append((_("Moved to another territory"), self.moved))
        report.details.append((_("Assignments opened"), opened))


class BrandImporter(RowImporter):
    kind = ImportKind.BRANDS
    key_columns = ("code",)
    columns = (
        Column("code", "规格编码", parse_text(20), True, ("brand_code", "卷烟编码", "编码")),
        Column("name", "规格名称", parse_text(100), True, ("卷烟名称", "名称")),
        Column("manufacturer", "生产厂家", parse_text(100), True, ("厂家", "工业企业")),
        Column("price_class", "价类", parse_choice(PRICE_CLASS_WORDS), True, ("价格类别",)),
        Column(
            "wholesale_price",
            "批发价（元/条）",
            parse_decimal(max_digits=10, places=2, positive=True),
            True,
            ("批发价",),
        ),
        Column("launch_date", "上市日期", parse_date, False),
        Column("is_active", "在销", parse_flag, False, ("active",)),
        Column("key_brand_months", "重点品牌月份", parse_months, False, ("key_months",)),
    )

    def prepare(self):
        self.status: dict[str, str] = {}
        self.key_months: dict[str, frozenset[date]] = {}

    def natural_key(self, fields):
        return (fields["code"],)

    def check(self, row, values, report):
        if "key_brand_months" in self.bound:
            self.key_months[values["code"]] = values.pop("key_brand_months", frozenset())
        return values

    def flush(self, batch, report):
        codes = [fields["code"] for _row, fields in batch]
        existing = {b.code: b for b in Brand.objects.filter(code__in=codes)}
        new, changed, changed_fields = [], [], set()
        for _row, fields in batch:
            brand = existing.get(fields["code"])
            if brand is None:
                new.append(Brand(**fields))
                self.status[fields["code"]] = "created"
            elif names := self.apply(brand, fields):
                changed.append(brand)
                changed_fields.update(names)
                self.status[fields["code"]] = "updated"
            else:
                self.status[fields["code"]] = "unchanged"
        Brand.objects.bulk_create(new)
        if changed:
            Brand.objects.bulk_update(changed, sorted(changed_fields))

    def finish(self, report):
        if "key_brand_months" in self.bound:
            self.sync_key_months(report)
        for state in self.status.values():
            setattr(report, state, getattr(report, state) + 1)

    def sync_key_months(self, report):
        """For every month named in the column, the key brands are exactly those naming it.

        Months no row names are left alone, so earlier months keep their key brands.
        """
        managed = set().union(*self.key_months.values()) if self.key_months else set()
        if not managed:
            return
        ids = {}
        for codes in _chunks(list(self.key_months), CHUNK_SIZE):
            ids.update(Brand.objects.filter(code__in=codes).values_list("code", "pk"))
        code_of = {pk: code for code, pk in ids.items()}
        wanted = {(ids[code], m) for code, months in self.key_months.items() for m in months}
        current = set(
            KeyBrandMonth.objects.filter(month__in=managed).values_list("brand_id", "month")
        )
        added, removed = wanted - current, current - wanted
        KeyBrandMonth.objects.bulk_create(
            [KeyBrandMonth(brand_id=b, month=m) for b, m in sorted(added)]
        )
        for month in managed:
            gone = [b for b, m in removed if m == month]
            if gone:
                KeyBrandMonth.objects.filter(month=month, brand_id__in=gone).delete()
        outside = set()
        for brand_id, _month in added | removed:
            code = code_of.get(brand_id)
            if code is None:
                outside.add(brand_id)
            elif self.status.get(code) == "unchanged":
                self.status[code] = "updated"
        report.details.append((_("Key-brand months flagged"), len(added)))
        report.details.append((_("Key-brand months removed"), len(removed)))
        if outside:
            report.details.append((_("Brands not in the file that lost a key month"), len(outside)))


parse_boxes = parse_decimal(max_digits=10, places=2)


class SalesTargetImporter(RowImporter):
    kind = ImportKind.TARGETS
    key_columns = ("employee_no", "month")
    columns = (
        Column("employee_no", "工号", parse_text(20), True, ("员工编号",)),
        Column("month", "月份", parse_month, True),
        Column("total_boxes", "销量目标（箱）", parse_boxes, True, ("销量目标", "total_target")),
        Column(
            "key_brand_boxes",
            "重点品牌目标（箱）",
            parse_boxes,
            False,
            ("重点品牌目标", "key_brand_target"),
        ),
    )

    def prepare(self):
        self.users = {
            no: (pk, role) for no, pk, role in User.objects.values_list("employee_no", "pk", "role")
        }

    def natural_key(self, fields):
        return (fields["manager_id"], fields["month"])

    def check(self, row, values, report):
        number = values.pop("employee_no")
        user = self.users.get(number)
        header = self.header_of("employee_no")
        if user is None:
            report.add_error(row, header, number, _("No user has this employee number."))
            return None
        if user[1] != Role.CUSTOMER_MANAGER:
            report.add_error(row, header, number, _("This user is not a customer manager."))
            return None
        values["manager_id"] = user[0]
        total, key = values.get("total_boxes"), values.get("key_brand_boxes")
        if key is not None and key > total:
            report.add_error(
                row,
                self.header_of("key_brand_boxes"),
                key,
                _("The key-brand target cannot exceed the total target."),
            )
            return None
        return values

    def flush(self, batch, report):
        managers = {fields["manager_id"] for _row, fields in batch}
        months = {fields["month"] for _row, fields in batch}
        existing = {
            (t.manager_id, t.month): t
            for t in SalesTarget.objects.filter(manager_id__in=managers, month__in=months)
        }
        new, changed, changed_fields = [], [], set()
        for _row, fields in batch:
            target = existing.get((fields["manager_id"], fields["month"]))
            if target is None:
                new.append(SalesTarget(**fields))
                report.created += 1
            elif names := self.apply(target, fields):
                changed.append(target)
                changed_fields.update(names)
                report.updated += 1
            else:
                report.unchanged += 1
        SalesTarget.objects.bulk_create(new)
        if changed:
            SalesTarget.objects.bulk_update(changed, sorted(changed_fields))


class ShelfTargetImporter(RowImporter):
    kind = ImportKind.TARGETS
    key_columns = ("brand_code", "month", "org_unit_code", "territory_code")
    columns = (
        Column("brand_code", "规格编码", parse_text(20), True, ("code", "卷烟编码")),
        Column("month", "月份", parse_month, True),
        Column("org_unit_code", "单位编码", parse_text(32), False, ("org_unit",)),
        Column("territory_code", "片区编码", parse_text(32), False, ("territory",)),
        Column("rate", "目标上柜率", parse_rate, True, ("上柜率目标", "target_rate")),
    )

    def prepare(self):
        self.brands = {
            code: (pk, launch)
            for code, pk, launch in Brand.objects.values_list("code", "pk", "launch_date")
        }
        self.units = dict(OrgUnit.objects.values_list("code", "pk"))
        self.territories = dict(Territory.objects.values_list("code", "pk"))
        if "org_unit_code" not in self.bound and "territory_code" not in self.bound:
            raise FileError(
                _("Missing required columns: %(columns)s.")
                % {"columns": "单位编码 (org_unit_code) / 片区编码 (territory_code)"},
                row=1,
            )

    def natural_key(self, fields):
        return (fields["brand_id"], fields["month"], fields["org_unit_id"], fields["territory_id"])

    def check(self, row, values, report):
        code = values["brand_code"]
        brand = self.brands.get(code)
        ok = True
        if brand is None:
            report.add_error(row, self.header_of("brand_code"), code, _("No brand has this code."))
            ok = False
        else:
            pk, launch = brand
            probe = Brand(launch_date=launch)
            if "month" in values and not probe.is_new_in(values["month"]):
                report.add_error(
                    row,
                    self.header_of("month"),
                    values["month"].strftime("%Y-%m"),
                    _("This brand is not a new product in that month (launch date: %(launch)s).")
                    % {"launch": launch.isoformat() if launch else "-"},
                )
                ok = False
        unit_code, territory_code = values.get("org_unit_code"), values.get("territory_code")
        unit_id = territory_id = None
        if bool(unit_code) == bool(territory_code):
            column = "org_unit_code" if "org_unit_code" in self.bound else "territory_code"
            report.add_error(
                row,
                self.header_of(column),
                unit_code or territory_code or "",
                _("Fill in either the org unit code or the territory code, not both."),
            )
            ok = False
        elif unit_code:
            unit_id = self.units.get(unit_code)
            if unit_id is None:
                report.add_error(
                    row, self.header_of("org_unit_code"), unit_code, _("No org unit has this code.")
                )
                ok = False
        else:
            territory_id = self.territories.get(territory_code)
            if territory_id is None:
                report.add_error(
                    row, self.header_of("territory_code"), territory_code, _("No such territory.")
                )
                ok = False
        if not ok:
            return None
        return {
            "brand_id": brand[0],
            "month": values["month"],
            "org_unit_id": unit_id,
            "territory_id": territory_id,
            "rate": values["rate"],
        }

    def flush(self, batch, report):
        brands = {fields["brand_id"] for _row, fields in batch}
        months = {fields["month"] for _row, fields in batch}
        existing = {
            (t.brand_id, t.month, t.org_unit_id, t.territory_id): t
            for t in ShelfTarget.objects.filter(brand_id__in=brands, month__in=months)
        }
        new, changed = [], []
        for _row, fields in batch:
            target = existing.get(self.natural_key(fields))
            if target is None:
                new.append(ShelfTarget(**fields))
                report.created += 1
            elif self.apply(target, {"rate": fields["rate"]}):
                changed.append(target)
                report.updated += 1
            else:
                report.unchanged += 1
        ShelfTarget.objects.bulk_create(new)
        if changed:
            ShelfTarget.objects.bulk_update(changed, ["rate"])


def target_importer_for(header: list[str], *, on: date | None = None) -> RowImporter:
    """Sales targets have a 工号 (employee_no) column, shelf targets a 规格编码 (brand_code)."""
    words = {normalize_word(h) for h in header if h}

    def has(columns, key):
        column = next(c for c in columns if c.key == key)
        return any(normalize_word(n) in words for n in (column.header, column.key, *column.aliases))

    sales = has(SalesTargetImporter.columns, "employee_no")
    shelf = has(ShelfTargetImporter.columns, "brand_code")
    if sales == shelf:
        raise FileError(
            _(
                "Cannot tell the kind of targets: a sales-target file has a 工号 (employee_no) "
                "column, a shelf-target file a 规格编码 (brand_code) column, not both."
            ),
            row=1,
        )
    return SalesTargetImporter(on=on) if sales else ShelfTargetImporter(on=on)


# --- Order lines: staging table and set-based checks ---------------------------------------


class _LineStream(io.TextIOBase):
    """A read-only text stream over an iterator of lines, for ``COPY … FROM STDIN``.

    ``read(size)`` returns whole lines totalling at least ``size`` characters (or the rest),
    so only one buffer of lines exists at a time. An exception from the iterator ends the
    stream and is kept in ``error`` (psycopg2 would turn it into a cancelled query); the
    caller raises it after the COPY.
    """

    def __init__(self, lines: Iterator[str]):
        self._lines = lines
        self.error: BaseException | None = None

    def readable(self):
        return True

    def read(self, size: int | None = -1) -> str:
        if self.error is not None:
            return ""
        parts, total = [], 0
        try:
            for line in self._lines:
                parts.append(line)
                total += len(line)
                if size is not None and 0 <= size <= total:
                    break
        except Exception as exc:
            self.error = exc
            return ""
        return "".join(parts)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


class OrderImporter:
    """Order lines, natural key (order number, brand code); bulk path through a staging table.

    Each cell is checked while the file streams into the staging table (the same Python code
    on every database, so the messages are the same); references, duplicates inside the file
    and conflicts with lines imported before are then found set-wise in SQL.
    """

    kind = ImportKind.ORDERS
    STAGE = "import_order_stage"
    columns = (
        Column("order_no", "订单号", parse_text(40), True, ("source_order_no", "订单编号")),
        Column("license_no", "许可证号", parse_licence, True, ("licence_no",)),
        Column("brand_code", "规格编码", parse_text(20), True, ("卷烟编码", "code")),
        Column("order_date", "订单日期", parse_date, True, ("订货日期", "date")),
        Column("quantity", "数量（条）", parse_int(1), True, ("数量", "订购量")),
        Column(
            "amount",
            "金额（元）",
            parse_decimal(max_digits=12, places=2),
            True,
            ("金额",),
        ),
        Column(
            "settled_on_time",
            "按时结算",
            parse_flag,
            True,
            ("settled", "电子结算按时"),
        ),
    )

    def __init__(self, *, method: str | None = None):
        if method is None:
            method = "copy" if self.can_copy() else "insert"
        if method == "copy" and not self.can_copy():
            raise ValueError("COPY needs PostgreSQL with psycopg2")
        self.method = method
        self.months: list[date] = []  # months of the file's lines, once written

    @staticmethod
    def can_copy() -> bool:
        """COPY through psycopg2's ``copy_expert`` (the pinned driver)."""
        if connection.vendor != "postgresql":
            return False
        return getattr(connection.Database, "__name__", "") == "psycopg2"

    def run(self, table: Table, report: ImportReport, *, dry_run: bool = False) -> None:
        self.bound = bind_header(table.header, self.columns)
        self.report = report
        with connection.cursor() as cursor:
            self.create_stage(cursor)
            staged = self.fill_stage(cursor, table)
            if report.ok or staged:
                self.check_stage(cursor)
            if report.ok:
                report.unchanged = self.count_existing(cursor)
                report.created = staged - report.unchanged
                if not dry_run and self.insert(cursor) != report.created:
                    # Another import wrote some of these lines since the checks ran.
                    report.add_error(
                        None,
                        "",
                        "",
                        _("Another import wrote some of these order lines meanwhile; try again."),
                    )
                if not dry_run and report.ok and report.created:
                    self.months = self.touched_months(cursor)
            cursor.execute(f"DROP TABLE {self.STAGE}")

    # Staging ---------------------------------------------------------------------------

    def create_stage(self, cursor):
        cursor.execute(f"DROP TABLE IF EXISTS {self.STAGE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {self.STAGE} ("
            "line integer NOT NULL, order_no varchar(40) NOT NULL, "
            "license_no varchar(12) NOT NULL, brand_code varchar(20) NOT NULL, "
            "order_date date NOT NULL, quantity integer NOT NULL, "
            "amount numeric(12, 2) NOT NULL, settled boolean NOT NULL)"
        )

    def staged_rows(self, table: Table) -> Iterator[tuple]:
        """Checked rows as tuples (line, order no, licence, brand, date, qty, amount, flag).

        The common cell formats take a fast path; anything else goes through the column's
        parser, which also words the error.
        """
        report = self.report
        b = self.bound
        specs = [b[key] for key in (c.key for c in self.columns)]
        order_no, licence, brand, day, qty, amount, settled = specs
        indexes = [s.index for s in specs]
        need = max(indexes) + 1
        from_iso = date.fromisoformat
        iso_match, amount_match, licence_match = (
            ISO_DATE_RE.match,
            AMOUNT_RE.match,
            LICENCE_RE.match,
        )
        for row, cells in table.rows():
            report.rows += 1
            if len(cells) < need:
                cells = [*cells, *([""] * (need - len(cells)))]
            vals = [cells[i].strip() for i in indexes]
            v_no, v_lic, v_brand, v_day, v_qty, v_amount, v_settled = vals
            ok = True
            if not v_no or len(v_no) > 40:
                ok = self._cell(row, order_no, v_no)
            if not licence_match(v_lic):
                ok = self._cell(row, licence, v_lic) and ok
            if not v_brand or len(v_brand) > 20:
                ok = self._cell(row, brand, v_brand) and ok
            try:
                if not iso_match(v_day):
                    raise ValueError
                from_iso(v_day)
            except ValueError:
                parsed = self._parse(row, day, v_day)
                if parsed is None:
                    ok = False
                else:
                    v_day = parsed.isoformat()
            if v_qty.isdigit() and v_qty.isascii() and v_qty[0] != "0" and len(v_qty) < 10:
                pass
            else:
                parsed = self._parse(row, qty, v_qty)
                if parsed is None:
                    ok = False
                else:
                    v_qty = str(parsed)
            if not amount_match(v_amount):
                parsed = self._parse(row, amount, v_amount)
                if parsed is None:
                    ok = False
                else:
                    v_amount = str(parsed)
            word = v_settled.casefold()
            if word in TRUE_WORDS:
                flag = True
            elif word in FALSE_WORDS:
                flag = False
            else:
                flag = self._parse(row, settled, v_settled)
                ok = ok and flag is not None
            if ok:
                yield (row, v_no, v_lic, v_brand, v_day, v_qty, v_amount, flag)

    def _parse(self, row: int, bound: BoundColumn, raw: str):
        if not raw:
            self.report.add_error(row, bound.header, "", _("A value is required."))
            return None
        try:
            return bound.column.parse(raw)
        except CellError as exc:
            self.report.add_error(row, bound.header, raw, exc.reason)
            return None

    def _cell(self, row: int, bound: BoundColumn, raw: str) -> bool:
        return self._parse(row, bound, raw) is not None

    def fill_stage(self, cursor, table: Table) -> int:
        count = 0
        rows = self.staged_rows(table)

        def counted(rows):
            nonlocal count
            for item in rows:
                count += 1
                yield item

        if self.method == "copy":
            lines = (
                f"{r}\t{_copy_text(no)}\t{lic}\t{_copy_text(code)}\t{day}\t{qty}\t{amount}\t"
                f"{'t' if flag else 'f'}\n"
                for r, no, lic, code, day, qty, amount, flag in counted(rows)
            )
            stream = _LineStream(lines)
            cursor.copy_expert(
                f"COPY {self.STAGE} (line, order_no, license_no, brand_code, order_date, "
                "quantity, amount, settled) FROM STDIN",
                stream,
                size=1 << 16,
            )
            if stream.error is not None:
                raise stream.error
            cursor.execute(f"ANALYZE {self.STAGE}")
        else:
            sql = f"INSERT INTO {self.STAGE} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            batch = []
            for item in counted(rows):
                batch.append(item)
                if len(batch) >= STAGE_CHUNK_SIZE:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
        return count

    # Set-based checks --------------------------------------------------------------------

    def tables(self):
        q = connection.ops.quote_name
        return (
            q(Retailer._meta.db_table),
            q(Brand._meta.db_table),
            q(OrderLine._meta.db_table),
        )

    def _fetch(self, cursor, sql: str) -> tuple[list[tuple], int]:
        """The first MAX_ERRORS rows of a check and the number of all its rows."""
        cursor.execute(f"{sql} ORDER BY s.line LIMIT {self.report.max_errors}")
        rows = cursor.fetchall()
        return rows, (rows[0][-1] if rows else 0)

    def check_stage(self, cursor):
        retailers, brands, orders = self.tables()
        header = {key: b.header for key, b in self.bound.items()}
        errors: list[RowError] = []
        total = 0

        rows, count = self._fetch(
            cursor,
            f"SELECT s.line, s.license_no, COUNT(*) OVER () FROM {self.STAGE} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {retailers} r WHERE r.license_no = s.license_no)",
        )
        reason = _("No retailer has this licence number.")
        errors += [RowError(line, header["license_no"], lic, reason) for line, lic, _n in rows]
        total += count

        rows, count = self._fetch(
            cursor,
            f"SELECT s.line, s.brand_code, COUNT(*) OVER () FROM {self.STAGE} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {brands} b WHERE b.code = s.brand_code)",
        )
        reason = _("No brand has this code.")
        errors += [RowError(line, header["brand_code"], code, reason) for line, code, _n in rows]
        total += count

        rows, count = self._fetch(
            cursor,
            f"SELECT s.line, s.order_no, s.brand_code, d.first_line, COUNT(*) OVER () "
            f"FROM {self.STAGE} s JOIN (SELECT order_no, brand_code, MIN(line) AS first_line "
            f"FROM {self.STAGE} GROUP BY order_no, brand_code HAVING COUNT(*) > 1) d "
            "ON d.order_no = s.order_no AND d.brand_code = s.brand_code "
            "WHERE s.line > d.first_line",
        )
        for line, number, code, first, _n in rows:
            errors.append(
                RowError(
                    line,
                    header["order_no"],
                    f"{number} / {code}",
                    _("Duplicate of row %(row)s (same order number and brand).") % {"row": first},
                )
            )
        total += count

        # Lines imported before with other values: order lines never change.
        compared = (
            ("license_no", "r.license_no <> s.license_no", 1, 2),
            ("order_date", "o.order_date <> s.order_date", 3, 4),
            ("quantity", "o.quantity <> s.quantity", 5, 6),
            ("amount", "o.amount <> s.amount", 7, 8),
            ("settled_on_time", "o.settled_on_time <> s.settled", 9, 10),
        )
        joins = (
            f"FROM {self.STAGE} s JOIN {brands} b ON b.code = s.brand_code "
            f"JOIN {orders} o ON o.source_order_no = s.order_no AND o.brand_id = b.id "
            f"JOIN {retailers} r ON r.id = o.retailer_id"
        )
        differs = " OR ".join(test for _k, test, _i, _j in compared)
        sums = ", ".join(
            f"SUM(CASE WHEN {test} THEN 1 ELSE 0 END)" for _k, test, _i, _j in compared
        )
        cursor.execute(f"SELECT {sums} {joins} WHERE {differs}")
        count = sum(n or 0 for n in cursor.fetchone())
        if count:
            rows, _n = self._fetch(
                cursor,
                "SELECT s.line, s.license_no, r.license_no, s.order_date, o.order_date, "
                "s.quantity, o.quantity, s.amount, o.amount, s.settled, o.settled_on_time, "
                f"COUNT(*) OVER () {joins} WHERE {differs}",
            )
            for row in rows:
                for key, _test, new, old in compared:
                    if self._sql_value(row[new], key) != self._sql_value(row[old], key):
                        errors.append(
                            RowError(
                                row[0],
                                header[key],
                                self._sql_value(row[new], key),
                                _(
                                    "Already imported with %(old)s; imported order lines "
                                    "cannot change."
                                )
                                % {"old": self._sql_value(row[old], key)},
                            )
                        )
            total += count
        if total:
            self.report.merge_errors(errors, total)

    @staticmethod
    def _sql_value(value, key: str) -> str:
        """A staged or stored value as the text a user would write in the file."""
        if key == "amount":
            return str(Decimal(str(value)).quantize(Decimal("0.01")))
        if key == "settled_on_time":
            return "是" if value in (True, 1, "1", "t") else "否"
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    def touched_months(self, cursor) -> list[date]:
        """The months the file's order dates fall in (first days), for the order rollup."""
        cursor.execute(f"SELECT DISTINCT order_date FROM {self.STAGE}")
        days = {row[0] for row in cursor.fetchall()}
        days = {date.fromisoformat(d) if isinstance(d, str) else d for d in days}
        return sorted({d.replace(day=1) for d in days})

    def count_existing(self, cursor) -> int:
        _retailers, brands, orders = self.tables()
        cursor.execute(
            f"SELECT COUNT(*) FROM {self.STAGE} s JOIN {brands} b ON b.code = s.brand_code "
            f"JOIN {orders} o ON o.source_order_no = s.order_no AND o.brand_id = b.id"
        )
        return cursor.fetchone()[0]

    def insert(self, cursor) -> int:
        retailers, brands, orders = self.tables()
        cursor.execute(
            f"INSERT INTO {orders} (retailer_id, brand_id, order_date, quantity, amount, "
            "source_order_no, settled_on_time) "
            "SELECT r.id, b.id, s.order_date, s.quantity, s.amount, s.order_no, s.settled "
            f"FROM {self.STAGE} s JOIN {retailers} r ON r.license_no = s.license_no "
            f"JOIN {brands} b ON b.code = s.brand_code WHERE 1 = 1 "
            "ON CONFLICT (source_order_no, brand_id) DO NOTHING"
        )
        return cursor.rowcount


# --- Entry point ----------------------------------------------------------------------------


def _queue_order_rollup(months: list[date]) -> None:
    """Queue the retailer order rollup (reports) of ``months`` once the import commits."""
    from reports.tasks import refresh_order_rollup

    refresh_order_rollup.delay_on_commit(months=[m.isoformat() for m in months])


def import_file(
    kind: str,
    path: str | Path,
    *,
    filename: str | None = None,
    dry_run: bool = False,
    on: date | None = None,
    method: str | None = None,
) -> ImportReport:
    """Import one file of ``kind`` (see ImportKind); return its report.

    ``filename`` is the name the user gave the file (an upload's temp file has another);
    ``on`` is the effective date of retailer assignments (default: today); ``method``
    forces the order staging path (``copy`` or ``insert``), for tests and benchmarks.
    """
    kind = ImportKind(kind)
    report = ImportReport(kind=kind, dry_run=dry_run)
    try:
        with Table(path, filename) as table, transaction.atomic():
            if kind == ImportKind.ORDERS:
                orders = OrderImporter(method=method)
                orders.run(table, report, dry_run=dry_run)
                if report.ok and orders.months:
                    _queue_order_rollup(orders.months)
            else:
                importer = {
                    ImportKind.RETAILERS: RetailerImporter,
                    ImportKind.BRANDS: BrandImporter,
                }.get(kind)
                importer = importer(on=on) if importer else target_importer_for(table.header, on=on)
                importer.run(table, report)
            if not report.ok or dry_run:
                transaction.set_rollback(True)
    except FileError as exc:
        report.add_error(exc.row, "", "", exc.reason)
    if not report.ok:
        report.fail()
    return report
