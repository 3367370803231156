"""The workbooks: the HR monthly bonus sheet (奖金表, DOMAIN.md §7) as an Excel workbook or a
CSV file, and any report table of §8 (``write_table_xlsx``, see ``reports.tables``).

``bonus_sheet_frame`` reads the run's lines in one query into a DataFrame; the writers lay it
out: a summary sheet (汇总) first, then one sheet per marketing center in org-code order, rows
by center, department and territory code then 工号, each with a totals row (合计: SUM
formulas over the rows, with their values cached so a reader without a calculation engine sees
them too) and a footer (制表 = the preparer, 审核 = the approver, 批准 = a blank line to sign,
the run's approval state, the month). The printed page header is ``page_header``: the font
size code is closed before the text, so a title starting with digits stays text.

Text never becomes a formula: in the workbook every text cell is written as a string
(XlsxWriter's ``strings_to_formulas`` is off, so pandas' ``write`` goes to ``write_string``);
in the CSV a text field that starts with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage
return) gets a leading ``'``. Numbers are written as numbers and never prefixed. Both
workbooks share the writer options (``XLSX_OPTIONS``) and the header format.
"""

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from django.utils import timezone, translation
from xlsxwriter.utility import xl_col_to_name

from .models import PayRun, PayRunStatus, Tier
from .tables import Kind, Table

# The sheet is an HR document whose layout DOMAIN.md §7 fixes: these headers and labels are
# the document's content (Chinese whatever the interface language), not interface strings,
# so they are not marked for translation. Keys are the frame's column names.
LINE_COLUMNS = {
    "seq": "序号",
    "employee_no": "工号",
    "name": "姓名",
    "center": "营销中心",
    "department": "市场部",
    "territory": "片区",
    "tier": "等级",
    "boxes_1": "一类 (箱)",
    "boxes_2": "二类 (箱)",
    "boxes_3": "三类 (箱)",
    "boxes_4": "四类 (箱)",
    "boxes_5": "五类 (箱)",
    "boxes_total": "合计 (箱)",
    "piece_pay": "计件工资",
    "score": "考核得分",
    "score_coefficient": "考核系数",
    "tier_coefficient": "等级系数",
    "allowance": "等级津贴",
    "adjustment": "补发/扣回",
    "bonus": "应发奖金",
}
SUMMARY_COLUMNS = {
    "seq": "序号",
    "center": "营销中心",
    "managers": "人数",
    "boxes_1": "一类 (箱)",
    "boxes_2": "二类 (箱)",
    "boxes_3": "三类 (箱)",
    "boxes_4": "四类 (箱)",
    "boxes_5": "五类 (箱)",
    "boxes_total": "合计 (箱)",
    "piece_pay": "计件工资",
    "allowance": "等级津贴",
    "adjustment": "补发/扣回",
    "bonus": "应发奖金",
}
SHEET_LABELS = {
    "summary": "汇总",
    "total": "合计",
    "title": "{month}客户经理奖金表",
    "month": "{year}年{month}月",
    "prepared": "制表：{name}",
    "reviewed": "审核：{name}",
    "approved": "批准：{name}",
    "file": "奖金表-{month}.{ext}",
    "file_of_city": "奖金表-{city}-{month}.{ext}",
    "state": "审批状态：{state}",
    "period": "月份：{month}",
}
SIGNATURE_LINE = "________"  # 批准 is signed on paper
STATE_LABELS = {PayRunStatus.APPROVED: "已审批", PayRunStatus.PREPARED: "未审批，仅供核对"}

