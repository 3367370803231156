"""Retailer import: fields, assignments, idempotency, updates, error report, all-or-nothing."""

from datetime import date
from decimal import Decimal

import pytest

from imports import engine
from imports.datum import from_wgs84
from imports.kinds import import_file
from imports.report import MAX_ERRORS
from retailers.models import Retailer, RetailerAssignment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = ["许可证号", "店铺名称", "负责人", "经营地址", "市场类型", "业态", "所处环境", "片区编码"]
EXTRA = ["纬度", "经度", "发展潜力", "状态", "档位", "联系电话", "坐标系"]
ROW_1 = ["320100000001", "甲一便利店", "张三", "东江市一路1号", "C", "便利店", "居民区", "T-A1"]
ROW_2 = ["320100000002", "乙二食杂店", "李四", "东江市二路2号", "乡村", "Z", "偏远乡村", "T-B2"]


def counts(report):
    return (report.rows, report.created, report.updated, report.unchanged)


def history():
    return [
        (a.retailer.license_no, a.territory.code, a.manager.employee_no, a.valid_from, a.valid_to)
        for a in RetailerAssignment.objects.select_related(
            "retailer", "territory", "manager"
        ).order_by("retailer__license_no", "valid_from")
    ]


def test_creates_retailers_with_every_field_and_assigns_them(org, write_csv):
    path = write_csv(
        [
            HEADER + EXTRA,
            ROW_1 + ["31.95", "118.8512345", "4", "正常", "12", "13800000000", "WGS-84"],
            ROW_2 + ["", "", "", "暂停", "", "", ""],
        ]
    )
    report = import_file("retailers", path, on=date(2026, 11, 1))

    assert report.errors == []
    assert counts(report) == (2, 2, 0, 0)
    assert report.details == [
        ("Moved to another territory", 0),
        ("Assignments opened", 2),
        ("Status changes recorded", 0),
        ("Retailers whose current status changed", 0),
    ]
    one = Retailer.objects.get(license_no="320100000001")
    assert (one.shop_name, one.owner_name, one.address, one.phone) == (
        "甲一便利店",
        "张三",
        "东江市一路1号",
        "13800000000",
    )
    assert (one.market_type, one.retail_format, one.environment) == ("C", "B", "residential")
    assert (one.latitude, one.longitude) == (Decimal("31.950000"), Decimal("118.851235"))
    assert (one.potential, one.status, one.grade_tier, one.territory) == (
        4,
        "active",
        12,
        org.a.territory,
    )
    two = Retailer.objects.get(license_no="320100000002")
    assert (two.market_type, two.retail_format, two.environment, two.status) == (
        "X",
        "Z",
        "remote_rural",
        "suspended",
    )
    assert (two.latitude, two.potential, two.grade_tier, two.phone) == (None, None, None, "")
    assert history() == [
        ("320100000001", "T-A1", "1A01", date(2026, 11, 1), None),
        ("320100000002", "T-B2", "1B02", date(2026, 11, 1), None),
    ]


def test_reimport_of_the_same_file_changes_nothing(org, write_csv):
    path = write_csv([HEADER, ROW_1, ROW_2])
    import_file("retailers", path, on=date(2026, 11, 1))
    stamps = dict(Retailer.objects.values_list("license_no", "updated_at"))

    again = import_file("retailers", path, on=date(2026, 12, 1))

    assert again.ok
    assert counts(again) == (2, 0, 0, 2)
    assert again.details == [
        ("Moved to another territory", 0),
        ("Assignments opened", 0),
        ("Status changes recorded", 0),
        ("Retailers whose current status changed", 0),
    ]
    assert dict(Retailer.objects.values_list("license_no", "updated_at")) == stamps
    assert len(history()) == 2


