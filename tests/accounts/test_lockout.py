"""Brute-force protection locks a username + IP pair, not a whole carrier IP."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LIMIT = 5


def attempt(client, username, password, ip):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_lockout_by_username_and_ip(client, org, settings):
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    user = org.a.cm.employee_no
    for _ in range(LIMIT - 1):
        assert attempt(client, user, "wrong", "10.0.0.1").status_code == 200
    # The LIMIT-th failure locks the pair; now even the right password is refused.
    assert attempt(client, user, "wrong", "10.0.0.1").status_code == 429
    locked = attempt(client, user, org.password, "10.0.0.1")
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()

    # Same user from another address (another phone on the carrier) still logs in.
    assert attempt(client, user, org.password, "10.0.0.2").status_code == 302
    # Another user behind the same carrier address is not locked out either.
    assert attempt(client, org.a.cm2.employee_no, org.password, "10.0.0.1").status_code == 302


def test_successful_login_resets_failures(client, org):
    user = org.a.cm.employee_no
    for _ in range(LIMIT - 1):
        attempt(client, user, "wrong", "10.0.0.3")
    assert attempt(client, user, org.password, "10.0.0.3").status_code == 302
    client.post(reverse("logout"))
    for _ in range(LIMIT - 1):
        attempt(client, user, "wrong", "10.0.0.3")
    assert attempt(client, user, org.password, "10.0.0.3").status_code == 302
