"""Passwords (DOMAIN.md §9): one-time codes replaced at the first login, the initial-codes
sheet downloaded once, an admin's reset, the lockout rule on the login page."""

import io
from datetime import timedelta
from types import SimpleNamespace

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import InitialCodeSheet, Role, User
from tests.factories import CenterFactory, CompanyFactory, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Qingshan-river-2027"


def log_in(client, number, password):
    return client.post(reverse("login"), {"username": number, "password": password})


def change_password(client, old, new=NEW_PASSWORD):
    return client.post(
        reverse("accounts:password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def admin_client(client, imported_staff):
    """The sample's admin (900001), past the forced change."""
    assert log_in(client, "900001", imported_staff.codes["900001"]).status_code == 302
    assert change_password(client, imported_staff.codes["900001"]).status_code == 302
    return client


def test_login_with_the_code_forces_the_change(client, imported_staff):
    response = log_in(client, "100001", imported_staff.codes["100001"])
    assert response.status_code == 302 and response.url == reverse("home")
    change_url = reverse("accounts:password_change")
    for page in (reverse("home"), reverse("retailers:list"), reverse("visits:today")):
        response = client.get(page)
        assert (response.status_code, response.url) == (302, change_url), page
    api = client.get("/api/v1/retailers/")
    assert api.status_code == 403
    assert api.json()["code"] == "password_change_required"
    page = client.get(change_url)
    assert page.status_code == 200
    assert page.context["forced"] is True


def test_a_weak_password_is_refused_in_chinese(client, imported_staff):
    code = imported_staff.codes["100001"]
    log_in(client, "100001", code)
    response = change_password(client, code, "12345678")
    assert response.status_code == 200
    text = response.content.decode()
    assert "这个密码太常见了。" in text
    assert "密码只包含数字。" in text
    short = change_password(client, code, "k7#q")
    assert "密码太短，至少需要 8 个字符。" in short.content.decode()
    assert User.objects.get(employee_no="100001").must_change_password is True


def test_after_the_change_the_home_page_opens(client, imported_staff):
    code = imported_staff.codes["100001"]
    log_in(client, "100001", code)
    response = change_password(client, code)
    assert (response.status_code, response.url) == (302, reverse("home"))
    assert client.get(reverse("home")).status_code == 200  # still signed in
    user = User.objects.get(employee_no="100001")
    assert user.must_change_password is False
    assert user.check_password(NEW_PASSWORD) and not user.check_password(code)
    client.post(reverse("logout"))
    assert log_in(client, "100001", NEW_PASSWORD).status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_a_leader_may_change_their_password(client, imported_staff):
    code = imported_staff.codes["400001"]
    log_in(client, "400001", code)
    assert change_password(client, code).status_code == 302
    assert User.objects.get(employee_no="400001").must_change_password is False


def test_the_setting_off_disables_the_redirect(client, imported_staff, settings):
    settings.PASSWORD_CHANGE_REQUIRED = False
    log_in(client, "100001", imported_staff.codes["100001"])
    assert client.get(reverse("home")).status_code == 200
    assert client.get("/api/v1/retailers/").status_code == 200
    assert client.get(reverse("accounts:password_change")).context["forced"] is False


def test_the_sheet_downloads_once(client, imported_staff):
    admin_client(client, imported_staff)
    sheet = imported_staff.sheet
    listing = client.get(reverse("accounts:code_sheets"))
    assert listing.status_code == 200
    assert list(listing.context["page"]) == [sheet]
    url = reverse("accounts:code_sheet_download", args=[sheet.pk])
    assert client.get(url).status_code == 405  # a download is a POST, never a prefetch

    response = client.post(url)
    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="initial-codes-3299-{sheet.pk}.xlsx"'
    )
    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    )
    assert rows[0] == ("工号", "姓名", "单位", "初始密码")
    assert {row[0]: row[3] for row in rows[1:]} == imported_staff.codes
    assert rows[1][:3] == ("900001", "周建国", "东江市烟草公司")

    sheet.refresh_from_db()
    assert sheet.codes == [] and sheet.downloaded_at is not None
    assert sheet.downloaded_by.employee_no == "900001"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    again = client.post(url, follow=True)
    assert again.redirect_chain == [(reverse("accounts:code_sheets"), 302)]
    when = timezone.localtime(sheet.downloaded_at).strftime("%Y-%m-%d %H:%M")
    assert [str(m) for m in again.context["messages"]] == [
        f"This sheet was already downloaded on {when}; its codes are gone. "
        "Reset the password of anyone who did not receive theirs."
    ]
    assert InitialCodeSheet.objects.get().codes == []