def test_update_keeps_empty_cells_and_a_move_starts_a_new_assignment(org, write_csv):
    import_file(
        "retailers",
        write_csv([HEADER + ["发展潜力"], ROW_1 + ["4"], ROW_2 + ["2"]]),
        on=date(2026, 11, 1),
    )
    renamed = ["320100000001", "甲一便利店（新）", *ROW_1[2:]]
    moved = [*ROW_2[:-1], "T-B1"]
    report = import_file(
        "retailers",
        write_csv([HEADER + ["发展潜力"], renamed + [""], moved + ["2"]], name="second.csv"),
        on=date(2026, 12, 1),
    )

    assert report.ok
    assert counts(report) == (2, 0, 2, 0)
    assert report.details == [
        ("Moved to another territory", 1),
        ("Assignments opened", 1),
        ("Status changes recorded", 0),
        ("Retailers whose current status changed", 0),
    ]
    one = Retailer.objects.get(license_no="320100000001")
    assert (one.shop_name, one.potential) == ("甲一便利店（新）", 4)
    assert history() == [
        ("320100000001", "T-A1", "1A01", date(2026, 11, 1), None),
        ("320100000002", "T-B2", "1B02", date(2026, 11, 1), date(2026, 12, 1)),
        ("320100000002", "T-B1", "1B01", date(2026, 12, 1), None),
    ]


def test_error_report_lists_row_column_value_reason_and_nothing_is_written(org, write_csv):
    path = write_csv(
        [
            HEADER + ["发展潜力", "纬度"],
            ROW_1 + ["", ""],
            ["12345", *ROW_1[1:], "", ""],
            [*ROW_2[:4], "K", *ROW_2[5:], "", ""],
            [*ROW_2[:-1], "T-ZZ", "", ""],
            ROW_1 + ["", ""],
            [ROW_2[0], "", *ROW_2[2:], "9", ""],
            ["320100000003", *ROW_2[1:], "", "31.9"],
        ]
    )
    report = import_file("retailers", path)

    assert not report.ok
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (3, "许可证号", "12345", "A licence number is 12 digits."),
        (4, "市场类型", "K", "Unknown value; use one of: C 城镇、X 乡村."),
        (5, "片区编码", "T-ZZ", "No such territory."),
        (6, "许可证号", "320100000001", "Duplicate of row 2."),
        (7, "店铺名称", "", "A value is required."),
        (7, "发展潜力", "9", "Must be between 1 and 5."),
        (8, "经度", "", "Give both latitude and longitude, or neither."),
    ]
    assert report.error_count == 7
    assert counts(report) == (7, 0, 0, 0)
    assert report.summary() == "7 errors found in 7 rows; nothing was imported."
    assert Retailer.objects.count() == 0
    assert RetailerAssignment.objects.count() == 0


def test_an_error_after_written_batches_still_writes_nothing(org, write_csv, monkeypatch):
    monkeypatch.setattr(engine, "CHUNK_SIZE", 2)
    rows = [[f"3201000000{n:02d}", *ROW_1[1:]] for n in range(1, 6)]
    rows.append([*ROW_2[:-1], "T-ZZ"])
    report = import_file("retailers", write_csv([HEADER, *rows]))

    assert [(e.row, e.reason) for e in report.errors] == [(7, "No such territory.")]
    assert Retailer.objects.count() == 0
    assert RetailerAssignment.objects.count() == 0


def test_missing_required_column_is_a_file_error(org, write_csv):
    report = import_file("retailers", write_csv([HEADER[:-1], ROW_1[:-1]]))

    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (1, "", "Missing required columns: 片区编码 (territory_code).")
    ]
    assert Retailer.objects.count() == 0


