"""Territory import: created with their manager and a WGS-84 centre, never handed over
silently, bad managers refused whole."""

from dataclasses import replace
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import OrgKind, OrgUnit, Role, Territory
from imports.datum import to_wgs84
from imports.kinds import ImportKind, import_file
from imports.report import RowError
from tests.factories import OrgUnitFactory, TerritoryFactory, UserFactory
from tests.retailers.conftest import SAMPLES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = ["片区编码", "片区名称", "市场部编码", "客户经理工号", "中心纬度", "中心经度", "坐标系"]
HANDOVER = (
    "The territory's manager is {}; a change of manager is a handover from a date: use the "
    "handover file (import_handovers)."
)


@pytest.fixture
def city(db):
    company = OrgUnitFactory(name="东江市烟草公司", code="3299", kind=OrgKind.COMPANY)
    center = OrgUnitFactory(
        name="城区营销部", code="3299-01", kind=OrgKind.MARKETING_CENTER, parent=company
    )
    first = OrgUnitFactory(
        name="城区第一客户服务部",
        code="3299-01-01",
        kind=OrgKind.SERVICE_DEPARTMENT,
        parent=center,
    )
    second = OrgUnitFactory(
        name="城区第二客户服务部",
        code="3299-01-02",
        kind=OrgKind.SERVICE_DEPARTMENT,
        parent=center,
    )

    def manager(no, unit=first, **extra):
        return UserFactory(employee_no=no, name=f"经理{no}", org_unit=unit, **extra)

    return {
        "company": company,
        "center": center,
        "first": first,
        "second": second,
        "100001": manager("100001"),
        "100002": manager("100002"),
        "100003": manager("100003"),
        "100009": manager("100009", second),
        "501011": manager("501011", role=Role.SERVICE_DEPT_SUPERVISOR),
    }


def stored(code):
    t = Territory.objects.select_related("department", "manager").get(code=code)
    return (
        t.name,
        t.department.code,
        t.manager.employee_no if t.manager else None,
        t.latitude,
        t.longitude,
    )


def counts(report):
    return (report.rows, report.created, report.updated, report.unchanged)


def test_creates_territories_with_their_manager_and_a_wgs84_centre(write_csv, city):
    rows = [
        HEADER,
        ["3299-01-01-01", "中山路片区", "3299-01-01", "100001", "31.9493", "118.8515", "GCJ-02"],
        ["3299-01-01-02", "老街片区", "3299-01-01", "100002", "31.9512", "118.8465", "WGS-84"],
        ["3299-01-02-01", "人民路片区", "3299-01-02", "100009", "", "", ""],
    ]

    report = import_file(ImportKind.TERRITORIES, write_csv(rows))

    assert report.errors == []
    assert counts(report) == (3, 3, 0, 0)
    name, department, manager, lat, lng = stored("3299-01-01-01")
    assert (name, department, manager) == ("中山路片区", "3299-01-01", "100001")
    # GCJ-02 is converted to WGS-84 (about 500 m away here).
    expected = to_wgs84(Decimal("31.9493"), Decimal("118.8515"), "gcj02")
    assert abs(lat - expected[0]) <= Decimal("0.000001")
    assert abs(lng - expected[1]) <= Decimal("0.000001")
    assert (lat, lng) == (Decimal("31.951439"), Decimal("118.846427"))
    assert stored("3299-01-01-02")[3:] == (Decimal("31.951200"), Decimal("118.846500"))
    assert stored("3299-01-02-01") == ("人民路片区", "3299-01-02", "100009", None, None)


def test_the_same_file_twice_changes_nothing(write_csv, city):
    path = write_csv(
        [
            HEADER,
            ["3299-01-01-01", "中山路片区", "3299-01-01", "100001", "31.9493", "118.8515", "高德"],
            ["3299-01-01-02", "老街片区", "3299-01-01", "100002", "31.9512", "118.8465", "百度"],
        ]
    )
    import_file(ImportKind.TERRITORIES, path)
    before = [stored("3299-01-01-01"), stored("3299-01-01-02")]

    again = import_file(ImportKind.TERRITORIES, path)

    assert again.ok
    assert counts(again) == (2, 0, 0, 2)
    assert [stored("3299-01-01-01"), stored("3299-01-01-02")] == before


