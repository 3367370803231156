import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts import services
from accounts.models import OrgKind, OrgUnit, Role
from tests.factories import TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_paths_follow_the_tree(org):
    assert org.company.path == f"/{org.company.pk}/"
    assert org.a.center.path == f"/{org.company.pk}/{org.a.center.pk}/"
    assert org.a.department.path == f"{org.a.center.path}{org.a.department.pk}/"
    assert org.a.department.is_within(org.company)
    assert not org.a.department.is_within(org.b.center)


def test_moving_a_department_moves_its_subtree_and_access(org):
    services.org_unit_update(unit=org.a.department, parent=org.b.center)
    org.a.department.refresh_from_db()
    assert org.a.department.path == f"{org.b.center.path}{org.a.department.pk}/"
    from accounts.models import Territory

    seen = Territory.objects.visible_to(org.b.center_supervisor).values_list("code", flat=True)
    assert sorted(seen) == ["T-A1", "T-A2", "T-B1", "T-B2"]
    assert Territory.objects.visible_to(org.a.center_supervisor).count() == 0


def test_moving_a_center_rewrites_grandchildren(org):
    other = services.org_unit_create(name="另一公司", code="C9", kind=OrgKind.COMPANY)
    services.org_unit_update(unit=org.a.center, parent=other)
    department = OrgUnit.objects.get(pk=org.a.department.pk)
    assert department.path == f"/{other.pk}/{org.a.center.pk}/{department.pk}/"


def test_unit_cannot_move_under_itself(org):
    with pytest.raises(ValidationError):
        services.org_unit_update(unit=org.a.center, parent=org.a.center)


@pytest.mark.parametrize(
    ("kind", "parent_attr"),
    [
        (OrgKind.SERVICE_DEPARTMENT, "company"),  # a department must sit under a center
        (OrgKind.MARKETING_CENTER, None),  # a center needs a parent
        (OrgKind.COMPANY, "company"),  # a company has none
    ],
)
def test_org_kind_must_match_parent(org, kind, parent_attr):
    parent = getattr(org, parent_attr) if parent_attr else None
    with pytest.raises(ValidationError):
        services.org_unit_create(name="x", code="X1", kind=kind, parent=parent)
    assert not OrgUnit.objects.filter(code="X1").exists()


def test_database_refuses_rootless_center(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        OrgUnit.objects.create(name="x", code="X2", kind=OrgKind.MARKETING_CENTER, parent=None)


def test_role_must_match_org_kind(org):
    with pytest.raises(ValidationError) as excinfo:
        UserFactory(role=Role.CUSTOMER_MANAGER, org_unit=org.a.center)
    assert "org_unit" in excinfo.value.message_dict


def test_territory_manager_must_be_a_customer_manager_of_its_department(org):
    with pytest.raises(ValidationError):
        TerritoryFactory(department=org.a.department, manager=org.a.dept_supervisor)
    with pytest.raises(ValidationError):
        TerritoryFactory(department=org.a.department, manager=org.b.cm)


def test_a_manager_owns_at_most_one_territory(org):
    with pytest.raises(ValidationError):
        TerritoryFactory(department=org.a.department, manager=org.a.cm)


def test_admin_users_get_admin_site_access(org):
    assert org.admin.is_staff and org.admin.is_superuser
    assert not org.hr.is_staff
