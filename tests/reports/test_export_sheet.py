"""The bonus sheet read back: every money and 箱 cell, totals, sheets, footer, injection.

The run has four hand-computed lines in centers A and B (rows made with the ORM; the other
export tests import ``make_run`` and the helpers from here).

DOMAIN.md §5 defaults: 40/30/20/12/8 元 per 箱 (250 条), bonus = round(piece pay × score
coefficient × grade coefficient, 0.01) + allowance.
"""

import codecs
import io
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pandas as pd
import pytest
from django.utils import timezone, translation

from reports.models import PayLine, PayRun, PayRunStatus, PayScheme, Tier
from reports.sheets import (
    bonus_sheet_frame,
    neutralise,
    sheet_names,
    write_bonus_sheet_csv,
    write_bonus_sheet_xlsx,
)
from tests.factories import TerritoryFactory, UserFactory

MONTH = date(2026, 10, 1)
CENT = Decimal("0.01")

# manager key → (tier, cartons 1..5 in 条, piece pay, score, score coeff, tier coeff, allowance,
# bonus, expected 箱 by class)
LINES = {
    # 500 条 = 2 箱 × 40 + 1 箱 × 30 + 0.5 箱 × 20 + 1 条 = 0.004 箱 × 8 = 120.032 元;
    # 120.032 × 0.95 × 0.8 = 91.22432 → 91.22; 见习 allowance 0.
    "a_probation": (
        Tier.PROBATION,
        (500, 250, 125, 0, 1),
        "120.0320",
        "95.00",
        "0.9500",
        "0.80",
        "0.00",
        "91.22",
    ),
    # 10 箱 × 40 + 5 × 30 + 3 × 12 + 1 × 8 = 594; 594 × 0.88 × 1.3 = 679.536 → 679.54 + 1000.
    "a_five_star": (
        Tier.FIVE,
        (2500, 1250, 0, 750, 250),
        "594.0000",
        "88.00",
        "0.8800",
        "1.30",
        "1000.00",
        "1679.54",
    ),
    # 4 箱 × 40 + 1.5 箱 × 20 = 190; score 103 → 1.03; 190 × 1.03 × 1.0 = 195.70 + 400.
    "b_score_103": (
        Tier.TWO,
        (1000, 0, 375, 0, 0),
        "190.0000",
        "103.00",
        "1.0300",
        "1.00",
        "400.00",
        "595.70",
    ),
    # no sales: the allowance alone.
    "b_no_sales": (
        Tier.THREE,
        (0, 0, 0, 0, 0),
        "0.0000",
        "80.00",
        "0.8000",
        "1.10",
        "600.00",
        "600.00",
    ),
}


def cents(value) -> Decimal:
    """A number read back from a sheet, as Decimal rounded to 0.01 (half up)."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def boxes(cartons) -> Decimal:
    return Decimal(cartons) / Decimal(250)


def make_line(run, manager, territory, key):
    tier, cartons, piece, score, score_c, tier_c, allowance, bonus = LINES[key]
    department = territory.department
    return PayLine.objects.create(
        run=run,
        manager=manager,
        center_name=department.parent.name,
        department_name=department.name,
        territory_name=territory.name,
        center_code=department.parent.code,
        department_code=department.code,
        territory_code=territory.code,
        tier=tier,
        **{f"cartons_{n}": value for n, value in enumerate(cartons, start=1)},
        piece_pay=Decimal(piece),
        score=Decimal(score),
        score_coefficient=Decimal(score_c),
        tier_coefficient=Decimal(tier_c),
        allowance=Decimal(allowance),
        bonus=Decimal(bonus),
    )


def make_run(org, *, approved=False):
    run = PayRun.objects.create(
        company=org.company,
        month=MONTH,
        scheme=PayScheme.objects.order_by("effective_from").first(),
        prepared_by=org.hr,
        prepared_at=timezone.now(),
        status=PayRunStatus.APPROVED if approved else PayRunStatus.PREPARED,
        approved_by=org.admin if approved else None,
        approved_at=timezone.now() if approved else None,
    )
    make_line(run, org.a.cm, org.a.territory, "a_probation")
    make_line(run, org.a.cm2, org.a.territory2, "a_five_star")
    make_line(run, org.b.cm, org.b.territory, "b_score_103")
    make_line(run, org.b.cm2, org.b.territory2, "b_no_sales")
    return run


@pytest.fixture
def run(org):
    return make_run(org)


@pytest.fixture
def approved_run(org):
    return make_run(org, approved=True)


def read_xlsx(run) -> dict[str, pd.DataFrame]:
    buffer = io.BytesIO()
    write_bonus_sheet_xlsx(run, buffer)
    buffer.seek(0)
    return pd.read_excel(buffer, sheet_name=None)


def data_rows(sheet: pd.DataFrame) -> pd.DataFrame:
    """The table's rows: those whose 序号 is a number (not 合计, not the footer)."""
    return sheet[sheet["序号"].map(lambda v: isinstance(v, int | float) and not pd.isna(v))]


