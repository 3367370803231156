"""Reading CSV (UTF-8 or GB18030) and XLSX files row by row, never the whole file at once."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any

import openpyxl
from django.utils.translation import gettext as _

from .selectors import MB, Limits


class FileError(Exception):
    """The file as a whole cannot be read (wrong type, encoding, missing columns)."""

    def __init__(self, reason: str, row: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.row = row


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
        if value.time() != dt_time(0, 0):  # a date and time cell keeps its time
            return value.isoformat(sep=" ")
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


# C0 control characters: tab, line feed and carriage return become spaces; the others
# (NUL among them) make the cell an error (DOMAIN.md §9).
_C0 = re.compile(r"[\x00-\x1f]")
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TO_SPACE = str.maketrans({"\t": " ", "\n": " ", "\r": " "})


class BadCell(str):
    """A cell that cannot be used (a control character, too long): the importer reports it
    as a row error with ``reason``. Its text is the start of the cell, made printable."""

    reason: str

    def __new__(cls, text: str, reason: str):
        shown = _FORBIDDEN.sub("\N{REPLACEMENT CHARACTER}", text[:100]).translate(_TO_SPACE)
        cell = super().__new__(cls, shown)
        cell.reason = reason
        return cell

    def strip(self, chars=None):  # stays a BadCell wherever cells are stripped
        return self


def clean_cell(text: str, max_chars: int) -> str:
    """``text`` with tab, line feed and carriage return as spaces, or a BadCell."""
    if len(text) > max_chars:
        return BadCell(
            text,
            _("The cell holds %(length)s characters; at most %(max)s are allowed.")
            % {"length": len(text), "max": max_chars},
        )
    if _C0.search(text):
        if bad := _FORBIDDEN.search(text):
            return BadCell(
                text,
                _("The cell holds the control character U+%(code)04X; remove it.")
                % {"code": ord(bad.group())},
            )
        return text.translate(_TO_SPACE)
    return text


def _bounded_lines(text, limit: int) -> Iterator[str]:
    """The lines of a text stream, refusing one longer than ``limit`` before it is read whole."""
    while line := text.readline(limit + 1):
        if len(line) > limit:
            raise FileError(_("A line is longer than %(max)s characters.") % {"max": limit})
        yield line


def check_xlsx_size(binary, limit: int) -> None:
    """Refuse an .xlsx whose parts unpack to more than ``limit`` bytes, before reading it.

    The sizes come from the zip directory; ``zipfile`` (which openpyxl reads through) never
    unpacks a part beyond its stated size, so a part that lies fails its check instead.
    """
    try:
        with zipfile.ZipFile(binary) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileError(
            _("Not a readable XLSX file (%(error)s).") % {"error": exc.__class__.__name__}
        ) from exc
    finally:
        binary.seek(0)
    if unpacked > limit:
        raise FileError(
            _("The .xlsx file unpacks to %(size)s MB; at most %(max)s MB are allowed.")
            % {"size": -(-unpacked // MB), "max": limit // MB}
        )


class Table:
    """An open CSV or XLSX file: ``header`` (row 1) and ``rows()`` (row number, cells).

    CSV cells are returned as read (the importer strips the ones it uses); XLSX cells are
    converted with ``cell_text``. Blank rows are skipped but counted, so row numbers stay
    those Excel shows.
    """

    def __init__(self, path: str | Path, filename: str | None = None, limits: Limits | None = None):
        self.name = filename or Path(path).name
        self.limits = limits or Limits()
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
                check_xlsx_size(self._binary, self.limits.xlsx_max_unpacked_bytes)
                self._raw = self._open_xlsx()
            else:
                self.format = "csv"
                self.encoding = detect_encoding(self._binary)
                text = io.TextIOWrapper(self._binary, encoding=self.encoding, newline="")
                self._raw = csv.reader(_bounded_lines(text, self.limits.csv_max_line_chars))
            self._row_number = 0
            first = self._next_raw()
            if first is None:
                raise FileError(_("The file is empty."))
            self.header = self._clean([cell_text(c) for c in first])
            if self.header and self.header[0].startswith("\ufeff"):
                self.header[0] = self.header[0].lstrip("\ufeff")
            if bad := next((c for c in self.header if isinstance(c, BadCell)), None):
                raise FileError(
                    _("A column header is not usable: %(reason)s") % {"reason": bad.reason}, row=1
                )
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
        except FileError as exc:
            exc.row = exc.row or self._row_number + 1
            raise
        except UnicodeDecodeError as exc:
            raise FileError(
                _("The text is neither UTF-8 nor GB18030."), row=self._row_number + 1
            ) from exc
        except csv.Error as exc:
            raise FileError(
                _("The CSV file is malformed (%(error)s).") % {"error": exc},
                row=self._row_number + 1,
            ) from exc
        except (zipfile.BadZipFile, OSError, KeyError, ValueError, SyntaxError) as exc:
            # A damaged .xlsx part (bad CRC, broken XML: lxml's errors are SyntaxErrors).
            raise FileError(
                _("Not a readable XLSX file (%(error)s).") % {"error": exc.__class__.__name__},
                row=self._row_number + 1,
            ) from exc
        if raw is not None:
            self._row_number += 1
            if self._row_number > self.limits.max_rows + 1:  # the header is row 1
                raise FileError(
                    _("The file has more than %(max)s rows.") % {"max": self.limits.max_rows},
                    row=self._row_number,
                )
        return raw

    def _clean(self, cells: list) -> list:
        """Cells as text: over-long or control-character cells become BadCells; more than
        the allowed number of (non-empty) columns is an error of the whole file."""
        limits = self.limits
        if len(cells) > limits.max_columns:
            if any(cells[limits.max_columns :]):
                raise FileError(
                    _("More than %(max)s columns are filled.") % {"max": limits.max_columns},
                    row=self._row_number,
                )
            cells = cells[: limits.max_columns]
        max_chars = limits.max_cell_chars
        return [clean_cell(c, max_chars) if c else c for c in cells]

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        xlsx = self.format == "xlsx"
        while (raw := self._next_raw()) is not None:
            cells = [cell_text(c) for c in raw] if xlsx else raw
            if any(cells):
                yield self._row_number, self._clean(cells)

    def close(self):
        if self._workbook is not None:
            self._workbook.close()
        self._binary.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- Parsing cells ----------------------------------------------------------------------------