def test_gb18030_file(org, write_csv):
    path = write_csv([HEADER, ROW_1, ROW_2], encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    report = import_file("retailers", path)

    assert report.ok
    assert counts(report) == (2, 2, 0, 0)
    assert sorted(Retailer.objects.values_list("shop_name", "owner_name", "environment")) == [
        ("乙二食杂店", "李四", "remote_rural"),
        ("甲一便利店", "张三", "residential"),
    ]


def test_utf8_with_bom_and_english_headers(org, write_csv):
    english = [
        "license_no",
        "Shop Name",
        "owner_name",
        "address",
        "market_type",
        "retail_format",
        "environment",
        "territory_code",
    ]
    report = import_file("retailers", write_csv([english, ROW_1], encoding="utf-8-sig"))

    assert report.ok
    assert Retailer.objects.get().shop_name == "甲一便利店"


def test_xlsx_with_numeric_cells(org, write_xlsx):
    path = write_xlsx(
        [
            HEADER + ["纬度", "经度", "档位"],
            [320100000001, *ROW_1[1:], 31.95, 118.85, 12.0],
        ]
    )
    report = import_file("retailers", path, datum="wgs84")

    assert report.ok, report.errors
    retailer = Retailer.objects.get()
    assert (retailer.license_no, retailer.latitude, retailer.grade_tier) == (
        "320100000001",
        Decimal("31.950000"),
        12,
    )


def test_errors_are_capped_but_counted(org, write_csv):
    rows = [[f"bad{n}", *ROW_1[1:]] for n in range(MAX_ERRORS + 50)]
    report = import_file("retailers", write_csv([HEADER, *rows]))

    assert report.error_count == MAX_ERRORS + 50
    assert len(report.errors) == MAX_ERRORS
    assert report.errors[-1].row == MAX_ERRORS + 1
    assert report.truncated
    assert report.lines()[-1] == "Only the first 200 of 250 errors are listed."


def test_dry_run_reports_counts_and_writes_nothing(org, write_csv):
    report = import_file("retailers", write_csv([HEADER, ROW_1, ROW_2]), dry_run=True)

    assert report.ok
    assert counts(report) == (2, 2, 0, 0)
    assert report.summary().startswith("Check only, nothing was written.")
    assert Retailer.objects.count() == 0
    assert RetailerAssignment.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "row", "reason"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", None, "Old Excel .xls files"),
        ("empty.csv", b"", None, "The file is empty."),
        ("broken.xlsx", b"PK\x03\x04 not a zip", None, "Not a readable XLSX file"),
        (
            "binary.csv",
            "许可证号,店铺名称\n".encode() + b"x,y\n\xff\xfe\xff,z\n",
            3,
            "The text is neither UTF-8 nor GB18030.",
        ),
    ],
)
def test_unreadable_files(org, tmp_path, name, content, row, reason):
    path = tmp_path / name
    path.write_bytes(content)
    report = import_file("retailers", path)

    assert report.error_count == 1
    assert report.errors[0].row == row
    assert report.errors[0].reason.startswith(reason)


def test_coordinates_name_their_datum_and_are_stored_in_wgs84(org, write_csv):
    header = HEADER + ["纬度", "经度"]
    rows = [ROW_1 + ["31.951200", "118.846500"], ROW_2 + ["31.953100", "118.852300"]]
    missing = import_file("retailers", write_csv([header, *rows]))
    assert [(e.row, e.column, e.reason) for e in missing.errors] == [
        (
            row,
            "坐标系",
            "Name the datum of the coordinates: a 坐标系 column or the datum option "
            "(WGS-84, GCJ-02 or BD-09).",
        )
        for row in (2, 3)
    ]
    assert Retailer.objects.count() == 0

    # The column wins over the option; the option serves rows without a datum.
    report = import_file(
        "retailers",
        write_csv([header + ["坐标系"], rows[0] + ["GCJ-02"], rows[1] + [""]]),
        datum="wgs84",
    )
    assert report.ok, report.errors
    gcj = Retailer.objects.get(license_no=ROW_1[0])
    # GCJ-02 is WGS-84 shifted by a few hundred metres here: stored shifted back, and the
    # stored point converts forward to the file's point again.
    assert (gcj.latitude, gcj.longitude) == (Decimal("31.953331"), Decimal("118.841416"))
    assert from_wgs84(gcj.latitude, gcj.longitude, "gcj02") == (
        Decimal("31.951200"),
        Decimal("118.846500"),
    )
    wgs = Retailer.objects.get(license_no=ROW_2[0])
    assert (wgs.latitude, wgs.longitude) == (Decimal("31.953100"), Decimal("118.852300"))


