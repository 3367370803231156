"""Order lines through a staging table: COPY on PostgreSQL, then set-based checks."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Min, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from config.database import analyze
from imports.engine import ANALYZE_AFTER_ROWS
from imports.kinds import ImportKind
from imports.parsing import (
    AMOUNT_RE,
    FALSE_WORDS,
    ISO_DATE_RE,
    LICENCE_RE,
    TRUE_WORDS,
    BoundColumn,
    CellError,
    Column,
    bind_header,
    parse_date,
    parse_decimal,
    parse_flag,
    parse_int,
    parse_licence,
    parse_text,
)
from imports.reading import BadCell, Table
from imports.report import LATE_LABEL, ImportReport, RowError
from imports.selectors import Limits
from retailers.models import (
    Brand,
    OrderLine,
    Retailer,
)

STAGE_CHUNK_SIZE = 5000  # rows per INSERT batch into the order staging table (non-PostgreSQL)


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


def _nonzero(parse):
    """A quantity: an order line sells (> 0), a return (退货) takes back (< 0); never 0."""

    def parse_quantity(value: str) -> int:
        number = parse(value)
        if number == 0:
            raise CellError(_("Must not be 0 (a return has a negative quantity)."))
        return number

    return parse_quantity


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
        # A return (退货) names the order number of the line it returns; the original line is
        # the one with that order number, this row's brand and this row's retailer.
        Column("original_no", "原订单号", parse_text(40), False, ("original_order_no",)),
    )

    def __init__(self, *, method: str | None = None, limits: Limits | None = None, **options):
        self.limits = limits or Limits()
        # The ranges are data (FileLimits), so the columns are made per import.
        self.columns = tuple(
            replace(column, parse=parse)
            if (parse := self._ranged_parser(column.key)) is not None
            else column
            for column in self.columns
        )
        if method is None:
            method = "copy" if self.can_copy() else "insert"
        if method == "copy" and not self.can_copy():
            raise ValueError("COPY needs PostgreSQL with psycopg2")
        self.method = method
        self.months: list[date] = []  # months of the file's lines, once written

    def _ranged_parser(self, key: str):
        if key == "quantity":
            return _nonzero(
                parse_int(-self.limits.order_max_cartons, self.limits.order_max_cartons)
            )
        if key == "amount":
            maximum = self.limits.order_max_amount
            return parse_decimal(max_digits=12, places=2, minimum=-maximum, maximum=maximum)
        return None

    @classmethod
    def for_header(cls, header: list[str], **options) -> OrderImporter:
        return cls(**options)

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
                    _queue_order_rollup(self.months)
                    if late := self.note_late():
                        report.details.append((LATE_LABEL, late))
            cursor.execute(f"DROP TABLE {self.STAGE}")
        if not dry_run and report.ok and report.created >= ANALYZE_AFTER_ROWS:
            analyze(OrderLine)

    # Staging ---------------------------------------------------------------------------

    def create_stage(self, cursor):
        cursor.execute(f"DROP TABLE IF EXISTS {self.STAGE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {self.STAGE} ("
            "line integer NOT NULL, order_no varchar(40) NOT NULL, "
            "license_no varchar(12) NOT NULL, brand_code varchar(20) NOT NULL, "
            "order_date date NOT NULL, quantity integer NOT NULL, "
            "amount numeric(12, 2) NOT NULL, settled boolean NOT NULL, "
            "original_no varchar(40) NOT NULL)"
        )

    def staged_rows(self, table: Table) -> Iterator[tuple]:
        """Checked rows as tuples (line, order no, licence, brand, date, qty, amount, flag,
        original order no or "").

        The common cell formats take a fast path; anything else goes through the column's
        parser, which also words the error.
        """
        report = self.report
        b = self.bound
        specs = [b[key] for key in (c.key for c in self.columns) if key != "original_no"]
        order_no, licence, brand, day, qty, amount, settled = specs
        original = b.get("original_no")
        if original is not None:
            specs.append(original)
        indexes = [s.index for s in specs]
        need = max(indexes) + 1
        from_iso = date.fromisoformat
        iso_match, amount_match, licence_match = (
            ISO_DATE_RE.match,
            AMOUNT_RE.match,
            LICENCE_RE.match,
        )
        max_cartons = self.limits.order_max_cartons
        max_amount = self.limits.order_max_amount
        for row, cells in table.rows():
            report.rows += 1
            if len(cells) < need:
                cells = [*cells, *([""] * (need - len(cells)))]
            vals = [cells[i].strip() for i in indexes]
            bad = [(spec, v) for spec, v in zip(specs, vals, strict=True) if isinstance(v, BadCell)]
            if bad:
                for spec, value in bad:
                    report.add_error(row, spec.header, value, value.reason)
                continue
            v_no, v_lic, v_brand, v_day, v_qty, v_amount, v_settled = vals[:7]
            v_original = vals[7] if original is not None else ""
            ok = True
            if not v_no or len(v_no) > 40:
                ok = self.cell(row, order_no, v_no)
            if not licence_match(v_lic):
                ok = self.cell(row, licence, v_lic) and ok
            if not v_brand or len(v_brand) > 20:
                ok = self.cell(row, brand, v_brand) and ok
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
            if (
                v_qty.isdigit()
                and v_qty.isascii()
                and v_qty[0] != "0"
                and len(v_qty) < 10
                and int(v_qty) <= max_cartons
            ):
                pass
            else:
                parsed = self._parse(row, qty, v_qty)
                if parsed is None:
                    ok = False
                else:
                    v_qty = str(parsed)
            if not amount_match(v_amount) or Decimal(v_amount) > max_amount:
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
            if original is not None and len(v_original) > 40:
                ok = self.cell(row, original, v_original) and ok
            if ok:
                ok = self._check_return(row, v_qty, v_amount, v_original, qty, amount, original)
            if ok:
                yield (row, v_no, v_lic, v_brand, v_day, v_qty, v_amount, flag, v_original)

    def _check_return(self, row, v_qty, v_amount, v_original, qty, amount, original) -> bool:
        """Sign consistency (DOMAIN §10.5): quantity < 0 ⇔ amount < 0 ⇔ names an original."""
        is_return = int(v_qty) < 0
        if is_return != (Decimal(v_amount) < 0):
            self.report.add_error(
                row,
                amount.header,
                v_amount,
                _(
                    "A return has a negative quantity and a negative amount; an order line "
                    "has both positive."
                ),
            )
            return False
        if is_return and not v_original:
            header = original.header if original is not None else "原订单号"
            self.report.add_error(
                row,
                header,
                "",
                _("A return (negative quantity) names the order number of the line it returns."),
            )
            return False
        if not is_return and v_original:
            self.report.add_error(
                row,
                original.header,
                v_original,
                _("Only a return (negative quantity) names an original order number."),
            )
            return False
        return True

    def _parse(self, row: int, bound: BoundColumn, raw: str):
        if not raw:
            self.report.add_error(row, bound.header, "", _("A value is required."))
            return None
        try:
            return bound.column.parse(raw)
        except CellError as exc:
            self.report.add_error(row, bound.header, raw, exc.reason)
            return None

    def cell(self, row: int, bound: BoundColumn, raw: str) -> bool:
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
                f"{'t' if flag else 'f'}\t{_copy_text(original)}\n"
                for r, no, lic, code, day, qty, amount, flag, original in counted(rows)
            )
            stream = _LineStream(lines)
            # ``size`` positionally: Django's debug cursor wrapper (DEBUG=1) takes no keywords.
            cursor.copy_expert(
                f"COPY {self.STAGE} (line, order_no, license_no, brand_code, order_date, "
                "quantity, amount, settled, original_no) FROM STDIN",
                stream,
                1 << 16,
            )
            if stream.error is not None:
                raise stream.error
            cursor.execute(f"ANALYZE {self.STAGE}")
        else:
            sql = f"INSERT INTO {self.STAGE} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
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

        errors, total = self.check_returns(cursor, header, errors, total)

        # Lines imported before with other values: order lines never change.
        compared = (
            ("license_no", "r.license_no <> s.license_no", 1, 2),
            ("order_date", "o.order_date <> s.order_date", 3, 4),
            ("quantity", "o.quantity <> s.quantity", 5, 6),
            ("amount", "o.amount <> s.amount", 7, 8),
            ("settled_on_time", "o.settled_on_time <> s.settled", 9, 10),
            ("original_no", "COALESCE(ro.source_order_no, '') <> s.original_no", 11, 12),
        )
        joins = (
            f"FROM {self.STAGE} s JOIN {brands} b ON b.code = s.brand_code "
            f"JOIN {orders} o ON o.source_order_no = s.order_no AND o.brand_id = b.id "
            f"JOIN {retailers} r ON r.id = o.retailer_id "
            f"LEFT JOIN {orders} ro ON ro.id = o.returns_line_id"
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
                "s.original_no, COALESCE(ro.source_order_no, ''), "
                f"COUNT(*) OVER () {joins} WHERE {differs}",
            )
            for row in rows:
                for key, _test, new, old in compared:
                    if key not in header:  # 原订单号 absent from the file
                        header[key] = "原订单号"
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

    def check_returns(self, cursor, header, errors, total):
        """Returns (DOMAIN §10.5), set-wise: each names an order line (the original order
        number, this row's brand and retailer) imported before or in this file, and all the
        returns of a line together (imported before and in this file) do not exceed its
        quantity."""
        cursor.execute(f"SELECT 1 FROM {self.STAGE} WHERE quantity < 0 LIMIT 1")
        if cursor.fetchone() is None:  # no return in the file: nothing to check
            return errors, total
        retailers, brands, orders = self.tables()
        column = header.get("original_no", "原订单号")
        # The lines a return may name: sold lines stored, and sold lines of this file.
        originals = (
            f"SELECT o.source_order_no AS order_no, b.code AS brand_code, "
            f"r.license_no, o.quantity, o.id "
            f"FROM {orders} o JOIN {brands} b ON b.id = o.brand_id "
            f"JOIN {retailers} r ON r.id = o.retailer_id "
            f"WHERE o.quantity > 0 AND o.source_order_no IN "
            f"(SELECT original_no FROM {self.STAGE} WHERE quantity < 0) "
            "UNION "
            f"SELECT order_no, brand_code, license_no, quantity, NULL FROM {self.STAGE} n "
            f"WHERE quantity > 0 AND order_no IN "
            f"(SELECT original_no FROM {self.STAGE} WHERE quantity < 0) "
            f"AND NOT EXISTS (SELECT 1 FROM {orders} o "
            f"JOIN {brands} b ON b.id = o.brand_id "
            "WHERE o.source_order_no = n.order_no AND b.code = n.brand_code)"
        )
        rows, count = self._fetch(
            cursor,
            f"SELECT s.line, s.original_no, COUNT(*) OVER () FROM {self.STAGE} s "
            f"WHERE s.quantity < 0 AND NOT EXISTS (SELECT 1 FROM ({originals}) g "
            "WHERE g.order_no = s.original_no AND g.brand_code = s.brand_code "
            "AND g.license_no = s.license_no)",
        )
        reason = _(
            "No order line of this retailer and brand has this order number: a return names "
            "the order line it returns."
        )
        errors += [RowError(line, column, number, reason) for line, number, _n in rows]
        total += count

        # Every return of the named lines: stored ones and this file's new ones (a line of the
        # file imported before counts once: the stored line equals it, or is refused above).
        returned = (
            f"SELECT ro.source_order_no AS original_no, b.code AS brand_code, "
            "r.license_no, o.source_order_no AS order_no, o.quantity "
            f"FROM {orders} o JOIN {orders} ro ON ro.id = o.returns_line_id "
            f"JOIN {brands} b ON b.id = o.brand_id JOIN {retailers} r ON r.id = o.retailer_id "
            "WHERE ro.source_order_no IN "
            f"(SELECT original_no FROM {self.STAGE} WHERE quantity < 0) "
            "UNION "
            f"SELECT original_no, brand_code, license_no, order_no, quantity FROM {self.STAGE} "
            "WHERE quantity < 0"
        )
        rows, count = self._fetch(
            cursor,
            f"SELECT s.line, s.original_no, s.brand_code, t.returned, g.quantity, "
            f"COUNT(*) OVER () FROM {self.STAGE} s "
            f"JOIN (SELECT original_no, brand_code, license_no, -SUM(quantity) AS returned "
            f"FROM ({returned}) x GROUP BY original_no, brand_code, license_no) t "
            "ON t.original_no = s.original_no AND t.brand_code = s.brand_code "
            "AND t.license_no = s.license_no "
            f"JOIN ({originals}) g ON g.order_no = s.original_no "
            "AND g.brand_code = s.brand_code AND g.license_no = s.license_no "
            "WHERE s.quantity < 0 AND t.returned > g.quantity",
        )
        for line, number, code, returned_total, quantity, _n in rows:
            errors.append(
                RowError(
                    line,
                    column,
                    f"{number} / {code}",
                    _(
                        "All returns of this order line come to %(returned)s 条, more than "
                        "the %(quantity)s 条 ordered."
                    )
                    % {"returned": returned_total, "quantity": quantity},
                )
            )
        total += count
        return errors, total

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
        """Sold lines first, then the returns, which name a sold line (possibly one of this
        file). Every new line records when it arrived: now."""
        retailers, brands, orders = self.tables()
        self.arrived_at = timezone.now()
        arrived = connection.ops.adapt_datetimefield_value(self.arrived_at)
        cursor.execute(
            f"INSERT INTO {orders} (retailer_id, brand_id, order_date, quantity, amount, "
            "source_order_no, settled_on_time, arrived_at) "
            "SELECT r.id, b.id, s.order_date, s.quantity, s.amount, s.order_no, s.settled, %s "
            f"FROM {self.STAGE} s JOIN {retailers} r ON r.license_no = s.license_no "
            f"JOIN {brands} b ON b.code = s.brand_code WHERE s.quantity > 0 "
            "ON CONFLICT (source_order_no, brand_id) DO NOTHING",
            [arrived],
        )
        created = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {orders} (retailer_id, brand_id, order_date, quantity, amount, "
            "source_order_no, settled_on_time, arrived_at, returns_line_id) "
            "SELECT r.id, b.id, s.order_date, s.quantity, s.amount, s.order_no, s.settled, %s, "
            f"o.id FROM {self.STAGE} s JOIN {retailers} r ON r.license_no = s.license_no "
            f"JOIN {brands} b ON b.code = s.brand_code "
            f"JOIN {orders} o ON o.source_order_no = s.original_no AND o.brand_id = b.id "
            "AND o.retailer_id = r.id AND o.quantity > 0 WHERE s.quantity < 0 "
            "ON CONFLICT (source_order_no, brand_id) DO NOTHING",
            [arrived],
        )
        return created + cursor.rowcount

    def note_late(self) -> int:
        """Lines of this import (they share ``arrived_at``) dated in a month in review or
        published are late data of it (DOMAIN §4): one entry per city and month, counted in
        one GROUP BY over the lines written (nothing more when no month is locked). Returns
        the number of such lines."""
        from assessment.adjustments import note_late
        from assessment.models import LateKind
        from assessment.selectors import locked_months

        locked = locked_months()
        if not locked:
            return 0
        rows = (
            OrderLine.objects.filter(arrived_at=self.arrived_at)
            .values(
                month=TruncMonth("order_date"),
                company=F("retailer__territory__department__company_id"),
            )
            .annotate(
                lines=Count("pk"),
                returns=Count("pk", filter=Q(quantity__lt=0)),
                first=Min("order_date"),
            )
            .order_by("company", "month")
        )
        late = 0
        for row in rows:
            state = locked.get(row["company"], {}).get(row["month"])
            if state is None:
                continue
            note = f"订单行 {row['lines']} 条"
            if row["returns"]:
                note += f"（其中退货 {row['returns']} 条）"
            note_late(
                kind=LateKind.ORDER_LINES,
                company=row["company"],
                day=row["first"],
                note=note,
                state=state,
                now=self.arrived_at,
            )
            late += row["lines"]
        return late


# --- Entry point ----------------------------------------------------------------------------


def _queue_order_rollup(months: list[date]) -> None:
    """Queue the retailer order rollup (reports) of ``months`` once the import commits."""
    from reports.tasks import refresh_order_rollup

    refresh_order_rollup.delay_on_commit(months=[m.isoformat() for m in months])
