"""The bonus sheet as HR gets it from the page, read back with openpyxl: the file name, the
printed header, the footer (制表 / 审核 / 批准), the order of sheets and rows (org codes, then
工号), and totals that are SUM formulas equal to the stored totals."""

import io
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote

import openpyxl
import pytest
from django.urls import reverse

from accounts.models import OrgKind
from reports.models import PayLine
from reports.sheets import SUMMED_COLUMNS, page_header, write_bonus_sheet_xlsx
from tests.factories import OrgUnitFactory
from tests.reports.test_export_sheet import make_run

CENT = Decimal("0.01")
# Center A (code C-A) is named so that its name sorts after center B's (code C-B).
NAME_A, NAME_B = "营销中心二", "营销中心一"
SIGNATURE = "________"


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@pytest.fixture
def run(org):
    run = make_run(org, approved=True)
    run.lines.filter(center_code="C-A").update(center_name=NAME_A)
    run.lines.filter(center_code="C-B").update(center_name=NAME_B)
    # names that sort against the codes: the territory code decides, not the name
    run.lines.filter(territory_code="T-A1").update(territory_name="乙片区")
    run.lines.filter(territory_code="T-A2").update(territory_name="甲片区")
    # two managers of one territory: 工号 decides
    run.lines.filter(territory_code="T-B2").update(territory_code="T-B1")
    return run


def download(client, user, month="2026-10"):
    client.force_login(user)
    response = client.get(f"{reverse('reports:bonus_sheet')}?month={month}&format=xlsx")
    assert response.status_code == 200
    content = response.content
    return (
        response,
        openpyxl.load_workbook(io.BytesIO(content)),
        openpyxl.load_workbook(io.BytesIO(content), data_only=True),
        content,
    )


def stored_totals(lines) -> dict[str, Decimal]:
    """The run's totals as stored: 箱 = 条 ÷ 250, money as Decimals."""
    totals = dict.fromkeys(SUMMED_COLUMNS, Decimal(0))
    for line in lines:
        cartons = [getattr(line, f"cartons_{n}") for n in range(1, 6)]
        for n, value in enumerate(cartons, start=1):
            totals[f"boxes_{n}"] += Decimal(value) / 250
        totals["boxes_total"] += Decimal(sum(cartons)) / 250
        for key in ("piece_pay", "allowance", "adjustment", "bonus"):
            totals[key] += getattr(line, key)
    return totals


