"""Org-unit import: every level of the tree, idempotent, bad rows refused whole, dated moves."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import OrgKind, OrgUnit, OrgUnitMove
from assessment.models import AssessmentMonth, MonthState
from imports.kinds import ImportKind, import_file
from imports.report import RowError
from tests.retailers.conftest import SAMPLES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = ["单位编码", "单位名称", "类型", "上级单位编码", "地址", "生效日期"]
PROVINCE_FILE = [
    HEADER,
    ["32", "江淮省烟草公司", "省公司", "", "省城路1号", ""],
    ["3201", "东江市烟草公司", "市公司", "32", "", ""],
    ["3201-01", "城区营销部", "营销中心", "3201", "", ""],
    ["3201-01-01", "城区第一客户服务部", "客户服务部", "3201-01", "", ""],
    ["3202", "西林市烟草公司", "company", "32", "", ""],
    ["3202-01", "东山县营销部", "县营销部", "3202", "", ""],
    ["3202-01-01", "东山第一市场部", "市场部", "3202-01", "", ""],
]


@pytest.fixture
def today(monkeypatch):
    """Today is 2026-11-20 for the importer and the services."""
    day = date(2026, 11, 20)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: day)
    return day


def tree():
    """(code, kind, parent code, city company code, path as codes) of every unit."""
    units = {u.pk: u for u in OrgUnit.objects.select_related("parent", "company")}
    return sorted(
        (
            u.code,
            u.kind,
            u.parent.code if u.parent else None,
            u.company.code if u.company else None,
            "/".join(units[int(pk)].code for pk in u.path.strip("/").split("/")),
        )
        for u in units.values()
    )


def counts(report):
    return (report.rows, report.created, report.updated, report.unchanged)


def test_a_province_file_builds_the_tree(write_csv):
    report = import_file(ImportKind.ORG_UNITS, write_csv(PROVINCE_FILE))

    assert report.errors == []
    assert counts(report) == (7, 7, 0, 0)
    assert tree() == [
        ("32", OrgKind.PROVINCE, None, None, "32"),
        ("3201", OrgKind.COMPANY, "32", "3201", "32/3201"),
        ("3201-01", OrgKind.MARKETING_CENTER, "3201", "3201", "32/3201/3201-01"),
        (
            "3201-01-01",
            OrgKind.SERVICE_DEPARTMENT,
            "3201-01",
            "3201",
            "32/3201/3201-01/3201-01-01",
        ),
        ("3202", OrgKind.COMPANY, "32", "3202", "32/3202"),
        ("3202-01", OrgKind.MARKETING_CENTER, "3202", "3202", "32/3202/3202-01"),
        (
            "3202-01-01",
            OrgKind.SERVICE_DEPARTMENT,
            "3202-01",
            "3202",
            "32/3202/3202-01/3202-01-01",
        ),
    ]
    assert OrgUnit.objects.get(code="32").address == "省城路1号"


def test_the_same_file_twice_changes_nothing(write_csv):
    path = write_csv(PROVINCE_FILE)
    import_file(ImportKind.ORG_UNITS, path)
    before = tree()

    again = import_file(ImportKind.ORG_UNITS, path)

    assert again.ok
    assert counts(again) == (7, 0, 0, 7)
    assert tree() == before
    assert OrgUnitMove.objects.count() == 0


def test_names_and_addresses_are_updated(write_csv):
    import_file(ImportKind.ORG_UNITS, write_csv(PROVINCE_FILE))
    rows = [HEADER, ["3201-01", "城区营销中心", "营销中心", "3201", "东江市人民路2号", ""]]

    report = import_file(ImportKind.ORG_UNITS, write_csv(rows))

    assert counts(report) == (1, 0, 1, 0)
    center = OrgUnit.objects.get(code="3201-01")
    assert (center.name, center.address, center.parent.code) == (
        "城区营销中心",
        "东江市人民路2号",
        "3201",
    )


def test_the_sample_file_imports():
    report = import_file(ImportKind.ORG_UNITS, SAMPLES / "org_units.csv")

    assert report.errors == []
    assert counts(report) == (5, 5, 0, 0)
    assert [(code, company) for code, _k, _p, company, _path in tree()] == [
        ("3299", "3299"),
        ("3299-01", "3299"),
        ("3299-01-01", "3299"),
        ("3299-02", "3299"),
        ("3299-02-01", "3299"),
    ]


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        (
            [
                ["3201", "东江市烟草公司", "市公司", "", "", ""],
                ["3201-01", "城区", "营销中心", "3299", "", ""],
            ],
            RowError(
                3,
                "上级单位编码",
                "3299",
                "No such unit: a parent must exist already or come on an earlier row of the "
                "file than its children.",
            ),
        ),
        (
            [
                ["3201", "东江市烟草公司", "市公司", "", "", ""],
                ["3201-01-01", "城区第一客户服务部", "市场部", "3201-01", "", ""],
                ["3201-01", "城区营销部", "营销中心", "3201", "", ""],
            ],
            RowError(
                3,
                "上级单位编码",
                "3201-01",
                "No such unit: a parent must exist already or come on an earlier row of the "
                "file than its children.",
            ),
        ),
        (
            [
                ["3201", "东江市烟草公司", "市公司", "", "", ""],
                ["3201-01", "城区第一客户服务部", "市场部", "3201", "", ""],
            ],
            RowError(
                3, "上级单位编码", "3201", "A Service department must sit under a Marketing center."
            ),
        ),
        (
            [["3201-01", "城区营销部", "营销中心", "", "", ""]],
            RowError(2, "上级单位编码", "", "A Marketing center must sit under a Company."),
        ),
        (
            [["32", "江淮省烟草公司", "省公司", "32", "", ""]],
            RowError(
                2, "上级单位编码", "32", "32 lies inside 32: a unit cannot be moved under itself."
            ),
        ),
        (
            [
                ["3201", "东江市烟草公司", "市公司", "", "", ""],
                ["3201", "东江市公司", "市公司", "", "", ""],
            ],
            RowError(3, "单位编码", "3201", "Duplicate of row 2."),
        ),
        (
            [["3201", "东江市烟草公司", "市级单位", "", "", ""]],
            RowError(
                2,
                "类型",
                "市级单位",
                "Unknown value; use one of: province 省公司、company 市公司、"
                "marketing_center 营销中心、service_department 市场部.",
            ),
        ),
    ],
    ids=[
        "unknown-parent",
        "child-before-parent",
        "wrong-kind",
        "no-parent",
        "self-parent",
        "duplicate",
        "unknown-kind",
    ],
)
def test_bad_rows_refuse_the_whole_file(write_csv, rows, error):
    report = import_file(ImportKind.ORG_UNITS, write_csv([HEADER, *rows]))

    assert report.errors == [error]
    assert counts(report) == (len(rows), 0, 0, 0)
    assert OrgUnit.objects.count() == 0


@pytest.fixture
def province(write_csv):
    report = import_file(ImportKind.ORG_UNITS, write_csv(PROVINCE_FILE))
    assert report.ok
    return {u.code: u for u in OrgUnit.objects.all()}


def test_a_unit_moved_under_its_own_subtree_is_a_cycle(write_csv, province, today):
    rows = [HEADER, ["3201-01", "城区营销部", "营销中心", "3201-01-01", "", "2026-11-01"]]

    report = import_file(ImportKind.ORG_UNITS, write_csv(rows))

    assert report.errors == [
        RowError(
            2,
            "上级单位编码",
            "3201-01-01",
            "3201-01-01 lies inside 3201-01: a unit cannot be moved under itself.",
        )
    ]


def test_a_cycle_through_several_rows_is_refused(write_csv, province, today):
    # Row 2 moves a department of 3201 under the center 3202-01; row 3 then moves 3202-01
    # under that department, which now lies inside it.
    rows = [
        HEADER,
        ["3201-01-01", "城区第一客户服务部", "市场部", "3202-01", "", "2026-11-01"],
        ["3202-01", "东山县营销部", "营销中心", "3201-01-01", "", "2026-11-01"],
    ]

    report = import_file(ImportKind.ORG_UNITS, write_csv(rows))

    assert report.errors == [
        RowError(
            3,
            "上级单位编码",
            "3201-01-01",
            "3201-01-01 lies inside 3202-01: a unit cannot be moved under itself.",
        )
    ]
    assert OrgUnit.objects.get(code="3201-01-01").parent.code == "3201-01"
    assert OrgUnitMove.objects.count() == 0


def test_a_center_moved_to_another_city_is_dated_and_takes_its_departments(
    write_csv, province, today
):
    rows = [HEADER, ["3201-01", "城区营销部", "营销中心", "3202", "", "2026-11-05"]]

    report = import_file(ImportKind.ORG_UNITS, write_csv(rows))

    assert report.errors == []
    assert counts(report) == (1, 0, 1, 0)
    assert report.details == [("Moved to another parent", 1)]
    move = OrgUnitMove.objects.get()
    assert (
        move.unit.code,
        move.from_parent.code,
        move.to_parent.code,
        move.effective_from,
        move.recorded_by,
    ) == ("3201-01", "3201", "3202", date(2026, 11, 5), None)
    moved = {code: (company, path) for code, _k, _p, company, path in tree()}
    assert moved["3201-01"] == ("3202", "32/3202/3201-01")
    assert moved["3201-01-01"] == ("3202", "32/3202/3201-01/3201-01-01")
    assert moved["3202-01-01"] == ("3202", "32/3202/3202-01/3202-01-01")

    again = import_file(ImportKind.ORG_UNITS, write_csv(rows))
    assert counts(again) == (1, 0, 0, 1)
    assert OrgUnitMove.objects.count() == 1


def test_a_move_needs_its_date(write_csv, province, today):
    rows = [HEADER, ["3201-01", "城区营销部", "营销中心", "3202", "", ""]]

    report = import_file(ImportKind.ORG_UNITS, write_csv(rows))

    assert report.errors == [
        RowError(
            2,
            "生效日期",
            "",
            "The unit moves from 3201 to 3202: give the date the move takes effect.",
        )
    ]
    assert OrgUnit.objects.get(code="3201-01").parent.code == "3201"


def test_a_move_is_not_dated_in_the_future(write_csv, province, today):
    rows = [HEADER, ["3201-01", "城区营销部", "营销中心", "3202", "", "2026-11-21"]]

    report = import_file(ImportKind.ORG_UNITS, write_csv(rows))

    assert report.errors == [
        RowError(
            2,
            "生效日期",
            "2026-11-21",
            "A move cannot be dated in the future (after 2026-11-20); record it on or after "
            "the day it takes effect.",
        )
    ]


@pytest.mark.parametrize("city", ["3201", "3202"], ids=["old-city", "new-city"])
@pytest.mark.parametrize("state", [MonthState.PUBLISHED, MonthState.REVIEW])
def test_a_move_is_refused_inside_a_locked_month_of_either_city(
    write_csv, province, today, city, state
):
    AssessmentMonth.objects.create(company=province[city], month=date(2026, 10, 1), state=state)
    rows = [HEADER, ["3201-01", "城区营销部", "营销中心", "3202", "", "2026-10-20"]]

    report = import_file(ImportKind.ORG_UNITS, write_csv(rows))

    label = {MonthState.PUBLISHED: "Published", MonthState.REVIEW: "Review"}[state]
    assert report.errors == [
        RowError(
            2,
            "生效日期",
            "2026-10-20",
            f"2026-10 is {label}: a change may not take effect inside a month in review or "
            "published; date it in the next open month.",
        )
    ]
    assert OrgUnit.objects.get(code="3201-01").company.code == "3201"
    # Dated in the next open month, the same move goes through.
    rows[1][5] = "2026-11-01"
    assert import_file(ImportKind.ORG_UNITS, write_csv(rows)).ok
    assert OrgUnit.objects.get(code="3201-01-01").company.code == "3202"


def test_a_move_is_not_dated_before_the_last_one(write_csv, province, today):
    move = [HEADER, ["3201-01", "城区营销部", "营销中心", "3202", "", "2026-11-10"]]
    assert import_file(ImportKind.ORG_UNITS, write_csv(move)).ok
    back = [HEADER, ["3201-01", "城区营销部", "营销中心", "3201", "", "2026-11-09"]]

    report = import_file(ImportKind.ORG_UNITS, write_csv(back))

    assert [e.reason for e in report.errors] == [
        "The unit's last move took effect on 2026-11-10; a later move cannot be dated before it."
    ]


def test_the_command_and_dry_run(province, write_csv, today):
    rows = [HEADER, ["3201-01", "城区营销部", "营销中心", "3202", "", "2026-11-05"]]
    out = StringIO()
    call_command("import_org_units", str(write_csv(rows)), "--dry-run", stdout=out)
    assert out.getvalue().splitlines() == [
        "Check only, nothing was written. 1 rows: 0 created, 1 updated, 0 unchanged.",
        "Moved to another parent: 1",
    ]
    assert OrgUnitMove.objects.count() == 0
    assert OrgUnit.objects.get(code="3201-01").parent.code == "3201"


def test_the_admin_moves_a_unit_with_a_date(client, province, today):
    from accounts.models import Role
    from tests.factories import UserFactory

    admin = UserFactory(employee_no="900001", role=Role.ADMIN, org_unit=province["32"])
    client.force_login(admin)
    center = province["3201-01"]
    url = reverse("admin:accounts_orgunit_change", args=[center.pk])
    form = {
        "name": center.name,
        "code": center.code,
        "kind": center.kind,
        "parent": province["3202"].pk,
        "address": "",
        "is_active": "on",
        "moves-TOTAL_FORMS": "0",
        "moves-INITIAL_FORMS": "0",
    }

    refused = client.post(url, form, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200
    assert "Give the date the move takes effect." in refused.content.decode()

    moved = client.post(url, {**form, "move_effective_from": "2026-11-02"})
    assert moved.status_code == 302
    move = OrgUnitMove.objects.get()
    assert (move.from_parent.code, move.to_parent.code, move.recorded_by) == ("3201", "3202", admin)
    assert OrgUnit.objects.get(code="3201-01-01").company.code == "3202"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert (
        "2026" in page.content.decode()
        and "moves to another parent" in page.content.decode().lower()
    )
