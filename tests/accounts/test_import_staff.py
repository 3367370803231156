"""The staff import (DOMAIN.md §9): people created with one-time codes, never deleted,
deactivated only when the file says so, probation over the file's initial tier."""

from datetime import date

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.models import InitialCodeSheet, Role, User
from accounts.services import CODE_ALPHABET
from imports.kinds import import_file
from reports.models import ManagerTier, Tier
from tests.factories import TerritoryFactory, UserFactory

from .conftest import IMPORT_DAY, SAMPLES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = ["工号", "姓名", "角色", "单位编码", "入职日期", "联系电话", "在职", "初始等级"]
SAMPLE_NUMBERS = [
    "100001", "100002", "100003", "100007", "400001", "501011", "502011",
    "600101", "600201", "700001", "700002", "800001", "900001",
]  # fmt: skip


def tiers():
    return {
        (t.manager.employee_no, t.tier, t.effective_from)
        for t in ManagerTier.objects.select_related("manager")
    }


def test_sample_creates_people_with_one_time_codes(imported_staff):
    report = imported_staff.report
    assert (report.rows, report.created, report.updated, report.unchanged) == (13, 13, 0, 0)
    assert sorted(User.objects.values_list("employee_no", flat=True)) == SAMPLE_NUMBERS

    manager = User.objects.get(employee_no="100001")
    assert (manager.name, manager.role, manager.org_unit.code) == (
        "王建华",
        Role.CUSTOMER_MANAGER,
        "3299-01-01",
    )
    assert (manager.hire_date, manager.phone, manager.is_active) == (
        date(2019, 3, 1),
        "13800000001",
        True,
    )
    assert User.objects.get(employee_no="600201").role == Role.MARKETING_CENTER_SUPERVISOR
    assert User.objects.get(employee_no="400001").role == Role.LEADER
    # The admin at the root unit gets the admin site, as user_create gives it; nobody else.
    assert list(User.objects.filter(is_staff=True).values_list("employee_no", flat=True)) == [
        "900001"
    ]
    assert User.objects.get(employee_no="900001").is_superuser

    # Everyone must change the one-time code; the sheet holds each code, which logs them in.
    assert User.objects.filter(must_change_password=True).count() == 13
    sheet = imported_staff.sheet
    assert (sheet.people, sheet.org_unit.code, sheet.downloaded_at) == (13, "3299", None)
    assert sorted(imported_staff.codes) == SAMPLE_NUMBERS
    assert sheet.codes[0] == {
        "employee_no": "900001",
        "name": "周建国",
        "unit": "东江市烟草公司",
        "code": imported_staff.codes["900001"],
    }
    for number, code in imported_staff.codes.items():
        assert len(code) == 10 and set(code) <= set(CODE_ALPHABET)
        assert User.objects.get(employee_no=number).check_password(code)
    assert len(set(imported_staff.codes.values())) == 13
    assert report.results == {"code_sheet": sheet.pk}


def test_initial_tiers_with_probation_winning(imported_staff):
    # 100003 was hired on 2026-06-01, less than 12 months before the import: 见习, not 一星.
    assert tiers() == {
        ("100001", Tier.TWO, date(2019, 3, 1)),
        ("100002", Tier.THREE, date(2020, 6, 1)),
        ("100003", Tier.PROBATION, date(2026, 6, 1)),
        ("100007", Tier.ONE, date(2018, 10, 1)),
    }
    details = dict(imported_staff.report.details)
    assert details["Initial tiers recorded"] == 4
    assert (
        details[
            "Set to 见习 instead of the file's tier: hired less than 12 months before 2026-10-15"
        ]
        == 1
    )


def test_same_file_again_changes_nothing(imported_staff):
    before = dict(User.objects.values_list("employee_no", "password"))
    again = import_file("staff", SAMPLES / "staff.csv", on=IMPORT_DAY)
    assert again.ok, again.errors
    assert (again.rows, again.created, again.updated, again.unchanged) == (13, 0, 0, 13)
    assert dict(User.objects.values_list("employee_no", "password")) == before
    assert InitialCodeSheet.objects.count() == 1
    assert ManagerTier.objects.count() == 4
    assert again.results == {}


def test_a_person_missing_from_a_later_file_stays(imported_staff, write_csv):
    path = write_csv(
        [HEADER, ["900001", "周建国", "系统管理员", "3299", "2015-03-01", "", "是", ""]]
    )
    report = import_file("staff", path, on=IMPORT_DAY)
    assert (report.rows, report.created, report.updated, report.unchanged) == (1, 0, 0, 1)
    assert User.objects.count() == 13
    assert User.objects.filter(is_active=True).count() == 13