TEXT_COLUMNS = ["employee_no", "name", "center", "department", "territory", "tier"]
BOX_COLUMNS = ["boxes_1", "boxes_2", "boxes_3", "boxes_4", "boxes_5", "boxes_total"]
MONEY_COLUMNS = ["piece_pay", "allowance", "adjustment", "bonus"]
SUMMED_COLUMNS = [*BOX_COLUMNS, *MONEY_COLUMNS]
# number format and width of each column (text columns: width only)
COLUMN_LAYOUT = {
    "seq": ("0", 5),
    "employee_no": (None, 10),
    "name": (None, 10),
    "center": (None, 14),
    "department": (None, 16),
    "territory": (None, 14),
    "tier": (None, 7),
    **dict.fromkeys(BOX_COLUMNS, ("0.00", 9)),
    "piece_pay": ("0.00", 11),
    "score": ("0.00", 8),
    "score_coefficient": ("0.0000", 8),
    "tier_coefficient": ("0.00", 8),
    "allowance": ("0.00", 9),
    "adjustment": ("0.00", 10),
    "bonus": ("0.00", 11),
    "managers": ("0", 6),
}
CARTONS_PER_BOX = Decimal(250)  # 条 per 箱
CENT = Decimal("0.01")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MAX_SHEET_NAME = 31
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Text stays text: never a formula, a link or a number.
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
CELL_FORMAT = {"border": 1, "valign": "vcenter"}
HEAD_FORMAT = {**CELL_FORMAT, "bold": True, "bg_color": "#F2E6D9", "text_wrap": True}
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

Progress = Callable[[int], None]
LINE_FIELDS = [
    "manager__employee_no",
    "manager__name",
    "center_name",
    "department_name",
    "territory_name",
    "tier",
    "cartons_1",
    "cartons_2",
    "cartons_3",
    "cartons_4",
    "cartons_5",
    "piece_pay",
    "score",
    "score_coefficient",
    "tier_coefficient",
    "allowance",
    "adjustment",
    "bonus",
]


LINE_ORDER = ("center_code", "department_code", "territory_code", "manager__employee_no")


def bonus_sheet_frame(run: PayRun) -> pd.DataFrame:
    """The run's lines, one row per manager, ordered by center, department and territory code,
    then 工号 (the org's order, not the code-point order of the names).

    One query (``values()``). 箱 = 条 ÷ 250, exact; money and coefficients are the stored
    Decimals; ``tier`` is the Chinese label.
    """
    rows = run.lines.order_by(*LINE_ORDER).values(*LINE_FIELDS)
    frame = pd.DataFrame.from_records(list(rows), columns=LINE_FIELDS).rename(
        columns={
            "manager__employee_no": "employee_no",
            "manager__name": "name",
            "center_name": "center",
            "department_name": "department",
            "territory_name": "territory",
        }
    )
    with translation.override("zh-hans"):
        tier_labels = {tier.value: str(tier.label) for tier in Tier}
    frame["tier"] = frame["tier"].map(lambda value: tier_labels.get(value, value))
    cartons = [f"cartons_{n}" for n in range(1, 6)]
    for n, column in enumerate(cartons, start=1):
        frame[f"boxes_{n}"] = frame[column].map(lambda v: Decimal(int(v)) / CARTONS_PER_BOX)
    frame["boxes_total"] = (
        frame[cartons].sum(axis=1).map(lambda v: Decimal(int(v)) / CARTONS_PER_BOX)
    )
    frame.insert(0, "seq", range(1, len(frame) + 1))
    return frame[list(LINE_COLUMNS)]


def centers_in_order(frame: pd.DataFrame):
    """(center name, its lines) in org-code order (the frame's order: first line first)."""
    return frame.groupby("center", sort=False)


def _total(series) -> Decimal:
    return sum(series, Decimal(0))


def _totals(frame: pd.DataFrame) -> dict:
    return {column: _total(frame[column]) for column in SUMMED_COLUMNS}


