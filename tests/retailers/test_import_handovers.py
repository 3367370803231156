"""The handovers import: 片区编码, 接手客户经理工号, 生效日期, 截止日期, 类型, 许可证号, 说明."""

from datetime import date

import pytest
from django.core.management import call_command

from accounts.models import Role
from assessment.models import AssessmentMonth, MonthState
from imports.kinds import SAMPLES, ImportKind, import_file
from retailers.models import HandoverKind, RetailerAssignment, TerritoryHandover
from tests.factories import RetailerFactory, TerritoryFactory, UserFactory

from .conftest import SAMPLES as SAMPLES_DIR

pytestmark = pytest.mark.django_db

HEADER = [
    "片区编码",
    "接手客户经理工号",
    "生效日期",
    "截止日期",
    "类型(交接/代管)",
    "许可证号",
    "说明",
]
TODAY = date(2026, 11, 1)


@pytest.fixture
def company(sample_org):
    """The sample company with 3299-01-01-03 (manager 100003) and its retailers, a newcomer
    100004 without a territory."""
    department = sample_org.territories["3299-01-01-01"].department
    sample_org.managers["100003"] = UserFactory(
        employee_no="100003", role=Role.CUSTOMER_MANAGER, org_unit=department
    )
    sample_org.managers["100004"] = UserFactory(
        employee_no="100004", role=Role.CUSTOMER_MANAGER, org_unit=department
    )
    territory = TerritoryFactory(
        code="3299-01-01-03",
        name="城区三号片区",
        department=department,
        manager=sample_org.managers["100003"],
    )
    sample_org.territories["3299-01-01-03"] = territory
    sample_org.shops = [
        RetailerFactory(territory=territory, license_no=f"32990110009{n}", on=date(2026, 1, 1))
        for n in range(3)
    ]
    return sample_org


def rows(*lines):
    return [HEADER, *lines]


def test_sample_imports_and_again_unchanged(company):
    assert SAMPLES[ImportKind.HANDOVERS] == ["handovers.csv"]
    first = import_file(ImportKind.HANDOVERS, SAMPLES_DIR / "handovers.csv", on=TODAY)
    assert first.errors == []
    assert (first.rows, first.created, first.updated, first.unchanged) == (1, 1, 0, 0)
    record = TerritoryHandover.objects.get()
    assert (record.kind, record.effective_from, record.until) == (
        HandoverKind.COVERING,
        date(2026, 11, 16),
        date(2026, 11, 30),
    )
    assert record.to_manager.employee_no == "100002"
    assert record.from_manager.employee_no == "100003"
    shop = company.shops[0]
    assert list(
        RetailerAssignment.objects.filter(retailer=shop)
        .order_by("valid_from")
        .values_list("manager__employee_no", "valid_from", "valid_to")
    ) == [
        ("100003", date(2026, 1, 1), date(2026, 11, 16)),
        ("100002", date(2026, 11, 16), date(2026, 12, 1)),
        ("100003", date(2026, 12, 1), None),
    ]
    again = import_file(ImportKind.HANDOVERS, SAMPLES_DIR / "handovers.csv", on=TODAY)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert RetailerAssignment.objects.filter(retailer=shop).count() == 3


def test_licence_rows_move_only_those_retailers(company, write_csv):
    a, b, c = company.shops
    path = write_csv(
        rows(
            ["3299-01-01-03", "100001", "2026-11-10", "", "交接", a.license_no, "划片"],
            ["3299-01-01-03", "100001", "2026-11-10", "", "交接", b.license_no, ""],
        )
    )
    report = import_file(ImportKind.HANDOVERS, path, on=TODAY)
    assert report.errors == []
    assert report.created == 2
    record = TerritoryHandover.objects.get()
    assert sorted(record.retailers.values_list("license_no", flat=True)) == sorted(
        [a.license_no, b.license_no]
    )
    moved = RetailerAssignment.objects.filter(valid_from=date(2026, 11, 10))
    assert sorted(moved.values_list("retailer_id", "manager__employee_no", "territory__code")) == [
        (a.pk, "100001", "3299-01-01-01"),
        (b.pk, "100001", "3299-01-01-01"),
    ]
    assert not RetailerAssignment.objects.filter(retailer=c, valid_from=date(2026, 11, 10)).exists()
    # Dated before today: applied, the two retailers are now in 100001's territory.
    a.refresh_from_db()
    assert a.territory.code == "3299-01-01-01"
    again = import_file(ImportKind.HANDOVERS, path, on=TODAY)
    assert again.errors == []
    assert (again.created, again.unchanged) == (0, 2)


def test_row_errors(company, write_csv, english):
    AssessmentMonth.objects.create(
        company=company.company, month=date(2026, 10, 1), state=MonthState.REVIEW
    )
    path = write_csv(
        rows(
            ["9999-01", "100004", "2026-11-16", "", "交接", "", ""],
            ["3299-01-01-03", "123456", "2026-11-16", "", "交接", "", ""],
            ["3299-01-01-03", "900001", "2026-11-16", "", "交接", "", ""],
            ["3299-01-01-03", "100004", "2025-12-01", "", "交接", "", ""],
            ["3299-01-01-02", "100004", "2026-10-20", "", "交接", "", ""],
        )
    )
    report = import_file(ImportKind.HANDOVERS, path, on=TODAY)
    reasons = [(e.row, e.column, e.reason) for e in report.errors]
    assert reasons[:3] == [
        (2, "片区编码", "No such territory."),
        (3, "接手客户经理工号", "No user has this employee number."),
        (4, "接手客户经理工号", "This user is not an active customer manager."),
    ]
    by_row = {row: reason for row, _column, reason in reasons}
    assert "exists from 2026-01-01" in by_row[5]
    assert "2026-10 is" in by_row[6] and "date it in the next open month" in by_row[6]
    assert TerritoryHandover.objects.count() == 0  # all or nothing


def test_manager_holding_another_territory_is_a_row_error(company, write_csv, english):
    path = write_csv(
        rows(
            ["3299-01-01-03", "100004", "2026-11-16", "", "交接", "", ""],
            ["3299-01-01-01", "100002", "2026-11-16", "", "交接", "", ""],
        )
    )
    report = import_file(ImportKind.HANDOVERS, path, on=TODAY)
    assert [(e.row, e.column) for e in report.errors] == [(3, "接手客户经理工号")]
    assert "holds territory 3299-01-01-02" in report.errors[0].reason
    assert TerritoryHandover.objects.count() == 0


def test_overlapping_covering_is_a_row_error(company, write_csv, english):
    path = write_csv(
        rows(
            ["3299-01-01-03", "100002", "2026-11-16", "2026-11-30", "代管", "", ""],
            ["3299-01-01-03", "100001", "2026-11-25", "2026-12-05", "代管", "", ""],
        )
    )
    report = import_file(ImportKind.HANDOVERS, path, on=TODAY)
    assert [(e.row, e.column) for e in report.errors] == [(3, "生效日期")]
    assert "already covered from 2026-11-16 to 2026-11-30" in report.errors[0].reason
    assert TerritoryHandover.objects.count() == 0


def test_command_dry_run_writes_nothing(company, capsys, english):
    call_command("import_handovers", str(SAMPLES_DIR / "handovers.csv"), "--dry-run")
    assert "1 created" in capsys.readouterr().out
    assert TerritoryHandover.objects.count() == 0