def test_active_no_deactivates_and_changes_update(imported_staff, write_csv):
    path = write_csv(
        [
            HEADER,
            ["700002", "冯志强", "人力资源", "3299", "2019-09-01", "13900000004", "否", ""],
            [
                "100001",
                "王建华",
                "客户经理",
                "3299-02-01",
                "2019-03-01",
                "13811112222",
                "是",
                "二星",
            ],
        ]
    )
    report = import_file("staff", path, on=IMPORT_DAY)
    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (0, 2, 0)
    assert User.objects.get(employee_no="700002").is_active is False
    moved = User.objects.get(employee_no="100001")
    assert (moved.org_unit.code, moved.phone) == ("3299-02-01", "13811112222")
    # Updated people keep their password (and the duty to change it); no new sheet.
    assert moved.check_password(imported_staff.codes["100001"])
    assert InitialCodeSheet.objects.count() == 1


def test_bad_rows_refuse_the_whole_file(staff_units, write_csv, english):
    path = write_csv(
        [
            HEADER,
            ["100001", "王建华", "客户经理", "3299-01-01", "2019-03-01", "", "是", "二星"],
            ["100002", "李秀兰", "客户经理", "9999", "2020-06-15", "", "是", ""],
            ["100001", "王建华", "客户经理", "3299-01-01", "2019-03-01", "", "是", ""],
            ["100008", "赵敏", "客户经理", "3299", "2021-01-01", "", "是", ""],
            ["700001", "郑丽娟", "人力资源", "3299", "2017-02-30", "", "是", ""],
            ["700003", "孙悦", "人力资源", "3299", "", "", "是", "一星"],
            ["700004", "钱程", "厨师", "3299", "", "", "是", ""],
        ]
    )
    report = import_file("staff", path, on=IMPORT_DAY)
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (3, "单位编码", "9999", "No org unit has this code."),
        (4, "工号", "100001", "Duplicate of row 2."),
        (
            5,
            "角色",
            "客户经理",
            "A 客户经理 belongs to a 市场部; 3299 is a 市公司.",
        ),
        (6, "入职日期", "2017-02-30", "Not a date; use YYYY-MM-DD or YYYYMMDD."),
        (7, "初始等级", "一星", "Only customer managers have a tier; leave this cell empty."),
        (
            8,
            "角色",
            "厨师",
            "Unknown value; use one of: customer_manager 客户经理、service_dept_supervisor "
            "市场部督察、marketing_center_supervisor 营销中心督察、assessment_center 考评管理中心、"
            "hr 人力资源、admin 系统管理员、leader 领导.",
        ),
    ]
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert User.objects.count() == 0
    assert InitialCodeSheet.objects.count() == 0
    assert ManagerTier.objects.count() == 0


def test_a_manager_holding_a_territory_is_not_deactivated(imported_staff, write_csv, english):
    manager = User.objects.get(employee_no="100001")
    TerritoryFactory(code="3299-01-01-01", department=manager.org_unit, manager=manager)
    path = write_csv(
        [
            HEADER,
            ["700002", "冯志强", "人力资源", "3299", "", "", "否", ""],
            ["100001", "王建华", "客户经理", "3299-01-01", "", "", "否", ""],
            ["100001x", "新人", "客户经理", "3299-01-01", "", "", "是", ""],
        ]
    )
    report = import_file("staff", path, on=IMPORT_DAY)
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (
            3,
            "在职",
            "否",
            "This customer manager still holds territory 3299-01-01-01: hand it over first "
            "(the handovers file or manager_leave), then deactivate them.",
        )
    ]
    assert User.objects.get(employee_no="700002").is_active is True
    assert not User.objects.filter(employee_no="100001x").exists()
    # Moving them to another department is refused the same way.
    moved = write_csv([HEADER, ["100001", "王建华", "客户经理", "3299-02-01", "", "", "", ""]])
    report = import_file("staff", moved, on=IMPORT_DAY)
    assert [(e.row, e.column, e.value) for e in report.errors] == [(2, "单位编码", "3299-02-01")]


