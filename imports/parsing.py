"""Cell parsers and the columns an importer declares (header words in Chinese or English)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from .reading import BadCell, FileError
from .report import ImportReport


class CellError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


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


DATETIME_RE = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$"
)


def parse_datetime(value: str) -> datetime:
    """YYYY-MM-DD HH:MM[:SS] (also with / or .), local time (Asia/Shanghai) → aware datetime."""
    if match := DATETIME_RE.match(value):
        try:
            year, month, day, hour, minute = (int(part) for part in match.groups()[:5])
            second = int(match.group(6) or 0)
            naive = datetime(year, month, day, hour, minute, second)
        except ValueError:
            pass
        else:
            return timezone.make_aware(naive, timezone.get_default_timezone())
    raise CellError(_("Not a date and time; use YYYY-MM-DD HH:MM (Asia/Shanghai)."))


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
        raw = cell(cells, b.index)
        if isinstance(raw, BadCell):
            report.add_error(row, b.header, raw, raw.reason)
            ok = False
            continue
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


def cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""