def test_the_datum_may_be_an_option(write_csv, city):
    path = write_csv(
        [
            HEADER[:6],
            ["3299-01-01-01", "中山路片区", "3299-01-01", "100001", "31.9493", "118.8515"],
        ]
    )

    refused = import_file(ImportKind.TERRITORIES, path)
    assert refused.errors == [
        RowError(
            2,
            "坐标系",
            "",
            "Coordinates need their datum: a 坐标系 column or the datum option "
            "(WGS-84, GCJ-02 or BD-09).",
        )
    ]

    report = import_file(ImportKind.TERRITORIES, path, datum="bd09")
    assert report.ok
    assert stored("3299-01-01-01")[3:] == to_wgs84("31.9493", "118.8515", "bd09")


def test_the_datum_command_option(write_csv, city):
    path = write_csv(
        [
            HEADER[:6],
            ["3299-01-01-01", "中山路片区", "3299-01-01", "100001", "31.9493", "118.8515"],
        ]
    )
    out = StringIO()
    call_command("import_territories", str(path), "--datum", "GCJ-02", stdout=out)
    assert out.getvalue().splitlines() == ["1 rows: 1 created, 0 updated, 0 unchanged."]
    assert stored("3299-01-01-01")[3:] == (Decimal("31.951439"), Decimal("118.846427"))
    with pytest.raises(CommandError):
        call_command("import_territories", str(path), "--datum", "火星", stdout=StringIO())


def test_name_department_and_centre_are_updated_the_manager_is_kept(write_csv, city):
    TerritoryFactory(
        code="3299-01-01-01", name="旧名", department=city["first"], manager=city["100001"]
    )
    rows = [
        HEADER,
        ["3299-01-01-01", "中山路片区", "3299-01-01", "", "31.9512", "118.8465", "WGS-84"],
    ]

    report = import_file(ImportKind.TERRITORIES, write_csv(rows))

    assert counts(report) == (1, 0, 1, 0)
    assert stored("3299-01-01-01") == (
        "中山路片区",
        "3299-01-01",
        "100001",
        Decimal("31.951200"),
        Decimal("118.846500"),
    )


def test_a_different_manager_is_refused_and_points_to_the_handover_file(write_csv, city):
    TerritoryFactory(
        code="3299-01-01-01", name="中山路片区", department=city["first"], manager=city["100001"]
    )
    rows = [HEADER, ["3299-01-01-01", "中山路片区", "3299-01-01", "100003", "", "", ""]]

    report = import_file(ImportKind.TERRITORIES, write_csv(rows))

    assert report.errors == [
        RowError(2, "客户经理工号", "100003", HANDOVER.format("经理100001（100001）"))
    ]
    assert stored("3299-01-01-01")[2] == "100001"


def test_a_vacant_territory_gets_its_manager_by_handover_too(write_csv, city):
    TerritoryFactory(code="3299-01-01-01", name="中山路片区", department=city["first"])
    rows = [HEADER, ["3299-01-01-01", "中山路片区", "3299-01-01", "100003", "", "", ""]]

    report = import_file(ImportKind.TERRITORIES, write_csv(rows))

    assert [e.reason for e in report.errors] == [HANDOVER.format("nobody")]


def test_two_managers_for_one_territory_are_refused(write_csv, city):
    rows = [
        HEADER,
        ["3299-01-01-01", "中山路片区", "3299-01-01", "100001", "", "", ""],
        ["3299-01-01-01", "中山路片区", "3299-01-01", "100002", "", "", ""],
    ]

    report = import_file(ImportKind.TERRITORIES, write_csv(rows))

    assert report.errors == [RowError(3, "片区编码", "3299-01-01-01", "Duplicate of row 2.")]
    assert Territory.objects.count() == 0