HEADERS = {
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


def assert_totals(sheet, values, expected: dict[str, Decimal], rows: int):
    """The 合计 row (row rows + 2) holds =SUM(X2:X<rows+1>) for every summed column, whose
    cached value and the sum of the cells above both equal the stored total."""
    header = [cell.value for cell in sheet[1]]
    total_row = rows + 2
    assert sheet.cell(total_row, 1).value == "合计"
    for key, title in HEADERS.items():
        col = header.index(title) + 1
        letter = openpyxl.utils.get_column_letter(col)
        assert sheet.cell(total_row, col).value == f"=SUM({letter}2:{letter}{total_row - 1})"
        above = sum(Decimal(str(values.cell(r, col).value)) for r in range(2, total_row))
        assert cents(above) == cents(expected[key]), title
        assert cents(values.cell(total_row, col).value) == cents(expected[key]), title


def footer_cells(sheet) -> list[str]:
    return [
        cell.value
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value[:2] in ("制表", "审核", "批准")
    ]


def test_the_downloaded_sheet_read_back(client, org, run):
    response, book, values, content = download(client, org.hr)

    # the Chinese file name, RFC 5987
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote('奖金表-2026年10月.xlsx')}"
    )

    # sheets in org-code order: C-A before C-B although 营销中心一 < 营销中心二
    assert book.sheetnames == ["汇总", NAME_A, NAME_B]

    # the printed header: the size code is closed, the text is the title
    for name in book.sheetnames:
        header = book[name].oddHeader.center
        assert header.text == f"测试市烟草公司2026年10月客户经理奖金表 {name}"
        assert header.size == 12
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert '<oddHeader>&amp;C&amp;"-,Bold"&amp;12 测试市烟草公司' in xml

    # footer: 制表 the preparer, 审核 the approver, 批准 a blank line
    for name in book.sheetnames:
        assert footer_cells(book[name]) == [
            "制表：人事专员",
            "审核：系统管理员",
            f"批准：{SIGNATURE}",
        ]
        printed = book[name].oddFooter.left.text
        assert "审核：系统管理员" in printed and f"批准：{SIGNATURE}" in printed

    # rows: territory code, then 工号 (not the names)
    a, b = book[NAME_A], book[NAME_B]
    assert [a.cell(r, 2).value for r in (2, 3)] == ["1A01", "1A02"]
    assert [a.cell(r, 6).value for r in (2, 3)] == ["乙片区", "甲片区"]
    assert [b.cell(r, 2).value for r in (2, 3)] == ["1B01", "1B02"]

    # totals: SUM formulas equal to the stored totals
    lines = list(PayLine.objects.filter(run=run))
    of_a = stored_totals(line for line in lines if line.center_code == "C-A")
    of_b = stored_totals(line for line in lines if line.center_code == "C-B")
    assert_totals(a, values[NAME_A], of_a, 2)
    assert_totals(b, values[NAME_B], of_b, 2)
    summary = book["汇总"]
    assert [summary.cell(r, 2).value for r in (2, 3)] == [NAME_A, NAME_B]
    assert_totals(summary, values["汇总"], stored_totals(lines), 2)
    assert summary.cell(4, 3).value == "=SUM(C2:C3)" and values["汇总"].cell(4, 3).value == 4
    assert cents(values["汇总"].cell(4, 13).value) == Decimal("2966.46")


def test_a_run_awaiting_approval_has_blank_lines_for_both_signatures(client, org, run):
    run.status, run.approved_by, run.approved_at = "prepared", None, None
    run.save()
    _, book, _, _ = download(client, org.hr)
    assert footer_cells(book[NAME_A]) == [
        "制表：人事专员",
        f"审核：{SIGNATURE}",
        f"批准：{SIGNATURE}",
    ]


def test_the_file_name_names_the_city_when_there_are_several(client, org, run):
    OrgUnitFactory(name="东江市烟草公司", code="3299", kind=OrgKind.COMPANY)
    response, *_ = download(client, org.hr)
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote('奖金表-测试市烟草公司-2026年10月.xlsx')}"
    )


def test_a_title_starting_with_digits_stays_text(org, run):
    """`&C&12` then "2026…" would read as font size 122026."""
    assert page_header("2026年10月奖金表") == '&C&"-,Bold"&12 2026年10月奖金表'
    assert page_header("A&B") == '&C&"-,Bold"&12 A&&B'
    org.company.name = "2026"
    org.company.save()
    buffer = io.BytesIO()
    write_bonus_sheet_xlsx(run, buffer)
    buffer.seek(0)
    header = openpyxl.load_workbook(buffer)["汇总"].oddHeader.center
    assert header.text == "20262026年10月客户经理奖金表 汇总"
    assert header.size == 12


def test_the_pay_run_page_shows_the_sheets_units_and_order(client, org, run):
    client.force_login(org.hr)
    page = client.get(reverse("reports:pay_run") + "?month=2026-10").content.decode()
    for heading in HEADERS.values():
        if "箱" in heading:
            assert f">{heading}</th>" in page
    # 1A01: 500 条 一类 = 2.00 箱, 501 + … = 3.50 箱 in all (876 条 ÷ 250 = 3.504)
    row = page[page.index('id="line-1A01"') :]
    row = row[: row.index("</tr>")]
    assert ">2.00<" in row and ">3.50<" in row
    order = [page.index(f'id="line-{no}"') for no in ("1A01", "1A02", "1B01", "1B02")]
    assert order == sorted(order)
