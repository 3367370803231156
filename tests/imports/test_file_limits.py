"""Hostile files (DOMAIN.md §9 file limits, data in imports.FileLimits): refused with a clear
reason, never a 500, a traceback or unbounded memory; nothing is written."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from imports.kinds import import_file
from imports.models import FileLimits
from imports.selectors import Limits, file_limits
from retailers.imports.orders import OrderImporter
from retailers.models import Brand, OrderLine, Retailer
from tests.factories import BrandFactory, RetailerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

ORDER_HEADER = "订单号,许可证号,规格编码,订单日期,数量（条）,金额（元）,按时结算"
BRAND_HEADER = "规格编码,规格名称,生产厂家,价类,批发价（元/条）"


@pytest.fixture
def shop(org):
    BrandFactory(code="B100", wholesale_price=Decimal("285.00"))
    return RetailerFactory(license_no="320100000001", territory=org.a.territory)


@pytest.fixture
def tight(db):
    """A city-less (province default) version with small limits, in force from this month."""
    return FileLimits.objects.create(
        version=2,
        effective_from=date.today().replace(day=1),
        xlsx_max_unpacked_mb=1,
        max_rows=5,
        max_columns=8,
        max_cell_chars=50,
    )


def errors(report):
    return [(e.row, e.column, e.value, e.reason) for e in report.errors]


def test_the_defaults_are_domain_section_9(db):
    assert file_limits() == Limits(
        xlsx_max_unpacked_mb=200,
        max_rows=2_000_000,
        max_columns=64,
        max_cell_chars=1000,
        order_max_cartons=5000,
        order_max_amount=Decimal("2000000.00"),
        latitude_min=Decimal("3.00"),
        latitude_max=Decimal("54.00"),
        longitude_min=Decimal("73.00"),
        longitude_max=Decimal("136.00"),
    )


def test_a_city_override_applies_to_that_city_only(org, tight):
    tight.company = org.company
    tight.save()
    assert file_limits(org.company).max_rows == 5
    assert file_limits().max_rows == 2_000_000


def test_an_xlsx_that_unpacks_beyond_the_limit_is_refused_before_reading(tmp_path, tight):
    # 2 MB of zeros compress to a few KB: a small file that unpacks large.
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "0" * (2 * 1024 * 1024))
    assert path.stat().st_size < 20_000
    report = import_file("brands", path)
    assert errors(report) == [
        (None, "", "", "The .xlsx file unpacks to 3 MB; at most 1 MB are allowed.")
    ]


def test_a_long_cell_and_a_control_character_are_row_errors(write_xlsx, write_csv, tight):
    long_name = "长" * 51
    path = write_xlsx([BRAND_HEADER.split(","), ["B1", long_name, "厂", "一类", "100"]])
    assert errors(import_file("brands", path)) == [
        (2, "规格名称", long_name, "The cell holds 51 characters; at most 50 are allowed.")
    ]
    # (openpyxl refuses to write control characters into a workbook; CSV carries them.)
    path = write_csv([BRAND_HEADER.split(","), ["B2", "好\x01名", "厂", "一类", "100"]])
    assert errors(import_file("brands", path)) == [
        (2, "规格名称", "好\ufffd名", "The cell holds the control character U+0001; remove it.")
    ]
    assert not Brand.objects.exists()


def test_nul_in_a_csv_cell_is_a_row_error_and_tab_newline_become_spaces(write_csv, db):
    path = write_csv(
        [
            BRAND_HEADER.split(","),
            ["B1", "东江\x00硬红", "厂", "一类", "100"],
        ]
    )
    report = import_file("brands", path)
    assert errors(report) == [
        (2, "规格名称", "东江\ufffd硬红", "The cell holds the control character U+0000; remove it.")
    ]
    path = write_csv(
        [BRAND_HEADER.split(","), ["B1", '"东江\t硬红\r\n（新）"', "厂", "一类", "100"]]
    )
    assert import_file("brands", path).ok
    assert Brand.objects.get().name == "东江 硬红  （新）"


def test_nul_in_an_order_line_is_a_row_error(write_csv, shop):
    path = write_csv(
        [ORDER_HEADER.split(","), ["DD\x001", "320100000001", "B100", "2026-10-08", "1", "1", "是"]]
    )
    report = import_file("orders", path)
    assert errors(report) == [
        (2, "订单号", "DD\ufffd1", "The cell holds the control character U+0000; remove it.")
    ]
    assert not OrderLine.objects.exists()


def test_nul_through_the_upload_page_and_the_command(client, org, write_csv):
    client.force_login(org.admin)
    content = f"{BRAND_HEADER}\nB1,东江\x00硬红,厂,一类,100\n".encode()
    response = client.post(
        reverse("retailers:import"),
        {"kind": "brands", "file": SimpleUploadedFile("brands.csv", content)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "control character U+0000" in response.content.decode()
    path = write_csv([BRAND_HEADER.split(","), ["B1", "东江\x00硬红", "厂", "一类", "100"]])
    with pytest.raises(CommandError, match="1 error; nothing was imported"):
        call_command("import_brands", str(path), stdout=io.StringIO())
    assert not Brand.objects.exists()


def test_rows_columns_and_line_length(write_csv, tmp_path, tight):
    rows = [BRAND_HEADER.split(",")] + [[f"B{n}", "名", "厂", "一类", "1"] for n in range(6)]
    assert errors(import_file("brands", write_csv(rows))) == [
        (7, "", "", "The file has more than 5 rows.")
    ]
    wide = [BRAND_HEADER.split(",") + ["x"] * 4]
    assert errors(import_file("brands", write_csv(wide))) == [
        (1, "", "", "More than 8 columns are filled.")
    ]
    path = tmp_path / "long.csv"
    path.write_text(BRAND_HEADER + "\n" + "B1," + "名" * 10_000 + "\n", encoding="utf-8")
    assert errors(import_file("brands", path)) == [
        (2, "", "", "A line is longer than 426 characters.")
    ]
    assert not Brand.objects.exists()


@pytest.fixture(params=["insert", "copy"])
def method(request):
    if request.param == "copy" and not OrderImporter.can_copy():
        pytest.skip("COPY needs PostgreSQL")
    return request.param


def test_order_quantity_and_amount_have_ranges(write_csv, shop, method):
    path = write_csv(
        [
            ORDER_HEADER.split(","),
            ["DD1", "320100000001", "B100", "2026-10-08", "1000000000", "1", "是"],
            ["DD2", "320100000001", "B100", "2026-10-08", "5001", "1", "是"],
            ["DD3", "320100000001", "B100", "2026-10-08", "5000", "1000000000", "是"],
            ["DD4", "320100000001", "B100", "2026-10-08", "5000", "2000000.00", "是"],
        ]
    )
    report = import_file("orders", path, method=method)
    assert errors(report) == [
        (2, "数量（条）", "1000000000", "Must be between -5000 and 5000."),
        (3, "数量（条）", "5001", "Must be between -5000 and 5000."),
        (4, "金额（元）", "1000000000", "Must be at most 2000000.00."),
    ]
    assert not OrderLine.objects.exists()


@pytest.mark.skipif(not OrderImporter.can_copy(), reason="COPY needs PostgreSQL")
def test_the_copy_path_works_under_the_debug_cursor(write_csv, shop):
    path = write_csv(
        [ORDER_HEADER.split(","), ["DD1", "320100000001", "B100", "2026-10-08", "5", "1425", "是"]]
    )
    connection.force_debug_cursor = True  # what DEBUG=1 does
    try:
        report = import_file("orders", path, method="copy")
    finally:
        connection.force_debug_cursor = False
    assert report.ok, errors(report)
    assert OrderLine.objects.get().quantity == 5
    assert Retailer.objects.count() == 1
