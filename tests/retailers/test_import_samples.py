"""The sample files in retailers/samples/ import cleanly, in order, and again unchanged."""

from datetime import date
from decimal import Decimal

import pytest

from imports.kinds import ImportKind, import_file
from retailers.models import (
    Brand,
    KeyBrandMonth,
    OrderLine,
    Retailer,
    RetailerAssignment,
    RetailerStatusChange,
    SalesTarget,
    ShelfTarget,
    Violation,
)

from .conftest import SAMPLES

pytestmark = pytest.mark.django_db

ORDER = [
    (ImportKind.BRANDS, "brands.csv", 6),
    (ImportKind.RETAILERS, "retailers.csv", 8),
    (ImportKind.RETAILER_STATUSES, "retailer_statuses.csv", 3),
    (ImportKind.VIOLATIONS, "violations.csv", 4),
    (ImportKind.ORDERS, "orders.csv", 21),
    (ImportKind.TARGETS, "targets_sales.csv", 6),
    (ImportKind.TARGETS, "targets_shelf.csv", 4),
]


def import_samples():
    reports = []
    for kind, name, _rows in ORDER:
        reports.append(import_file(kind, SAMPLES / name, on=date(2026, 10, 1)))
    return reports


def test_samples_import_in_order(sample_org):
    reports = import_samples()
    for report, (_kind, name, rows) in zip(reports, ORDER, strict=True):
        assert report.errors == [], name
        assert (report.rows, report.created, report.updated, report.unchanged) == (
            rows,
            rows,
            0,
            0,
        ), name
    assert Brand.objects.count() == 6
    assert Retailer.objects.count() == 8
    assert OrderLine.objects.count() == 21
    assert SalesTarget.objects.count() == 6
    assert ShelfTarget.objects.count() == 4
    assert sorted(
        (k.brand.code, k.month.strftime("%Y-%m")) for k in KeyBrandMonth.objects.all()
    ) == [
        ("6901000000101", "2026-10"),
        ("6901000000101", "2026-11"),
        ("6901000000202", "2026-10"),
        ("6901000000606", "2026-11"),
    ]
    # 200 条 sold, 2 returned (the last row, naming DD2026101501's 6 条 of 6901000000101).
    assert sum(OrderLine.objects.values_list("quantity", flat=True)) == 198
    assert sum(OrderLine.objects.values_list("amount", flat=True)) == Decimal("24352.50") - 570
    returned = OrderLine.objects.get(source_order_no="TH2026101801")
    assert (returned.returns_line.source_order_no, returned.returns_line.quantity) == (
        "DD2026101501",
        6,
    )
    assert RetailerAssignment.objects.filter(valid_from=date(2026, 10, 1)).count() == 8
    assert Violation.objects.count() == 4
    assert RetailerStatusChange.objects.count() == 8 + 3
    # Today (after 2026-11-25) 329901100003 is cancelled; 329902100008 is active again.
    assert Retailer.objects.get(license_no="329901100003").status == "cancelled"
    assert Retailer.objects.get(license_no="329902100008").status == "active"
    assert (
        not Retailer.objects.active_on(date(2026, 11, 15))
        .filter(license_no="329902100008")
        .exists()
    )


def test_samples_reimport_changes_nothing(sample_org):
    import_samples()
    again = import_samples()
    for report, (_kind, name, rows) in zip(again, ORDER, strict=True):
        assert report.ok, name
        assert (report.created, report.updated, report.unchanged) == (0, 0, rows), name
    assert OrderLine.objects.count() == 21
    assert RetailerAssignment.objects.count() == 8
    assert RetailerStatusChange.objects.count() == 8 + 3
    assert Violation.objects.count() == 4


def test_xlsx_and_gb18030_samples_match_the_csv_ones(sample_org):
    import_samples()
    xlsx = import_file(ImportKind.ORDERS, SAMPLES / "orders.xlsx")
    assert xlsx.ok, xlsx.errors
    assert (xlsx.rows, xlsx.created, xlsx.unchanged) == (20, 0, 20)
    # The retailer file's statuses are dated by its effective date: the same date as before
    # (today would re-activate 329901100003, cancelled since 2026-11-25).
    gb = import_file(ImportKind.RETAILERS, SAMPLES / "retailers_gb18030.csv", on=date(2026, 10, 1))
    assert gb.ok, gb.errors
    assert (gb.rows, gb.created, gb.updated, gb.unchanged) == (8, 0, 0, 8)
