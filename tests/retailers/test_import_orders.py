"""Order-line import through the staging table: both paths give the same results and errors.

``copy`` (PostgreSQL COPY) runs on the PostgreSQL pass of CI; ``insert`` (chunked inserts)
runs on every database.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from imports.kinds import import_file
from retailers.imports.orders import OrderImporter
from retailers.models import OrderLine
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = ["订单号", "许可证号", "规格编码", "订单日期", "数量（条）", "金额（元）", "按时结算"]
LINES = [
    ["DD001", "320100000001", "B100", "2026-10-08", "5", "1425.00", "是"],
    ["DD001", "320100000001", "B200", "20261008", "10", "1200", "Y"],
    ["DD002", "320100000002", "B100", "2026/10/09", "3", "855.5", "否"],
]


@pytest.fixture(params=["insert", "copy"])
def method(request):
    if request.param == "copy" and not OrderImporter.can_copy():
        pytest.skip("COPY needs PostgreSQL")
    return request.param


@pytest.fixture
def shop(org):
    BrandFactory(code="B100", wholesale_price=Decimal("285.00"))
    BrandFactory(code="B200", wholesale_price=Decimal("120.00"))
    return {
        "one": RetailerFactory(license_no="320100000001", territory=org.a.territory),
        "two": RetailerFactory(license_no="320100000002", territory=org.b.territory),
    }


def stored():
    return sorted(
        (
            o.source_order_no,
            o.brand.code,
            o.retailer.license_no,
            o.order_date,
            o.quantity,
            o.amount,
            o.settled_on_time,
        )
        for o in OrderLine.objects.select_related("brand", "retailer")
    )


def errors(report):
    return [(e.row, e.column, e.value, e.reason) for e in report.errors]


def test_imports_order_lines(shop, write_csv, method):
    report = import_file("orders", write_csv([HEADER, *LINES]), method=method)

    assert report.errors == []
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    assert stored() == [
        ("DD001", "B100", "320100000001", date(2026, 10, 8), 5, Decimal("1425.00"), True),
        ("DD001", "B200", "320100000001", date(2026, 10, 8), 10, Decimal("1200.00"), True),
        ("DD002", "B100", "320100000002", date(2026, 10, 9), 3, Decimal("855.50"), False),
    ]


def test_reimport_is_idempotent_and_adds_only_new_lines(shop, write_csv, method):
    path = write_csv([HEADER, *LINES])
    import_file("orders", path, method=method)
    before = stored()

    again = import_file("orders", path, method=method)
    assert again.ok
    assert (again.rows, again.created, again.unchanged) == (3, 0, 3)
    assert stored() == before

    more = ["DD003", "320100000002", "B200", "2026-10-20", "1", "120", "1"]
    grown = import_file("orders", write_csv([HEADER, *LINES, more], name="more.csv"), method=method)
    assert (grown.rows, grown.created, grown.unchanged) == (4, 1, 3)
    assert OrderLine.objects.count() == 4


def test_error_report_and_nothing_written(shop, write_csv, method):
    OrderLineFactory(
        source_order_no="OLD1",
        brand=BrandFactory(code="B100"),
        retailer=shop["one"],
        order_date=date(2026, 9, 1),
        quantity=10,
        amount=Decimal("2850.00"),
    )
    rows = [
        HEADER,
        LINES[0],  # row 2: fine
        ["DD010", "320199999999", "B100", "2026-10-08", "1", "1", "是"],  # 3: unknown licence
        ["DD010", "320100000001", "NOPE", "2026-10-08", "1", "1", "是"],  # 4: unknown brand
        ["DD011", "320100000001", "B100", "2026-02-30", "1", "1", "是"],  # 5: bad date
        ["DD012", "320100000001", "B100", "2026-10-08", "0", "1", "是"],  # 6: zero quantity
        ["DD013", "320100000001", "B100", "2026-10-08", "1.5", "-3", "maybe"],  # 7: three
        ["DD014", "320100000001", "B100", "2026-10-08", "1", "12.345", "是"],  # 8: amount
        LINES[0],  # 9: duplicate of row 2
        ["OLD1", "320100000001", "B100", "2026-09-01", "12", "2850.00", "是"],  # 10: changed
        ["", "3201", "B100", "46310", "2", "1", "是"],  # 11: order no, licence
    ]
    report = import_file("orders", write_csv(rows), method=method)

    assert errors(report) == [
        (3, "许可证号", "320199999999", "No retailer has this licence number."),
        (4, "规格编码", "NOPE", "No brand has this code."),
        (5, "订单日期", "2026-02-30", "Not a date; use YYYY-MM-DD or YYYYMMDD."),
        (6, "数量（条）", "0", "Must not be 0 (a return has a negative quantity)."),
        (7, "数量（条）", "1.5", "Not a whole number."),
        (7, "按时结算", "maybe", "Use 是 or 否 (also Y/N, 1/0, true/false)."),
        (8, "金额（元）", "12.345", "At most 2 decimal places."),
        (9, "订单号", "DD001 / B100", "Duplicate of row 2 (same order number and brand)."),
        (
            10,
            "数量（条）",
            "12",
            "Already imported with 10; imported order lines cannot change.",
        ),
        (11, "订单号", "", "A value is required."),
        (11, "许可证号", "3201", "A licence number is 12 digits."),
    ]
    assert report.error_count == 11
    assert (report.created, report.unchanged) == (0, 0)
    assert [line[0] for line in stored()] == ["OLD1"]


def test_errors_are_sorted_by_row_and_capped_across_checks(shop, write_csv, method):
    bad_dates = [[f"X{n}", "320100000001", "B100", "soon", "1", "1", "是"] for n in range(150)]
    unknown = [[f"Y{n}", "320188888888", "B100", "2026-10-01", "1", "1", "是"] for n in range(100)]
    report = import_file("orders", write_csv([HEADER, *unknown, *bad_dates]), method=method)

    assert report.error_count == 250
    assert len(report.errors) == 200
    assert [e.row for e in report.errors] == list(range(2, 202))
    assert {e.reason for e in report.errors[:100]} == {"No retailer has this licence number."}
    assert {e.reason for e in report.errors[100:]} == {"Not a date; use YYYY-MM-DD or YYYYMMDD."}


def test_dry_run_counts_without_writing(shop, write_csv, method):
    path = write_csv([HEADER, *LINES])
    import_file("orders", write_csv([HEADER, LINES[0]], name="first.csv"), method=method)

    report = import_file("orders", path, dry_run=True, method=method)

    assert report.ok
    assert (report.rows, report.created, report.unchanged) == (3, 2, 1)
    assert OrderLine.objects.count() == 1


def test_xlsx_order_file_with_typed_cells(shop, write_xlsx, method):
    path = write_xlsx(
        [
            HEADER,
            ["DD001", 320100000001, "B100", date(2026, 10, 8), 5, 1425.0, "是"],
            ["DD002", 320100000002, "B200", 46310, 2.0, 240.1, True],
        ]
    )
    report = import_file("orders", path, method=method)

    assert report.ok, report.errors
    assert stored() == [
        ("DD001", "B100", "320100000001", date(2026, 10, 8), 5, Decimal("1425.00"), True),
        ("DD002", "B200", "320100000002", date(2026, 10, 15), 2, Decimal("240.10"), True),
    ]


def test_extra_columns_and_english_headers(shop, write_csv, method):
    header = ["order_no", "零售户名称", "license_no", "brand_code", "date", "quantity", "amount"]
    report = import_file(
        "orders",
        write_csv(
            [
                [*header, "settled_on_time"],
                ["DD001", "甲一", "320100000001", "B100", "2026-10-08", "5", "1425", "true"],
            ]
        ),
        method=method,
    )
    assert report.ok, report.errors
    assert stored()[0][:5] == ("DD001", "B100", "320100000001", date(2026, 10, 8), 5)


def test_staging_table_is_dropped(shop, write_csv, method):
    import_file("orders", write_csv([HEADER, *LINES]), method=method)
    import_file("orders", write_csv([HEADER, ["bad"]], name="bad.csv"), method=method)
    assert OrderImporter.STAGE not in connection.introspection.table_names()


def test_a_malformed_csv_row_after_thousands_of_lines_writes_nothing(shop, tmp_path, method):
    good = [f"DD{n},320100000001,B100,2026-10-08,1,285,是" for n in range(3000)]
    bad = "DD9,320100000001,B100,2026-10-08,1,285," + "是" * 140_000
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([",".join(HEADER), *good, bad, good[0]]) + "\n", encoding="utf-8")
    report = import_file("orders", path, method=method)

    assert report.error_count == 1
    assert report.errors[0].row == 3002
    assert report.errors[0].reason == "A line is longer than 64194 characters."
    assert OrderLine.objects.count() == 0
