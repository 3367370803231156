"""Retailer status changes import: dated rows, natural key (licence, date), all or nothing."""

from datetime import date

import pytest

from assessment.models import AssessmentMonth, MonthState
from imports.kinds import import_file
from retailers.models import Retailer, RetailerStatusChange

from .conftest import SAMPLES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = ["许可证号", "状态", "生效日期", "说明"]


@pytest.fixture
def retailers(sample_org):
    report = import_file("retailers", SAMPLES / "retailers.csv", on=date(2026, 10, 1))
    assert report.ok, report.errors


def history(licence):
    return list(
        RetailerStatusChange.objects.filter(retailer__license_no=licence)
        .order_by("effective_from")
        .values_list("effective_from", "status", "note")
    )


def test_sample_file_dates_the_changes_and_twice_changes_nothing(retailers):
    report = import_file("retailer_statuses", SAMPLES / "retailer_statuses.csv")

    assert report.errors == []
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    # Today is after 2026-11-25: 329901100003 is now cancelled, 329902100008 active again.
    assert report.details == [("Retailers whose current status changed", 1)]
    assert history("329902100008") == [
        (date(2026, 10, 1), "active", ""),
        (date(2026, 11, 10), "suspended", "停业装修"),
        (date(2026, 11, 20), "active", "装修完毕恢复营业"),
    ]
    statuses = dict(Retailer.objects.values_list("license_no", "status"))
    assert (statuses["329901100003"], statuses["329902100008"]) == ("cancelled", "active")
    active_mid_november = set(
        Retailer.objects.active_on(date(2026, 11, 15)).values_list("license_no", flat=True)
    )
    assert "329902100008" not in active_mid_november
    assert "329901100003" in active_mid_november

    again = import_file("retailer_statuses", SAMPLES / "retailer_statuses.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert RetailerStatusChange.objects.count() == 8 + 3


def test_a_changed_row_updates_the_change_of_that_day(retailers, write_csv):
    import_file("retailer_statuses", SAMPLES / "retailer_statuses.csv")
    report = import_file(
        "retailer_statuses", write_csv([HEADER, ["329902100008", "注销", "2026-11-20", ""]])
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert history("329902100008")[-1] == (date(2026, 11, 20), "cancelled", "")
    assert Retailer.objects.get(license_no="329902100008").status == "cancelled"


def test_bad_rows_are_refused_whole(retailers, sample_org, write_csv):
    AssessmentMonth.objects.create(
        company=sample_org.company, month=date(2026, 10, 1), state=MonthState.PUBLISHED
    )
    path = write_csv(
        [
            HEADER,
            ["329901100001", "暂停", "2026-11-03", "ok on its own"],
            ["329901199999", "暂停", "2026-11-03", ""],
            ["329901100002", "暂停", "2026-10-15", ""],
            ["329901100001", "正常", "2026-11-03", ""],
            ["329901100004", "关门", "2026-11-03", ""],
        ]
    )
    report = import_file("retailer_statuses", path)

    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (3, "许可证号", "329901199999", "No retailer with this licence."),
        (
            4,
            "生效日期",
            "2026-10-15",
            "2026-10 is Published: a change may not take effect inside a month in review or "
            "published; date it in the next open month.",
        ),
        (5, "许可证号", "329901100001 / 2026-11-03", "Duplicate of row 2."),
        (
            6,
            "状态",
            "关门",
            "Unknown value; use one of: active 正常、suspended 暂停、cancelled 注销.",
        ),
    ]
    assert RetailerStatusChange.objects.count() == 8
    assert set(Retailer.objects.values_list("status", flat=True)) >= {"active"}
    assert Retailer.objects.get(license_no="329901100001").status == "active"


def test_command_prints_the_counts(retailers):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("import_retailer_statuses", str(SAMPLES / "retailer_statuses.csv"), stdout=out)
    assert out.getvalue().splitlines() == [
        "3 rows: 3 created, 0 updated, 0 unchanged.",
        "Retailers whose current status changed: 1",
    ]