@pytest.fixture
def outsider():
    """Another city company with its own admin, HR and a department supervisor."""
    company = CompanyFactory(code="3300")
    department = DepartmentFactory(parent=CenterFactory(parent=company))
    return SimpleNamespace(
        admin=UserFactory(employee_no="990009", role=Role.ADMIN, org_unit=company),
        hr=UserFactory(employee_no="790009", role=Role.HR, org_unit=company),
        supervisor=UserFactory(
            employee_no="590009", role=Role.SERVICE_DEPT_SUPERVISOR, org_unit=department
        ),
    )


def test_the_sheet_is_for_admins_of_its_subtree_only(client, imported_staff, outsider):
    url = reverse("accounts:code_sheet_download", args=[imported_staff.sheet.pk])
    client.force_login(outsider.admin)  # an admin of another city company
    assert client.get(reverse("accounts:code_sheets")).context["page"].object_list.count() == 0
    assert client.post(url).status_code == 404
    client.force_login(outsider.hr)  # not an admin
    assert client.get(reverse("accounts:code_sheets")).status_code == 404
    assert client.post(url).status_code == 404
    assert InitialCodeSheet.objects.get().downloaded_at is None


def test_an_admin_resets_a_password(client, imported_staff):
    admin_client(client, imported_staff)
    manager = User.objects.get(employee_no="100002")
    manager.must_change_password = False
    manager.save(update_fields=["must_change_password"])

    people = client.get(reverse("accounts:people"), {"q": "1000"})
    assert [p.employee_no for p in people.context["page"]] == [
        "100001",
        "100002",
        "100003",
        "100007",
    ]
    response = client.post(reverse("accounts:person_password_reset", args=[manager.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    ((person, code),) = response.context["people"]
    assert person == manager and code in response.content.decode()
    manager.refresh_from_db()
    assert manager.must_change_password is True
    assert manager.check_password(code)

    # The person logs in with it and is sent to change it again.
    other = client.__class__()
    log_in(other, "100002", code)
    assert other.get(reverse("home")).url == reverse("accounts:password_change")


def test_reset_is_refused_outside_the_admins_subtree(client, imported_staff, outsider):
    client.force_login(outsider.admin)
    target = User.objects.get(employee_no="100001")
    assert (
        client.post(reverse("accounts:person_password_reset", args=[target.pk])).status_code == 404
    )
    client.force_login(outsider.supervisor)
    assert client.get(reverse("accounts:people")).status_code == 404
    target.refresh_from_db()
    assert target.check_password(imported_staff.codes["100001"])


def test_admin_site_action_resets_passwords(client, imported_staff):
    admin_client(client, imported_staff)
    targets = User.objects.filter(employee_no__in=["100001", "100007"])
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_passwords", "_selected_action": [u.pk for u in targets]},
    )
    assert response.status_code == 200
    codes = {person.employee_no: code for person, code in response.context["people"]}
    assert sorted(codes) == ["100001", "100007"]
    for number, code in codes.items():
        assert code in response.content.decode()
        assert User.objects.get(employee_no=number).check_password(code)


def test_login_page_states_the_lockout_rule(client, settings):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["lockout_rule"] == (
        "After 5 wrong passwords in a row, this employee number is locked on this network "
        "for 15 minutes."
    )
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(hours=2)
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    text = (
        "After 3 wrong passwords in a row, this employee number is locked on this network "
        "for 2 hours."
    )
    assert text in page.content.decode()


def test_everyone_has_the_change_link(client, org):
    client.force_login(org.a.cm)
    assert reverse("accounts:password_change") in client.get(reverse("home")).content.decode()