def totals_row(sheet: pd.DataFrame) -> pd.Series:
    rows = sheet[sheet["序号"] == "合计"]
    assert len(rows) == 1
    return rows.iloc[0]


def footer_text(sheet: pd.DataFrame) -> str:
    after = sheet.index[sheet["序号"] == "合计"][0]
    cells = sheet.loc[after + 1 :].to_numpy().ravel()
    return " ".join(str(cell) for cell in cells if isinstance(cell, str))


def expected_row(key):
    tier, cartons, piece, score, score_c, tier_c, allowance, bonus = LINES[key]
    with translation.override("zh-hans"):
        label = str(tier.label)
    return {
        "等级": label,
        **{f"{cls}类 (箱)": boxes(c) for cls, c in zip("一二三四五", cartons, strict=True)},
        "合计 (箱)": boxes(sum(cartons)),
        "计件工资": Decimal(piece),
        "考核得分": Decimal(score),
        "考核系数": Decimal(score_c),
        "等级系数": Decimal(tier_c),
        "等级津贴": Decimal(allowance),
        "应发奖金": Decimal(bonus),
    }


BOX_HEADERS = ["一类 (箱)", "二类 (箱)", "三类 (箱)", "四类 (箱)", "五类 (箱)", "合计 (箱)"]
MONEY_HEADERS = ["计件工资", "等级津贴", "补发/扣回", "应发奖金"]
LINE_HEADERS = [
    "序号",
    "工号",
    "姓名",
    "营销中心",
    "市场部",
    "片区",
    "等级",
    *BOX_HEADERS,
    "计件工资",
    "考核得分",
    "考核系数",
    "等级系数",
    "等级津贴",
    "补发/扣回",
    "应发奖金",
]


def assert_line(row, key):
    for header, value in expected_row(key).items():
        if header == "等级":
            assert row[header] == value
        elif header == "考核系数":
            assert Decimal(str(row[header])).quantize(Decimal("0.0001")) == value, header
        else:
            assert cents(row[header]) == value.quantize(CENT, rounding=ROUND_HALF_UP), header


def test_frame_is_one_query(run, django_assert_num_queries):
    with django_assert_num_queries(1):
        frame = bonus_sheet_frame(run)
    assert len(frame) == 4
    assert frame["boxes_5"].tolist()[0] == Decimal("0.004")


def test_sheets_summary_first_then_one_per_center(run):
    sheets = read_xlsx(run)
    assert list(sheets) == ["汇总", "A营销部", "B营销部"]
    for name in ("A营销部", "B营销部"):
        assert list(sheets[name].columns) == LINE_HEADERS


def test_every_money_and_box_cell_of_the_center_sheets(org, run):
    sheets = read_xlsx(run)
    a = data_rows(sheets["A营销部"]).set_index("工号")
    b = data_rows(sheets["B营销部"]).set_index("工号")
    assert list(a.index) == ["1A01", "1A02"]  # 工号 stays text
    assert list(b.index) == ["1B01", "1B02"]
    assert a["序号"].tolist() == [1, 2]
    assert a.loc["1A01", "姓名"] == "A经理一"
    assert a.loc["1A01", "市场部"] == "A第一客户服务部"
    assert a.loc["1A01", "片区"] == "A一号片区"
    assert_line(a.loc["1A01"], "a_probation")
    assert_line(a.loc["1A02"], "a_five_star")
    assert_line(b.loc["1B01"], "b_score_103")
    assert_line(b.loc["1B02"], "b_no_sales")
    # the exact piece pay is kept; the cell shows 0.00
    assert a.loc["1A01", "计件工资"] == pytest.approx(120.032)
    assert cents(a.loc["1A01", "五类 (箱)"]) == Decimal("0.00")


