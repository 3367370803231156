"""The coverage report of the three supervision levels, hand-computed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from assessment.coverage import coverage_report
from assessment.models import Inspection
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)


def inspect(inspector, manager, level, on=TODAY, withdrawn=False):
    return Inspection.objects.create(
        manager=manager,
        inspector=inspector,
        level=level,
        inspected_on=on,
        month=on.replace(day=1),
        item_code="visits",
        points=Decimal(1),
        reason="r",
        withdrawn=withdrawn,
    )


def test_hand_computed_report(org):
    # Department A: cm twice, cm2 once by level 3 → one gap (cm2 with 1).
    inspect(org.a.dept_supervisor, org.a.cm, 3)
    inspect(org.a.dept_supervisor, org.a.cm, 3)
    inspect(org.a.dept_supervisor, org.a.cm2, 3)
    inspect(org.a.dept_supervisor, org.a.cm2, 3, withdrawn=True)  # does not count
    inspect(org.a.dept_supervisor, org.a.cm2, 3, on=MONTH - timedelta(days=1))  # last month
    # Center A: 1 of 2 managers by level 2 (50 % ≥ 30 %); center B: none.
    inspect(org.a.center_supervisor, org.a.cm2, 2)
    # Company: nobody by level 1 (0 of 4, 1 required).
    report = coverage_report(user=org.assessor, month=TODAY)

    departments = {d.unit: d for d in report.departments}
    dept_a = departments[org.a.department]
    assert (dept_a.managers, dept_a.covered) == (2, 1)
    assert [(g.manager, g.inspections) for g in dept_a.gaps] == [(org.a.cm2, 1)]
    dept_b = departments[org.b.department]
    assert (dept_b.managers, dept_b.covered, len(dept_b.gaps)) == (2, 0, 2)

    centers = {c.unit: c for c in report.centers}
    assert (centers[org.a.center].inspected, centers[org.a.center].percent) == (1, Decimal("50.0"))
    assert centers[org.a.center].ok
    assert (centers[org.b.center].inspected, centers[org.b.center].ok) == (0, False)

    assert (report.company.managers, report.company.inspected) == (4, 0)
    assert (report.company.required, report.company.ok) == (1, False)
    inspect(org.assessor, org.b.cm, 1)
    report = coverage_report(user=org.assessor, month=TODAY)
    assert (report.company.inspected, report.company.ok) == (1, True)


def test_report_is_scoped_to_the_user(org):
    report = coverage_report(user=org.b.center_supervisor, month=TODAY)
    assert [d.unit for d in report.departments] == [org.b.department]
    assert [c.unit for c in report.centers] == [org.b.center]
    assert report.company is None


def test_queries_do_not_grow_with_managers(org):
    inspect(org.a.dept_supervisor, org.a.cm, 3)
    with CaptureQueriesContext(connection) as small:
        coverage_report(user=org.assessor, month=TODAY)
    for i in range(5):
        manager = UserFactory(
            employee_no=f"4A{i}", role=Role.CUSTOMER_MANAGER, org_unit=org.a.department
        )
        inspect(org.a.center_supervisor, manager, 2)
    with CaptureQueriesContext(connection) as large:
        report = coverage_report(user=org.assessor, month=TODAY)
    assert len(large) == len(small)
    assert {c.unit: c.inspected for c in report.centers}[org.a.center] == 5


def test_coverage_page(client, org):
    inspect(org.a.dept_supervisor, org.a.cm, 3)
    client.force_login(org.a.center_supervisor)
    response = client.get(reverse("assessment:coverage") + f"?month={MONTH.isoformat()}")
    assert response.status_code == 200
    body = response.content.decode()
    assert org.a.cm.name in body and org.a.cm2.name in body  # both are gaps (1 and 0)
    assert org.b.cm.name not in body
    client.force_login(org.a.cm)
    assert client.get(reverse("assessment:coverage")).status_code == 404
