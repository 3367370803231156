"""A report described once: the table a page shows and its .xlsx export both come from it.

A ``ReportTable`` names a report of DOMAIN.md §8 (its code, its Chinese title, who may see it
and the page it belongs to) and builds, for a user and the page's query string, a ``Table``:
columns with Chinese headers and a kind, and the rows, read through the same selector or
FilterSet as the page. The page renders the table (or its own layout of the same rows); the
export path (``reports.services.exports``) writes it with ``reports.sheets.write_table_xlsx``,
at once when it is small and as an ``ExportJob`` run by Celery when it is large.

Values in rows are raw: 条 for a ``BOXES`` column (the sheet and ``|boxes`` show 箱), a ratio
0–1 for a ``PERCENT`` column, ``Decimal`` for money, aware datetimes for ``DATETIME``.
"""

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

# Rows a table reads from the database per round trip when it is iterated whole (an export).
CHUNK_SIZE = 2000
FILENAME_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    BOXES = "boxes"  # value in 条, shown and written as 箱 with two decimals
    MONEY = "money"  # 元, two decimals
    DECIMAL = "decimal"  # points and other figures, two decimals
    PERCENT = "percent"  # a ratio 0–1, shown as a percentage with one decimal
    DATE = "date"
    DATETIME = "datetime"  # shown in Asia/Shanghai


NUMERIC_KINDS = (Kind.INT, Kind.BOXES, Kind.MONEY, Kind.DECIMAL, Kind.PERCENT)


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # Chinese: the document's content, whatever the interface language
    kind: Kind = Kind.TEXT
    width: int | None = None

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


class QueryRows:
    """The rows of a queryset, each turned into a tuple by ``row``, read lazily.

    ``len()`` is one COUNT, a slice reads only that page (so a Paginator can page it), and
    iterating reads the whole result in chunks (``prefetch_related`` still applies).
    ``numbered``: ``row(n, obj)`` also gets the row's 1-based position in the whole result.
    """

    def __init__(self, queryset, row: Callable, *, numbered: bool = False):
        self.queryset = queryset
        self.row = row if numbered else (lambda _n, obj: row(obj))
        self._count = None

    def count(self) -> int:
        if self._count is None:
            self._count = self.queryset.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self.row(index + 1, self.queryset[index])
        start = index.start or 0
        return [self.row(start + n, obj) for n, obj in enumerate(self.queryset[index], 1)]

    def __iter__(self) -> Iterator[tuple]:
        for n, obj in enumerate(self.queryset.iterator(chunk_size=CHUNK_SIZE), 1):
            yield self.row(n, obj)


@dataclass
class Table:
    """One report's table for one user and one set of filters."""

    title: str
    columns: Sequence[Column]
    rows: Sequence  # tuples in column order (a list, or ``QueryRows``)
    period: str = ""  # "2026-11", a date range…: part of the file name
    totals: tuple | None = None  # an optional last row (合计), in column order
    empty_note: str = ""  # what the page says when there is nothing (e.g. rollup not built)
    extra: dict = field(default_factory=dict)  # what a page needs beside the rows

    @property
    def filename(self) -> str:
        name = f"{self.title}-{self.period}" if self.period else self.title
        return FILENAME_FORBIDDEN.sub("_", name) + ".xlsx"

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class ReportTable:
    """A report of DOMAIN.md §8: who may see it, and how its table is built.

    ``build(user, params)`` takes the page's query string (a QueryDict) and returns the
    ``Table``; it raises ``ReportNotFound`` for a scope outside the user's subtree (404).
    ``allowed(user)`` is the page's own access rule: whoever may see the page may export it.
    """

    code: str
    title: str
    page: str  # URL name of the page
    allowed: Callable[[object], bool]
    build: Callable[[object, object], Table]


class ReportNotFound(LookupError):
    """The filters name something the user does not see (a page answers 404)."""


# Query-string parameters that only move through a page, never filter it.
PAGE_ONLY_PARAMS = ("page",)


def params_to_json(query) -> dict[str, list[str]]:
    """A page's query string (QueryDict) as stored with an export job: {name: [values]}."""
    return {key: query.getlist(key) for key in query if key not in PAGE_ONLY_PARAMS}


def params_from_json(params: dict):
    """The stored query string back as a QueryDict, as the page received it."""
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, values in (params or {}).items():
        query.setlist(key, [str(value) for value in values])
    return query