def test_totals_rows(run):
    sheets = read_xlsx(run)
    a, b = totals_row(sheets["A营销部"]), totals_row(sheets["B营销部"])
    expected_a = {
        "一类 (箱)": "12.00",
        "二类 (箱)": "6.00",
        "三类 (箱)": "0.50",
        "四类 (箱)": "3.00",
        "五类 (箱)": "1.00",  # 1.004
        "合计 (箱)": "22.50",  # 22.504
        "计件工资": "714.03",  # 714.032
        "等级津贴": "1000.00",
        "应发奖金": "1770.76",
    }
    expected_b = {
        "一类 (箱)": "4.00",
        "三类 (箱)": "1.50",
        "合计 (箱)": "5.50",
        "计件工资": "190.00",
        "等级津贴": "1000.00",
        "应发奖金": "1195.70",
    }
    for header, value in expected_a.items():
        assert cents(a[header]) == Decimal(value), header
    for header, value in expected_b.items():
        assert cents(b[header]) == Decimal(value), header


def test_summary_sheet(run):
    summary = read_xlsx(run)["汇总"]
    assert list(summary.columns) == [
        "序号",
        "营销中心",
        "人数",
        *BOX_HEADERS,
        *MONEY_HEADERS,
    ]
    rows = data_rows(summary).set_index("营销中心")
    assert rows["人数"].to_dict() == {"A营销部": 2, "B营销部": 2}
    assert cents(rows.loc["A营销部", "应发奖金"]) == Decimal("1770.76")
    assert cents(rows.loc["B营销部", "应发奖金"]) == Decimal("1195.70")
    assert cents(rows.loc["A营销部", "合计 (箱)"]) == Decimal("22.50")
    grand = totals_row(summary)
    assert grand["人数"] == 4
    assert cents(grand["计件工资"]) == Decimal("904.03")  # 904.032
    assert cents(grand["等级津贴"]) == Decimal("2000.00")
    assert cents(grand["应发奖金"]) == Decimal("2966.46")
    assert cents(grand["合计 (箱)"]) == Decimal("28.00")  # 28.004
    assert cents(grand["一类 (箱)"]) == Decimal("16.00")


def test_footer_of_a_run_awaiting_approval(run):
    for sheet in read_xlsx(run).values():
        text = footer_text(sheet)
        assert "制表：人事专员" in text
        assert "审核：________" in text  # no approver yet
        assert "批准：________" in text and "系统管理员" not in text
        assert "未审批，仅供核对" in text
        assert "2026年10月" in text


def test_footer_of_an_approved_run(approved_run):
    text = footer_text(read_xlsx(approved_run)["A营销部"])
    assert "制表：人事专员" in text
    assert "审核：系统管理员" in text  # the approver
    assert "批准：________" in text  # a line to sign on paper, never a name
    assert "已审批" in text and "未审批" not in text


def test_formats_print_setup_and_print_footer(approved_run):
    buffer = io.BytesIO()
    write_bonus_sheet_xlsx(approved_run, buffer)
    buffer.seek(0)
    book = openpyxl.load_workbook(buffer)
    sheet = book["A营销部"]
    header = [cell.value for cell in sheet[1]]
    assert header == LINE_HEADERS
    row = {header[n]: cell for n, cell in enumerate(sheet[2])}
    for name in [*BOX_HEADERS, *MONEY_HEADERS, "考核得分", "等级系数"]:
        assert row[name].data_type == "n"
        assert row[name].number_format == "0.00", name
    assert row["考核系数"].number_format == "0.0000"
    assert row["工号"].data_type == "s"
    totals = {header[n]: cell for n, cell in enumerate(sheet[4])}
    assert totals["序号"].value == "合计"
    assert totals["应发奖金"].number_format == "0.00"
    assert totals["应发奖金"].font.bold
    assert sheet.freeze_panes == "D2"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9
    assert sheet.column_dimensions["B"].width > 5
    assert "制表：人事专员" in sheet.oddFooter.left.text
    assert "审核：系统管理员" in sheet.oddFooter.left.text
    assert "批准：________" in sheet.oddFooter.left.text
    assert sheet.oddHeader.center.text == "测试市烟草公司2026年10月客户经理奖金表 A营销部"
    assert sheet.oddHeader.center.size == 12
    assert sheet.oddFooter.center.text == "审批状态：已审批"
    assert book["汇总"].freeze_panes == "C2"


