"""Brand import: fields, key-brand months per month, idempotency, errors."""

from datetime import date
from decimal import Decimal

import pytest

from imports.kinds import import_file
from retailers.models import Brand, KeyBrandMonth
from tests.factories import BrandFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = ["规格编码", "规格名称", "生产厂家", "价类", "批发价（元/条）", "上市日期", "在销"]
KEY = "重点品牌月份"


def flags():
    return sorted((k.brand.code, f"{k.month:%Y-%m}") for k in KeyBrandMonth.objects.all())


def test_creates_brands(db, write_csv):
    report = import_file(
        "brands",
        write_csv(
            [
                HEADER,
                ["6901", "东江（硬红）", "东江卷烟厂", "一类", "285", "2026-09-01", "是"],
                ["6902", "长河（硬金）", "长河卷烟厂", "5", "42.50", "", "否"],
            ]
        ),
    )

    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated, report.unchanged) == (2, 2, 0, 0)
    assert list(
        Brand.objects.order_by("code").values_list(
            "code", "name", "manufacturer", "price_class", "wholesale_price", "launch_date"
        )
    ) == [
        ("6901", "东江（硬红）", "东江卷烟厂", 1, Decimal("285.00"), date(2026, 9, 1)),
        ("6902", "长河（硬金）", "长河卷烟厂", 5, Decimal("42.50"), None),
    ]
    assert list(Brand.objects.order_by("code").values_list("is_active", flat=True)) == [
        True,
        False,
    ]


def test_key_brand_months_are_decided_per_month_named_in_the_file(db, write_csv):
    outsider = BrandFactory(code="6999")
    KeyBrandMonth.objects.create(brand=outsider, month=date(2026, 9, 1))
    KeyBrandMonth.objects.create(brand=outsider, month=date(2026, 10, 1))
    path = write_csv(
        [
            [*HEADER, KEY],
            ["6901", "东江（硬红）", "东江卷烟厂", "一类", "285", "", "是", "2026-10;2026-11"],
            ["6902", "东江（软蓝）", "东江卷烟厂", "二类", "180", "", "是", ""],
        ]
    )
    report = import_file("brands", path)

    assert report.ok, report.errors
    # 2026-10 and 2026-11 are named in the file, so they hold exactly the brands naming
    # them; 2026-09 is not, so the outsider keeps it.
    assert flags() == [("6901", "2026-10"), ("6901", "2026-11"), ("6999", "2026-09")]
    assert report.details == [
        ("Key-brand months flagged", 2),
        ("Key-brand months removed", 1),
        ("Brands not in the file that lost a key month", 1),
    ]

    again = import_file("brands", path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert again.details == [("Key-brand months flagged", 0), ("Key-brand months removed", 0)]

    moved = write_csv(
        [
            [*HEADER, KEY],
            ["6901", "东江（硬红）", "东江卷烟厂", "一类", "285", "", "是", "2026-10"],
            ["6902", "东江（软蓝）", "东江卷烟厂", "二类", "180", "", "是", "2026-11；2026-10"],
        ],
        name="moved.csv",
    )
    changed = import_file("brands", moved)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 2, 0)
    assert flags() == [
        ("6901", "2026-10"),
        ("6902", "2026-10"),
        ("6902", "2026-11"),
        ("6999", "2026-09"),
    ]


def test_without_the_key_column_flags_are_untouched_and_changes_update(db, write_csv):
    brand = BrandFactory(code="6901", name="旧名", price_class=3, wholesale_price=Decimal("100"))
    KeyBrandMonth.objects.create(brand=brand, month=date(2026, 10, 1))
    report = import_file(
        "brands",
        write_csv([HEADER[:5], ["6901", "新名", "测试中烟工业有限责任公司", "三类", "100.00"]]),
    )

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    brand.refresh_from_db()
    assert brand.name == "新名"
    assert flags() == [("6901", "2026-10")]


def test_brand_errors(db, write_csv):
    report = import_file(
        "brands",
        write_csv(
            [
                [*HEADER, KEY],
                ["6901", "甲", "厂", "六类", "0", "2026-13-01", "也许", "2026-1x"],
                ["6902", "乙", "厂", "二类", "12.345", "", "", ""],
            ]
        ),
    )

    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (
            2,
            "价类",
            "六类",
            "Unknown value; use one of: 1 一类、2 二类、3 三类、4 四类、5 五类.",
        ),
        (2, "批发价（元/条）", "0", "Must be greater than 0."),
        (2, "上市日期", "2026-13-01", "Not a date; use YYYY-MM-DD or YYYYMMDD."),
        (2, "在销", "也许", "Use 是 or 否 (also Y/N, 1/0, true/false)."),
        (
            2,
            "重点品牌月份",
            "2026-1x",
            "Not a list of months; use YYYY-MM separated by semicolons (2026-10;2026-11).",
        ),
        (3, "批发价（元/条）", "12.345", "At most 2 decimal places."),
    ]
    assert Brand.objects.count() == 0
