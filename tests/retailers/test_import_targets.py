"""Target import: sales targets (工号 column) or new-brand shelf targets (规格编码 column)."""

from datetime import date
from decimal import Decimal

import pytest

from imports.kinds import import_file
from retailers.models import SalesTarget, ShelfTarget
from tests.factories import BrandFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

SALES = ["工号", "姓名", "月份", "销量目标（箱）", "重点品牌目标（箱）"]
SHELF = ["规格编码", "月份", "单位编码", "片区编码", "目标上柜率"]


def errors(report):
    return [(e.row, e.column, e.value, e.reason) for e in report.errors]


def sales_targets():
    return sorted(
        (t.manager.employee_no, f"{t.month:%Y-%m}", t.total_boxes, t.key_brand_boxes)
        for t in SalesTarget.objects.select_related("manager")
    )


def test_sales_targets_create_reimport_update(org, write_csv):
    rows = [
        SALES,
        ["1A01", "A经理一", "2026-10", "120", "30.5"],
        ["1B01", "B经理一", "202610", "95.50", ""],
    ]
    report = import_file("targets", write_csv(rows))

    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated, report.unchanged) == (2, 2, 0, 0)
    assert sales_targets() == [
        ("1A01", "2026-10", Decimal("120.00"), Decimal("30.50")),
        ("1B01", "2026-10", Decimal("95.50"), Decimal("0.00")),
    ]

    again = import_file("targets", write_csv(rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)

    rows[1][3] = "125"
    changed = import_file("targets", write_csv(rows, name="changed.csv"))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    assert sales_targets()[0] == ("1A01", "2026-10", Decimal("125.00"), Decimal("30.50"))


def test_sales_target_errors(org, write_csv):
    report = import_file(
        "targets",
        write_csv(
            [
                SALES,
                ["9999", "", "2026-10", "1", ""],
                ["800001", "考评督察", "2026-10", "1", ""],
                ["1A01", "", "2026-10", "10", "11"],
                ["1A02", "", "2026-10-15", "-1", ""],
                ["1B02", "", "2026-11", "5", ""],
                ["1B02", "", "2026-11", "6", ""],
            ]
        ),
    )

    assert errors(report) == [
        (2, "工号", "9999", "No user has this employee number."),
        (3, "工号", "800001", "This user is not a customer manager."),
        (4, "重点品牌目标（箱）", "11.00", "The key-brand target cannot exceed the total target."),
        (5, "月份", "2026-10-15", "Not a month; use YYYY-MM."),
        (5, "销量目标（箱）", "-1", "Must not be negative."),
        (7, "工号", "1B02 / 2026-11", "Duplicate of row 6."),
    ]
    assert SalesTarget.objects.count() == 0


def test_shelf_targets_for_units_and_territories(org, write_csv):
    BrandFactory(code="NEW1", launch_date=date(2026, 9, 1))
    rows = [
        SHELF,
        ["NEW1", "2026-10", "C0", "", "60%"],
        ["NEW1", "2026-10", "", "T-A1", "0.7"],
        ["NEW1", "2026-11", "D-B1", "", "0.33333"],
    ]
    report = import_file("targets", write_csv(rows))

    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert sorted(
        (
            f"{t.month:%Y-%m}",
            t.org_unit.code if t.org_unit else "",
            t.territory.code if t.territory else "",
            t.rate,
        )
        for t in ShelfTarget.objects.select_related("org_unit", "territory")
    ) == [
        ("2026-10", "", "T-A1", Decimal("0.7000")),
        ("2026-10", "C0", "", Decimal("0.6000")),
        ("2026-11", "D-B1", "", Decimal("0.3333")),
    ]

    again = import_file("targets", write_csv(rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_shelf_target_errors(org, write_csv):
    BrandFactory(code="NEW1", launch_date=date(2026, 9, 1))
    BrandFactory(code="OLD1", launch_date=date(2020, 1, 1))
    report = import_file(
        "targets",
        write_csv(
            [
                SHELF,
                ["OLD1", "2026-10", "C0", "", "0.6"],
                ["NEW1", "2026-10", "C0", "T-A1", "0.6"],
                ["NEW1", "2026-10", "NOPE", "", "0.6"],
                ["NEW1", "2026-10", "", "T-A1", "60"],
                ["NOPE", "2026-10", "", "T-A1", "0.5"],
                ["NEW1", "2026-11", "", "T-A1", "0.5"],
                ["NEW1", "2026-11", "", "T-A1", "0.6"],
            ]
        ),
    )

    assert errors(report) == [
        (
            2,
            "月份",
            "2026-10",
            "This brand is not a new product in that month (launch date: 2020-01-01).",
        ),
        (3, "单位编码", "C0", "Fill in either the org unit code or the territory code, not both."),
        (4, "单位编码", "NOPE", "No org unit has this code."),
        (
            5,
            "目标上柜率",
            "60",
            "Give a rate above 0 and at most 1 (0.6) or a percentage (60%).",
        ),
        (6, "规格编码", "NOPE", "No brand has this code."),
        (8, "规格编码", "NEW1 / 2026-11 / T-A1", "Duplicate of row 7."),
    ]
    assert ShelfTarget.objects.count() == 0


@pytest.mark.parametrize(
    "header",
    [["月份", "销量目标（箱）"], ["工号", "规格编码", "月份", "目标上柜率", "销量目标（箱）"]],
)
def test_kind_of_target_file_must_be_clear(org, write_csv, header):
    report = import_file("targets", write_csv([header, ["x"] * len(header)]))

    assert report.error_count == 1
    assert report.errors[0].row == 1
    assert report.errors[0].reason.startswith("Cannot tell the kind of targets")