def test_one_manager_for_two_territories_is_refused(write_csv, city):
    TerritoryFactory(
        code="3299-01-01-09", name="老片区", department=city["first"], manager=city["100002"]
    )
    rows = [
        HEADER,
        ["3299-01-01-01", "中山路片区", "3299-01-01", "100001", "", "", ""],
        ["3299-01-01-02", "老街片区", "3299-01-01", "100001", "", "", ""],
        ["3299-01-01-03", "人民路片区", "3299-01-01", "100002", "", "", ""],
    ]

    report = import_file(ImportKind.TERRITORIES, write_csv(rows))

    assert report.errors == [
        RowError(
            3,
            "客户经理工号",
            "100001",
            "经理100001 already holds territory 3299-01-01-01 on row 2.",
        ),
        RowError(4, "客户经理工号", "100002", "经理100002 already holds territory 3299-01-01-09."),
    ]
    assert Territory.objects.count() == 1


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (
            ["3299-01-01-01", "中山路片区", "3299-01-01", "501011", "", "", ""],
            RowError(
                2,
                "客户经理工号",
                "501011",
                "经理501011 is a Service department supervisor, not a customer manager.",
            ),
        ),
        (
            ["3299-01-01-01", "中山路片区", "3299-01-01", "999999", "", "", ""],
            RowError(2, "客户经理工号", "999999", "No user with this employee number."),
        ),
        (
            ["3299-01-01-01", "中山路片区", "3299-01-01", "100009", "", "", ""],
            RowError(
                2,
                "客户经理工号",
                "100009",
                "经理100009 belongs to 3299-01-02, not to the territory's department; move "
                "them with the staff file first.",
            ),
        ),
        (
            ["3299-01-01-01", "中山路片区", "3299-09-01", "100001", "", "", ""],
            RowError(2, "市场部编码", "3299-09-01", "No such department."),
        ),
        (
            ["3299-01-01-01", "中山路片区", "3299-01", "100001", "", "", ""],
            RowError(
                2,
                "市场部编码",
                "3299-01",
                "A territory belongs to a service department, not to a Marketing center.",
            ),
        ),
        (
            ["3299-01-01-01", "中山路片区", "3299-01-01", "100001", "2.5", "118.85", "WGS-84"],
            RowError(2, "中心纬度", "2.500000", "A latitude lies between 3 and 54 degrees north."),
        ),
        (
            ["3299-01-01-01", "中山路片区", "3299-01-01", "100001", "31.95", "", "WGS-84"],
            RowError(2, "中心经度", "", "Give both latitude and longitude, or neither."),
        ),
    ],
    ids=[
        "not-a-customer-manager",
        "unknown-manager",
        "other-department",
        "unknown-department",
        "not-a-department",
        "out-of-range",
        "half-a-centre",
    ],
)
def test_bad_rows_refuse_the_whole_file(write_csv, city, row, error):
    rows = [HEADER, ["3299-01-01-02", "老街片区", "3299-01-01", "100002", "", "", ""], row]
    error = replace(error, row=3)  # the bad row follows a good one

    report = import_file(ImportKind.TERRITORIES, write_csv(rows))

    assert report.errors == [error]
    assert counts(report) == (2, 0, 0, 0)
    assert Territory.objects.count() == 0


def test_an_inactive_manager_is_refused(write_csv, city):
    city["100001"].is_active = False
    city["100001"].save()
    rows = [HEADER, ["3299-01-01-01", "中山路片区", "3299-01-01", "100001", "", "", ""]]

    report = import_file(ImportKind.TERRITORIES, write_csv(rows))

    assert [e.reason for e in report.errors] == ["经理100001 is inactive."]


def test_the_sample_file_imports_after_the_org_file(db):
    assert import_file(ImportKind.ORG_UNITS, SAMPLES / "org_units.csv").ok
    for no, department in (
        ("100001", "3299-01-01"),
        ("100002", "3299-01-01"),
        ("100003", "3299-01-01"),
        ("100007", "3299-02-01"),
    ):
        UserFactory(employee_no=no, org_unit=OrgUnit.objects.get(code=department))

    report = import_file(ImportKind.TERRITORIES, SAMPLES / "territories.csv")

    assert report.errors == []
    assert counts(report) == (4, 4, 0, 0)
    assert sorted(Territory.objects.values_list("code", "manager__employee_no")) == [
        ("3299-01-01-01", "100001"),
        ("3299-01-01-02", "100002"),
        ("3299-01-01-03", "100003"),
        ("3299-02-01-01", "100007"),
    ]
    assert stored("3299-01-01-01")[3:] == (Decimal("31.951439"), Decimal("118.846427"))
    again = import_file(ImportKind.TERRITORIES, SAMPLES / "territories.csv")
    assert counts(again) == (4, 0, 0, 4)


def test_the_upload_page_takes_the_datum_option(client, write_csv, city):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    admin = UserFactory(employee_no="900001", role=Role.ADMIN, org_unit=city["company"])
    client.force_login(admin)
    path = write_csv(
        [
            HEADER[:6],
            ["3299-01-01-01", "中山路片区", "3299-01-01", "100001", "31.9493", "118.8515"],
        ]
    )
    form = {"kind": "territories", "datum": "gcj02"}

    response = client.post(
        reverse("retailers:import"),
        {**form, "file": SimpleUploadedFile("territories.csv", path.read_bytes())},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert response.context["report"].ok, response.context["report"].errors
    assert stored("3299-01-01-01")[3:] == (Decimal("31.951439"), Decimal("118.846427"))
    page = client.get(reverse("retailers:import"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "territories.csv" in page and "org_units.csv" in page