def test_sheet_names_are_valid_and_unique():
    names = sheet_names(["汇总", "a/b:c*d?[e]\\f", "营" * 40 + "甲", "营" * 40 + "乙", "'quoted'"])
    assert names["a/b:c*d?[e]\\f"] == "a_b_c_d__e__f"
    assert names["汇总"] == "汇总 (2)"
    assert names["营" * 40 + "甲"] == "营" * 31
    assert names["营" * 40 + "乙"] == "营" * 27 + " (2)"
    assert "'" not in names["'quoted'"]
    assert all(len(name) <= 31 for name in names.values())


def test_long_center_names_give_distinct_sheets(org, run):
    run.lines.filter(manager=org.a.cm).update(center_name="营" * 40 + "一")
    run.lines.filter(manager=org.a.cm2).update(center_name="营" * 40 + "二")
    sheets = read_xlsx(run)
    # center A's code (C-A) comes before B's, whatever the names
    assert list(sheets) == ["汇总", "营" * 31, "营" * 27 + " (2)", "B营销部"]


def test_csv_has_a_bom_every_line_and_the_totals_row(run):
    buffer = io.BytesIO()
    write_bonus_sheet_csv(run, buffer)
    content = buffer.getvalue()
    assert content.startswith(codecs.BOM_UTF8)
    frame = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig", dtype=str)
    assert list(frame.columns) == LINE_HEADERS
    rows = frame[frame["序号"] != "合计"].set_index("工号")
    assert list(rows.index) == ["1A01", "1A02", "1B01", "1B02"]
    assert rows.loc["1A01", "计件工资"] == "120.03"
    assert rows.loc["1A01", "五类 (箱)"] == "0.00"
    assert rows.loc["1A02", "营销中心"] == "A营销部"
    for key, manager in zip(LINES, rows.index, strict=True):
        assert_line(rows.loc[manager], key)
    totals = frame[frame["序号"] == "合计"].iloc[0]
    assert totals["应发奖金"] == "2966.46"
    assert totals["计件工资"] == "904.03"
    assert totals["等级津贴"] == "2000.00"
    assert totals["合计 (箱)"] == "28.00"


INJECTED_NAME = "=cmd|' /C calc'!A0"
INJECTED_TERRITORY = "@SUM(1+1)"


@pytest.fixture
def injected_run(org, run):
    manager = UserFactory(employee_no="1B09", name=INJECTED_NAME, org_unit=org.b.department)
    territory = TerritoryFactory(
        name=INJECTED_TERRITORY, department=org.b.department, manager=manager
    )
    line = make_line(run, manager, territory, "b_no_sales")
    line.department_name = "-市场部"
    line.save()
    return run


def test_xlsx_keeps_formula_like_text_as_text(injected_run):
    buffer = io.BytesIO()
    write_bonus_sheet_xlsx(injected_run, buffer)
    buffer.seek(0)
    sheet = openpyxl.load_workbook(buffer)["B营销部"]
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == "1B09")
    cells = {header[n]: cell for n, cell in enumerate(row)}
    for name, text in (
        ("姓名", INJECTED_NAME),
        ("片区", INJECTED_TERRITORY),
        ("市场部", "-市场部"),
    ):
        assert cells[name].data_type == "s", name
        assert cells[name].value == text  # the original text: no apostrophe in the workbook
    assert cells["应发奖金"].data_type == "n"


def test_csv_prefixes_formula_like_text_never_numbers(injected_run):
    buffer = io.BytesIO()
    write_bonus_sheet_csv(injected_run, buffer)
    frame = pd.read_csv(io.BytesIO(buffer.getvalue()), encoding="utf-8-sig", dtype=str)
    row = frame[frame["工号"] == "1B09"].iloc[0]
    assert row["姓名"] == "'" + INJECTED_NAME
    assert row["片区"] == "'" + INJECTED_TERRITORY
    assert row["市场部"] == "'-市场部"
    assert row["应发奖金"] == "600.00"
    assert frame[frame["工号"] == "1A01"].iloc[0]["姓名"] == "A经理一"


def test_neutralise():
    assert [neutralise(t) for t in ("=1", "+1", "-1", "@x", "\tx", "a=b", "")] == [
        "'=1",
        "'+1",
        "'-1",
        "'@x",
        "'\tx",
        "a=b",
        "",
    ]


def test_an_empty_run_still_has_a_summary(org):
    run = PayRun.objects.create(
        company=org.company,
        month=MONTH,
        scheme=PayScheme.objects.first(),
        prepared_by=org.hr,
        prepared_at=timezone.now(),
    )
    sheets = read_xlsx(run)
    assert list(sheets) == ["汇总"]
    assert totals_row(sheets["汇总"])["人数"] == 0
