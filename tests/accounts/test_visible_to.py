"""Row-level access: visible_to(user) for every role, both ways."""

import pytest

from accounts.models import OrgKind, OrgUnit, Role, Territory, User
from tests.factories import OrgUnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def codes(queryset):
    return sorted(queryset.values_list("code", flat=True))


def test_customer_manager_sees_only_own_territory(org):
    assert codes(Territory.objects.visible_to(org.a.cm)) == ["T-A1"]
    assert codes(Territory.objects.visible_to(org.b.cm)) == ["T-B1"]


def test_customer_manager_sees_only_self_among_users(org):
    assert list(User.objects.visible_to(org.a.cm)) == [org.a.cm]


def test_customer_manager_sees_only_own_department_unit(org):
    assert list(OrgUnit.objects.visible_to(org.a.cm)) == [org.a.department]


def test_department_supervisor_sees_department_subtree(org):
    assert codes(Territory.objects.visible_to(org.a.dept_supervisor)) == ["T-A1", "T-A2"]
    people = set(User.objects.visible_to(org.a.dept_supervisor))
    assert people == {org.a.cm, org.a.cm2, org.a.dept_supervisor}


def test_center_supervisor_sees_own_center_not_other(org):
    assert codes(Territory.objects.visible_to(org.a.center_supervisor)) == ["T-A1", "T-A2"]
    assert codes(Territory.objects.visible_to(org.b.center_supervisor)) == ["T-B1", "T-B2"]
    assert codes(OrgUnit.objects.visible_to(org.b.center_supervisor)) == ["C-B", "D-B1"]


@pytest.mark.parametrize("who", ["assessor", "hr", "admin"])
def test_company_roles_see_everything_of_the_company(org, who):
    user = getattr(org, who)
    assert codes(Territory.objects.visible_to(user)) == ["T-A1", "T-A2", "T-B1", "T-B2"]
    assert User.objects.visible_to(user).count() == User.objects.count()


def test_other_company_is_invisible(org):
    other_company = OrgUnitFactory(name="外市烟草公司", code="C9", kind=OrgKind.COMPANY)
    outsider = UserFactory(employee_no="990001", role=Role.HR, org_unit=other_company)
    assert Territory.objects.visible_to(outsider).count() == 0
    assert codes(OrgUnit.objects.visible_to(outsider)) == [outsider.org_unit.code]


def test_inactive_and_anonymous_users_see_nothing(org):
    from django.contrib.auth.models import AnonymousUser

    org.hr.is_active = False
    assert Territory.objects.visible_to(org.hr).count() == 0
    assert Territory.objects.visible_to(AnonymousUser()).count() == 0
    assert Territory.objects.visible_to(None).count() == 0


def test_user_without_org_unit_sees_nothing(org):
    user = User(employee_no="x", name="x", role="hr", org_unit=None)
    user.is_active = True
    assert Territory.objects.visible_to(user).count() == 0


def test_prefix_of_path_does_not_leak_sibling_with_longer_id(org):
    # "/1/2/" must not match "/1/23/": the trailing slash keeps subtrees apart.
    for unit in OrgUnit.objects.all():
        assert unit.path.endswith(f"/{unit.pk}/")
    a_paths = set(
        OrgUnit.objects.visible_to(org.a.center_supervisor).values_list("path", flat=True)
    )
    assert all(p.startswith(org.a.center.path) for p in a_paths)