@pytest.mark.parametrize(
    ("hired", "file_tier", "expected", "overridden"),
    [
        ("2026-01-10", "三星", (Tier.PROBATION, date(2026, 1, 1)), 1),
        ("2025-10-16", "二星", (Tier.PROBATION, date(2025, 10, 1)), 1),  # 12 months on 10-16
        ("2025-10-15", "二星", (Tier.TWO, date(2025, 10, 1)), 0),  # 12 months on the day
        ("2026-03-01", "", (Tier.PROBATION, date(2026, 3, 1)), 0),
        ("", "四星", (Tier.FOUR, date(2026, 10, 1)), 0),  # no hire date: the import month
    ],
)
def test_probation_wins_over_the_file(
    staff_units, write_csv, hired, file_tier, expected, overridden
):
    path = write_csv(
        [HEADER, ["100009", "新经理", "客户经理", "3299-01-01", hired, "", "是", file_tier]]
    )
    report = import_file("staff", path, on=IMPORT_DAY)
    assert report.ok, report.errors
    assert tiers() == {("100009", *expected)}
    key = "Set to 见习 instead of the file's tier: hired less than 12 months before 2026-10-15"
    assert dict(report.details).get(key, 0) == overridden


def test_a_tier_history_is_not_overwritten(imported_staff, write_csv):
    manager = User.objects.get(employee_no="100001")
    ManagerTier.objects.create(
        manager=manager, tier=Tier.THREE, effective_from=date(2026, 7, 1), reason="review"
    )
    path = write_csv(
        [HEADER, ["100001", "王建华", "客户经理", "3299-01-01", "2019-03-01", "", "是", "五星"]]
    )
    report = import_file("staff", path, on=IMPORT_DAY)
    assert (report.updated, report.unchanged) == (0, 1)
    assert (
        dict(report.details)["Initial tiers not applied: the manager already has a tier history"]
        == 1
    )
    assert ("100001", Tier.TWO, date(2019, 3, 1)) in tiers()


def test_english_headers_dry_run_and_inactive_newcomer(staff_units, write_csv):
    header = [
        "employee_no",
        "name",
        "role",
        "org_unit_code",
        "hire_date",
        "phone",
        "active",
        "initial_tier",
    ]
    rows = [
        header,
        ["300001", "甲", "hr", "3299", "2020-01-01", "", "yes", ""],
        ["300002", "乙", "人力资源", "3299", "2020-01-01", "", "否", ""],
    ]
    dry = import_file("staff", write_csv(rows), on=IMPORT_DAY, dry_run=True)
    assert (dry.ok, dry.created) == (True, 2)
    assert User.objects.count() == 0 and InitialCodeSheet.objects.count() == 0
    report = import_file("staff", write_csv(rows), on=IMPORT_DAY)
    assert report.created == 2
    # An inactive newcomer cannot log in, so gets no code (an admin resets it on return).
    assert [p["employee_no"] for p in InitialCodeSheet.objects.get().codes] == ["300001"]
    assert not User.objects.get(employee_no="300002").has_usable_password()


def test_command_prints_where_to_download(staff_units, capsys, english):
    call_command("import_staff", str(SAMPLES / "staff.csv"), "--on", "2026-10-15")
    out = capsys.readouterr().out
    sheet = InitialCodeSheet.objects.get()
    assert "13 rows: 13 created, 0 updated, 0 unchanged." in out
    assert f"{reverse('accounts:code_sheets')} (sheet {sheet.pk})" in out


def test_command_writes_the_codes_once(staff_units, tmp_path, capsys):
    out_file = tmp_path / "codes.xlsx"
    call_command(
        "import_staff",
        str(SAMPLES / "staff.csv"),
        "--on",
        "2026-10-15",
        "--codes-out",
        str(out_file),
    )
    sheet = InitialCodeSheet.objects.get()
    assert sheet.codes == [] and sheet.downloaded_at is not None
    rows = list(openpyxl.load_workbook(out_file).active.iter_rows(values_only=True))
    assert rows[0] == ("工号", "姓名", "单位", "初始密码")
    assert len(rows) == 14
    number, name, unit, code = rows[-1]
    assert (number, name, unit) == ("100007", "刘洋", "江北第一客户服务部")
    assert User.objects.get(employee_no="100007").check_password(code)
    with pytest.raises(CommandError):
        call_command("import_staff", str(SAMPLES / "staff.csv"), "--codes-out", str(out_file))


def test_upload_page_imports_staff(staff_units, client):
    admin = UserFactory(employee_no="990001", role=Role.ADMIN, org_unit=staff_units.company)
    client.force_login(admin)
    with open(SAMPLES / "staff.csv", "rb") as upload:
        response = client.post(reverse("retailers:import"), {"kind": "staff", "file": upload})
    assert response.status_code == 200
    assert response.context["report"].created == 13
    assert reverse("accounts:code_sheets") in response.content.decode()
    assert InitialCodeSheet.objects.get().created_by == admin