def test_coordinates_outside_china_are_refused(org, write_csv):
    header = HEADER + ["纬度", "经度", "坐标系"]
    report = import_file(
        "retailers",
        write_csv(
            [header, ROW_1 + ["60.1", "118.8", "WGS-84"], ROW_2 + ["31.9", "12.5", "WGS-84"]]
        ),
    )
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "纬度", "A latitude lies between 3 and 54 degrees north."),
        (3, "经度", "A longitude lies between 73 and 136 degrees east."),
    ]


def test_status_column_dates_a_change_by_the_effective_date(org, write_csv):
    from retailers.models import RetailerStatusChange

    import_file("retailers", write_csv([HEADER + ["状态"], ROW_1 + ["正常"]]), on=date(2026, 10, 1))
    report = import_file(
        "retailers", write_csv([HEADER + ["状态"], ROW_1 + ["暂停"]]), on=date(2026, 11, 5)
    )
    assert counts(report) == (1, 0, 1, 0)
    assert ("Status changes recorded", 1) in report.details
    assert list(
        RetailerStatusChange.objects.order_by("effective_from").values_list(
            "effective_from", "status"
        )
    ) == [(date(2026, 10, 1), "active"), (date(2026, 11, 5), "suspended")]
    assert Retailer.objects.get().status == "suspended"
    again = import_file(
        "retailers", write_csv([HEADER + ["状态"], ROW_1 + ["暂停"]]), on=date(2026, 11, 5)
    )
    assert counts(again) == (1, 0, 0, 1)


def test_a_later_effective_date_than_existing_orders_is_refused_without_consent(org, write_csv):
    from tests.factories import OrderLineFactory

    import_file("retailers", write_csv([HEADER, ROW_1]), on=date(2026, 11, 1))
    shop = Retailer.objects.get()
    OrderLineFactory(retailer=shop, order_date=date(2026, 10, 15))  # before any assignment
    OrderLineFactory(retailer=shop, order_date=date(2026, 11, 5))  # credited to 1A01
    OrderLineFactory(retailer=shop, order_date=date(2026, 12, 3))  # follows the move
    moved = write_csv([HEADER, [*ROW_1[:-1], "T-B1"]], name="moved.csv")

    refused = import_file("retailers", moved, on=date(2026, 12, 1))

    new_manager = str(org.b.territory.manager) if org.b.territory.code == "T-B1" else None
    new_manager = new_manager or str(
        __import__("accounts.models", fromlist=["Territory"])
        .Territory.objects.get(code="T-B1")
        .manager
    )
    expected = (
        f"2 order lines dated before 2026-12-01 of retailers now with {new_manager} will not "
        "be credited to them: 1 to nobody, 1 to other managers."
    )
    assert [(e.row, e.reason) for e in refused.errors] == [
        (
            None,
            expected + " Give an earlier effective date, or allow order lines not to be "
            "credited (--allow-uncredited-orders).",
        )
    ]
    assert Retailer.objects.get().territory.code == "T-A1"
    assert len(history()) == 1

    allowed = import_file("retailers", moved, on=date(2026, 12, 1), allow_uncredited=True)
    assert allowed.ok
    assert (expected, 2) in allowed.details
    assert Retailer.objects.get().territory.code == "T-B1"
    # An unchanged file opens nothing new, so it has nothing to warn about.
    assert import_file("retailers", moved, on=date(2026, 12, 1)).ok


def test_command_flag_allows_uncredited_orders(org, write_csv):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from tests.factories import OrderLineFactory

    import_file("retailers", write_csv([HEADER, ROW_1]), on=date(2026, 11, 1))
    OrderLineFactory(retailer=Retailer.objects.get(), order_date=date(2026, 10, 15))
    moved = str(write_csv([HEADER, [*ROW_1[:-1], "T-B1"]], name="moved.csv"))
    with pytest.raises(CommandError):
        call_command("import_retailers", moved, "--effective-date", "2026-12-01", stdout=StringIO())
    call_command(
        "import_retailers",
        moved,
        "--effective-date",
        "2026-12-01",
        "--allow-uncredited-orders",
        stdout=StringIO(),
    )
    assert Retailer.objects.get().territory.code == "T-B1"
