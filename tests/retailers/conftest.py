"""Fixtures for the import tests.

``sample_org`` is the part of the demo company (accounts/demo.py) that the sample files in
``retailers/samples/`` refer to: company 3299, territories 3299-01-01-01, 3299-01-01-02 and
3299-02-01-01 with customer managers 100001, 100002 and 100007.
"""

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings

from accounts.models import OrgKind, Role
from tests.factories import OrgUnitFactory, TerritoryFactory, UserFactory

SAMPLES = Path(settings.BASE_DIR) / "retailers" / "samples"


@pytest.fixture
def sample_org(db):
    company = OrgUnitFactory(name="东江市烟草公司", code="3299", kind=OrgKind.COMPANY)
    units = SimpleNamespace(company=company, territories={}, managers={})
    for center_code, center_name, territories in (
        ("3299-01", "城区营销部", (("3299-01-01-01", "100001"), ("3299-01-01-02", "100002"))),
        ("3299-02", "江北营销部", (("3299-02-01-01", "100007"),)),
    ):
        center = OrgUnitFactory(
            name=center_name, code=center_code, kind=OrgKind.MARKETING_CENTER, parent=company
        )
        department = OrgUnitFactory(
            name=f"{center_name}第一客户服务部",
            code=f"{center_code}-01",
            kind=OrgKind.SERVICE_DEPARTMENT,
            parent=center,
        )
        for code, employee_no in territories:
            manager = UserFactory(
                employee_no=employee_no, role=Role.CUSTOMER_MANAGER, org_unit=department
            )
            units.managers[employee_no] = manager
            units.territories[code] = TerritoryFactory(
                code=code, name=f"{code}片区", department=department, manager=manager
            )
    units.admin = UserFactory(employee_no="900001", role=Role.ADMIN, org_unit=company)
    return units