def summary_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per marketing center (org-code order): number of managers, the summed columns."""
    rows = []
    for seq, (center, lines) in enumerate(centers_in_order(frame), start=1):
        rows.append({"seq": seq, "center": center, "managers": len(lines), **_totals(lines)})
    return pd.DataFrame.from_records(rows, columns=list(SUMMARY_COLUMNS))


def neutralise(text: str) -> str:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (CSV only)."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def sheet_names(centers) -> dict[str, str]:
    """A valid, unique worksheet name for each center (≤ 31 chars, none of []:*?/\\)."""
    taken = {SHEET_LABELS["summary"].lower()}
    names = {}
    for center in centers:
        base = SHEET_NAME_FORBIDDEN.sub("_", center).strip("'").strip() or "_"
        name = base[:MAX_SHEET_NAME]
        n = 2
        while name.lower() in taken:
            suffix = f" ({n})"
            name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
            n += 1
        taken.add(name.lower())
        names[center] = name
    return names


def month_label(run: PayRun) -> str:
    return SHEET_LABELS["month"].format(year=run.month.year, month=run.month.month)


def bonus_sheet_name(run: PayRun, file_format: str, *, several_cities: bool) -> str:
    """奖金表-2026年11月.xlsx; with several city companies in the deployment the city's name
    too (奖金表-东江市烟草公司-2026年11月.xlsx), so two cities' files never share a name."""
    month = month_label(run)
    if several_cities:
        name = SHEET_LABELS["file_of_city"].format(
            city=run.company.name, month=month, ext=file_format
        )
    else:
        name = SHEET_LABELS["file"].format(month=month, ext=file_format)
    return SHEET_NAME_FORBIDDEN.sub("_", name)


def footer_texts(run: PayRun) -> list[str]:
    """The footer cells: 制表 (the preparer), 审核 (the approver; a blank line until the run is
    approved), 批准 (always a blank line: signed on paper), the approval state, the month."""
    approved = run.status == PayRunStatus.APPROVED and run.approved_by_id
    return [
        SHEET_LABELS["prepared"].format(name=run.prepared_by.name),
        SHEET_LABELS["reviewed"].format(name=run.approved_by.name if approved else SIGNATURE_LINE),
        SHEET_LABELS["approved"].format(name=SIGNATURE_LINE),
        SHEET_LABELS["state"].format(state=STATE_LABELS[PayRunStatus(run.status)]),
        SHEET_LABELS["period"].format(month=month_label(run)),
    ]


def _print_escape(text: str) -> str:
    return text.replace("&", "&&")


def page_header(title: str, size: int = 12) -> str:
    """The printed page header: ``title`` centred, bold, ``size`` pt.

    The size code ends at its last digit, so a title starting with a digit ("2026年…") would
    run into it (``&122026``: font size 122026). A space closes the code (Excel writes the
    same), and ``&`` in the title is doubled."""
    return f'&C&"-,Bold"&{size} {_print_escape(title)}'


class _Formats:
    def __init__(self, book):
        base = CELL_FORMAT
        self.head = book.add_format({**HEAD_FORMAT, "align": "center"})
        self.column = {
            key: book.add_format({**base, "num_format": number} if number else base)
            for key, (number, _width) in COLUMN_LAYOUT.items()
        }
        self.total = {
            key: book.add_format(
                {**base, "bold": True, **({"num_format": number} if number else {})}
            )
            for key, (number, _width) in COLUMN_LAYOUT.items()
        }
        self.footer = book.add_format({"valign": "vcenter"})


def _write_sheet(writer, formats, run, name, title, frame, columns, totals_row):
    """One table: header row, the frame's rows, the totals row, the footer, print setup."""
    keys = list(columns)
    body = frame[keys].copy()
    for key in keys:
        if key not in TEXT_COLUMNS and key not in ("seq", "managers", "center"):
            body[key] = body[key].map(float)
    body.to_excel(writer, sheet_name=name, index=False, header=False, startrow=1)
    sheet = writer.sheets[name]
    for col, key in enumerate(keys):
        number, width = COLUMN_LAYOUT[key]
        sheet.set_column(col, col, width, formats.column[key])
        sheet.write_string(0, col, columns[key], formats.head)
    total_row = len(body) + 1
    for col, key in enumerate(keys):
        value = totals_row.get(key)
        if value is None:
            sheet.write_blank(total_row, col, None, formats.total[key])
        elif isinstance(value, str):
            sheet.write_string(total_row, col, value, formats.total[key])
        elif len(body):
            # rows 2..total_row in Excel's 1-based numbering; the stored total as the cached value
            letter = xl_col_to_name(col)
            sheet.write_formula(
                total_row,
                col,
                f"=SUM({letter}2:{letter}{total_row})",
                formats.total[key],
                float(value),
            )
        else:
            sheet.write_number(total_row, col, float(value), formats.total[key])
    footer = footer_texts(run)
    footer_row = total_row + 2
    step = max(1, len(keys) // len(footer))
    for n, text in enumerate(footer):
        sheet.write_string(footer_row, n * step, text, formats.footer)
    sheet.set_row(0, 30)
    sheet.freeze_panes(1, 3 if "name" in keys else 2)
    sheet.autofilter(0, 0, max(len(body), 1), len(keys) - 1)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.7)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.set_header(page_header(title))
    sheet.set_footer(
        "&L{signatures}&C{state}&R{period}  &P/&N".format(
            signatures=_print_escape("   ".join(footer[:3])),
            state=_print_escape(footer[3]),
            period=_print_escape(footer[4]),
        )
    )


