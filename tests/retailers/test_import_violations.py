"""Violations import: natural key (licence, date, severity, note), all or nothing."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from imports.kinds import import_file
from retailers.models import Violation

from .conftest import SAMPLES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = ["许可证号", "日期", "严重程度", "说明"]


@pytest.fixture
def retailers(sample_org):
    report = import_file("retailers", SAMPLES / "retailers.csv", on=date(2026, 10, 1))
    assert report.ok, report.errors


def test_sample_file_and_twice_changes_nothing(retailers):
    out = StringIO()
    call_command("import_violations", str(SAMPLES / "violations.csv"), stdout=out)
    assert out.getvalue().splitlines() == ["4 rows: 4 created, 0 updated, 0 unchanged."]
    assert sorted(
        Violation.objects.values_list(
            "retailer__license_no", "occurred_on", "severity", "description"
        )
    ) == [
        ("329901100002", date(2026, 3, 14), "minor", "未按规定明码标价"),
        ("329901100005", date(2026, 6, 2), "serious", "销售非法渠道卷烟"),
        ("329902100007", date(2026, 8, 21), "minor", "超范围经营"),
        ("329902100007", date(2026, 9, 30), "minor", "未悬挂许可证"),
    ]
    again = import_file("violations", SAMPLES / "violations.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert Violation.objects.count() == 4


def test_same_day_with_another_note_is_another_violation(retailers, write_csv):
    import_file("violations", SAMPLES / "violations.csv")
    report = import_file(
        "violations",
        write_csv(
            [
                ["license_no", "date", "severity", "note"],
                ["329901100002", "2026-03-14", "一般", "另一项"],
            ]
        ),
    )
    assert (report.created, report.unchanged) == (1, 0)
    assert Violation.objects.filter(retailer__license_no="329901100002").count() == 2


def test_bad_rows_are_refused_whole(retailers, write_csv):
    path = write_csv(
        [
            HEADER,
            ["329901100001", "2026-05-01", "严重", "ok on its own"],
            ["329901199999", "2026-05-01", "一般", "x"],
            ["329901100001", "2099-01-01", "一般", "future"],
            ["329901100001", "2026-05-01", "严重", "ok on its own"],
            ["329901100001", "2026-05-02", "很严重", "x"],
            ["329901100001", "2026-05-03", "一般", ""],
        ]
    )
    report = import_file("violations", path)

    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (3, "许可证号", "No retailer with this licence."),
        (4, "日期", "A violation cannot be dated in the future."),
        (5, "许可证号", "Duplicate of row 2."),
        (6, "严重程度", "Unknown value; use one of: minor 一般、serious 严重."),
        (7, "说明", "A value is required."),
    ]
    assert Violation.objects.count() == 0


def test_a_large_import_refreshes_the_planner_statistics(retailers, monkeypatch):
    """An import of at least ANALYZE_AFTER_ROWS rows ANALYZEs the tables it filled (on
    PostgreSQL; other databases need nothing); a dry run or a small import does not."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import imports.engine as engine

    def analyzed(**options):
        with CaptureQueriesContext(connection) as queries:
            report = import_file("violations", SAMPLES / "violations.csv", **options)
        assert report.ok, report.errors
        return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]

    assert analyzed() == []  # 4 rows: below the threshold
    monkeypatch.setattr(engine, "ANALYZE_AFTER_ROWS", 4)
    assert analyzed(dry_run=True) == []
    expected = ['ANALYZE "retailers_violation"'] if connection.vendor == "postgresql" else []
    assert analyzed() == expected
