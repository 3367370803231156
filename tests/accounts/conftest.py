"""Fixtures for the staff import and password tests."""

from datetime import date
from types import SimpleNamespace

import pytest

from accounts.models import OrgKind
from imports.kinds import import_file
from tests.factories import OrgUnitFactory
from tests.retailers.conftest import SAMPLES

IMPORT_DAY = date(2026, 10, 15)


@pytest.fixture
def staff_units(db):
    """The org tree of the sample company (retailers/samples/org_units.csv), no people."""
    company = OrgUnitFactory(name="东江市烟草公司", code="3299", kind=OrgKind.COMPANY)
    units = SimpleNamespace(company=company)
    for code, name, department_name in (
        ("3299-01", "城区营销部", "城区第一客户服务部"),
        ("3299-02", "江北营销部", "江北第一客户服务部"),
    ):
        center = OrgUnitFactory(name=name, code=code, kind=OrgKind.MARKETING_CENTER, parent=company)
        department = OrgUnitFactory(
            name=department_name,
            code=f"{code}-01",
            kind=OrgKind.SERVICE_DEPARTMENT,
            parent=center,
        )
        setattr(units, f"center_{code[-1]}", center)
        setattr(units, f"department_{code[-1]}", department)
    return units


@pytest.fixture
def imported_staff(staff_units):
    """The sample staff file imported; ``codes``: {工号: one-time code} from its sheet."""
    from accounts.models import InitialCodeSheet

    report = import_file("staff", SAMPLES / "staff.csv", on=IMPORT_DAY)
    assert report.ok, report.errors
    sheet = InitialCodeSheet.objects.get()
    return SimpleNamespace(
        report=report,
        sheet=sheet,
        codes={person["employee_no"]: person["code"] for person in sheet.codes},
        units=staff_units,
    )