def write_bonus_sheet_xlsx(run: PayRun, target, progress: Progress | None = None) -> None:
    """Write the workbook to ``target`` (a path or a binary file object).

    ``progress(percent)`` is called as the sheets are written (never 100: the caller says
    when the file is stored).
    """
    frame = bonus_sheet_frame(run)
    centers = list(frame["center"].unique())  # org-code order
    names = sheet_names(centers)
    title = run.company.name + SHEET_LABELS["title"].format(month=month_label(run))
    steps = len(centers) + 2
    options = XLSX_OPTIONS
    with pd.ExcelWriter(target, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        formats = _Formats(writer.book)
        summary = summary_frame(frame)
        grand = {
            "seq": SHEET_LABELS["total"],
            "managers": len(frame),
            **_totals(frame),
        }
        _write_sheet(
            writer,
            formats,
            run,
            SHEET_LABELS["summary"],
            f"{title} {SHEET_LABELS['summary']}",
            summary,
            SUMMARY_COLUMNS,
            grand,
        )
        if progress:
            progress(100 // steps)
        for done, (center, lines) in enumerate(centers_in_order(frame), start=2):
            lines = lines.assign(seq=range(1, len(lines) + 1))
            _write_sheet(
                writer,
                formats,
                run,
                names[center],
                f"{title} {center}",
                lines,
                LINE_COLUMNS,
                {"seq": SHEET_LABELS["total"], **_totals(lines)},
            )
            if progress:
                progress(100 * done // steps)
    if progress:
        progress(99)


def _csv_number(value, places: str) -> Decimal:
    return Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def write_bonus_sheet_csv(run: PayRun, target) -> None:
    """Every line of the run and the totals row, UTF-8 with a BOM (Excel reads the Chinese).

    ``target`` is a path or a binary file object. 箱 and money have two decimals (half up),
    the score coefficient four.
    """
    frame = bonus_sheet_frame(run)
    totals = {"seq": SHEET_LABELS["total"], **_totals(frame)}
    frame = pd.concat([frame, pd.DataFrame([totals])], ignore_index=True)
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].map(lambda v: neutralise(v) if isinstance(v, str) else "")
    places = {
        **dict.fromkeys([*SUMMED_COLUMNS, "score", "tier_coefficient"], "0.01"),
        "score_coefficient": "0.0001",
    }
    for column, place in places.items():
        frame[column] = frame[column].map(
            lambda v, place=place: "" if pd.isna(v) else _csv_number(v, place)
        )
    data = frame.rename(columns=LINE_COLUMNS).to_csv(index=False, lineterminator="\r\n")
    payload = data.encode("utf-8-sig")
    if hasattr(target, "write"):
        target.write(payload)
    else:
        with open(target, "wb") as out:
            out.write(payload)


# --- Report tables (DOMAIN.md §8) ----------------------------------------------------------

TABLE_FORMATS = {
    Kind.TEXT: None,
    Kind.INT: "0",
    Kind.BOXES: "0.00",
    Kind.MONEY: "0.00",
    Kind.DECIMAL: "0.00",
    Kind.PERCENT: "0.0%",
    Kind.DATE: "yyyy-mm-dd",
    Kind.DATETIME: "yyyy-mm-dd hh:mm",
}
TABLE_WIDTHS = {Kind.TEXT: 14, Kind.INT: 8, Kind.DATE: 11, Kind.DATETIME: 16}
DEFAULT_WIDTH = 10
PROGRESS_EVERY = 1000  # rows


def table_cell(value, kind: Kind):
    """A row value as the workbook stores it: 箱 for 条, a float for a Decimal, a naive
    Asia/Shanghai datetime, text as ``str``; None stays a blank cell."""
    if value is None or (value == "" and kind != Kind.TEXT):
        return None
    if kind == Kind.TEXT:
        return str(value)
    if kind == Kind.INT:
        return int(value)
    if kind == Kind.BOXES:
        return float(Decimal(value) / CARTONS_PER_BOX)
    if kind in (Kind.MONEY, Kind.DECIMAL, Kind.PERCENT):
        return float(value)
    if kind == Kind.DATE:
        if isinstance(value, datetime):
            value = timezone.localtime(value) if timezone.is_aware(value) else value
            return value.date()
        return value
    if kind == Kind.DATETIME:
        if isinstance(value, datetime):
            value = timezone.localtime(value) if timezone.is_aware(value) else value
            return value.replace(tzinfo=None, microsecond=0)
        return datetime.combine(value, datetime.min.time()) if isinstance(value, date) else value
    raise ValueError(f"unknown column kind {kind!r}")


def write_table_xlsx(table: Table, target, progress: Progress | None = None) -> None:
    """Write one report table to ``target`` (a path or a binary file object): one sheet named
    after the report, a bold header row (frozen, with a filter), the rows, the totals row
    when the table has one. Number formats by column kind: 0.00 for 箱, money and points,
    0.0% for rates, yyyy-mm-dd for dates; text cells are strings, never formulas.

    ``progress(percent)`` is called while the rows are read (never 100).
    """
    columns = list(table.columns)
    keys = [column.key for column in columns]
    total = len(table.rows) or 1
    records = []
    for done, row in enumerate(table.rows, start=1):
        records.append([table_cell(value, c.kind) for value, c in zip(row, columns, strict=True)])
        if progress and done % PROGRESS_EVERY == 0:
            progress(90 * done // total)
    frame = pd.DataFrame.from_records(records, columns=keys)
    [name] = sheet_names([table.title]).values()
    with pd.ExcelWriter(
        target,
        engine="xlsxwriter",
        date_format=TABLE_FORMATS[Kind.DATE],
        datetime_format=TABLE_FORMATS[Kind.DATETIME],
        engine_kwargs={"options": XLSX_OPTIONS},
    ) as writer:
        book = writer.book
        head = book.add_format(HEAD_FORMAT)
        cell = {}
        bold = {}
        for column in columns:
            number = TABLE_FORMATS[column.kind]
            extra = {"num_format": number} if number else {}
            cell[column.key] = book.add_format({**CELL_FORMAT, **extra})
            bold[column.key] = book.add_format({**CELL_FORMAT, **extra, "bold": True})
        frame.to_excel(writer, sheet_name=name, index=False, header=False, startrow=1)
        sheet = writer.sheets[name]
        for col, column in enumerate(columns):
            width = column.width or TABLE_WIDTHS.get(column.kind, DEFAULT_WIDTH)
            sheet.set_column(col, col, width, cell[column.key])
            sheet.write_string(0, col, column.header, head)
        last = len(records)
        if table.totals is not None:
            last += 1
            for col, (value, column) in enumerate(zip(table.totals, columns, strict=True)):
                value = table_cell(value, column.kind)
                if value is None:
                    sheet.write_blank(last, col, None, bold[column.key])
                elif isinstance(value, str):
                    sheet.write_string(last, col, value, bold[column.key])
                else:
                    sheet.write(last, col, value, bold[column.key])
        sheet.set_row(0, 30)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(records), 1), len(columns) - 1)
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(0)
        title = f"{table.title} {table.period}".strip()
        sheet.set_header(page_header(title))
        sheet.set_footer("&R&P/&N")
        if progress:
            progress(95)
