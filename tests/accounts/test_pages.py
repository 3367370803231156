"""Pages through HTTP: login, home, org tree, territory detail; scoping gives 404."""

import pytest
from django.urls import reverse

from accounts.selectors import scope_summary_for
from tests.factories import DepartmentFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_login_page_is_chinese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "工号" in body
    assert "登录" in body


def test_login_page_in_english_when_asked(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert "Employee number" in body


def test_login_with_employee_number_and_logout(client, org):
    response = client.post(
        reverse("login"), {"username": org.a.cm.employee_no, "password": org.password}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert org.a.cm.name in home.content.decode()
    assert org.a.territory.name in home.content.decode()
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_shows_chinese_error(client, org):
    response = client.post(reverse("login"), {"username": org.a.cm.employee_no, "password": "x"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_anonymous_is_sent_to_login(client, org):
    url = reverse("accounts:territory_detail", args=[org.a.territory.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_manager_sees_own_territory_page(client, org):
    response = login(client, org.a.cm).get(
        reverse("accounts:territory_detail", args=[org.a.territory.pk])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert org.a.territory.name in body
    assert org.a.dept_supervisor.name in body
    assert org.a.center_supervisor.name in body


@pytest.mark.parametrize("other", ["territory2", "b.territory"])
def test_manager_gets_404_for_another_territory(client, org, other):
    target = org.a.territory2 if other == "territory2" else org.b.territory
    response = login(client, org.a.cm).get(reverse("accounts:territory_detail", args=[target.pk]))
    assert response.status_code == 404
    assert target.name not in response.content.decode()


def test_supervisor_of_other_center_gets_404(client, org):
    client = login(client, org.b.center_supervisor)
    assert (
        client.get(reverse("accounts:territory_detail", args=[org.a.territory.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("accounts:territory_detail", args=[org.b.territory.pk])).status_code
        == 200
    )


def test_org_tree_shows_only_the_subtree(client, org):
    body = login(client, org.a.center_supervisor).get(reverse("accounts:org_tree")).content.decode()
    assert org.a.department.name in body
    assert org.a.territory.name in body and org.a.cm.name in body
    assert org.b.department.name not in body
    assert org.b.territory.name not in body


def test_org_tree_for_company_role_shows_both_centers(client, org):
    body = login(client, org.assessor).get(reverse("accounts:org_tree")).content.decode()
    for center in (org.a, org.b):
        assert center.center.name in body and center.territory.name in body


def test_home_counts_for_a_supervisor(client, org):
    # A supervisor starts the day on the dashboard; the head counts stay scoped.
    response = login(client, org.a.center_supervisor).get(reverse("home"))
    assert response["Location"] == reverse("reports:dashboard")
    assert scope_summary_for(org.a.center_supervisor) == {
        "territories": 2,
        "unassigned": 0,
        "managers": 2,
        "supervisors": 2,
    }
    admin_home = login(client, org.admin).get(reverse("home"))
    assert admin_home.context["summary"] == {
        "territories": 4,
        "unassigned": 0,
        "managers": 4,
        "supervisors": 5,
    }


def test_navigation_depends_on_role(client, org):
    manager_body = login(client, org.a.cm).get(reverse("home")).content.decode()
    assert reverse("accounts:org_tree") not in manager_body
    assert reverse("admin:index") not in manager_body
    admin_body = login(client, org.admin).get(reverse("home")).content.decode()
    assert reverse("accounts:org_tree") in admin_body
    assert reverse("admin:index") in admin_body


def test_org_tree_query_count_does_not_grow(client, org, django_assert_num_queries):
    client = login(client, org.assessor)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get(reverse("accounts:org_tree"))
    for i in range(5):
        department = DepartmentFactory(parent=org.a.center, code=f"D-extra{i}")
        for j in range(4):
            manager = UserFactory(org_unit=department)
            TerritoryFactory(department=department, manager=manager, code=f"T-x{i}{j}")
    with CaptureQueriesContext(connection) as after:
        response = client.get(reverse("accounts:org_tree"))
    assert response.status_code == 200
    assert len(after) == len(before)
    assert len(after) <= 6


def test_menu_groups_links_into_dropdowns(client, org):
    menu = login(client, org.assessor).get(reverse("home"), follow=True).context["nav_menu"]
    groups = {entry["label"]: len(entry["children"]) for entry in menu if "children" in entry}
    assert set(groups) == {"走访管理", "信息与投诉", "考核", "薪酬", "系统"}
    assert all(count >= 2 for count in groups.values())
    # A group with a single visible link is shown as that link.
    menu = (
        login(client, org.a.center_supervisor).get(reverse("home"), follow=True).context["nav_menu"]
    )
    links = [entry["link"]["label"] for entry in menu if "link" in entry]
    assert "组织架构" in links
