"""The commands of the visits app's scheduled jobs: each prints what it did per city and a
second run changes nothing and says so."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role
from tests.factories import (
    BrandFactory,
    DepartmentFactory,
    OrderLineFactory,
    RetailerFactory,
    TerritoryFactory,
    UserFactory,
)
from visits.models import ShelfRateRollup, VisitPlan, WorkPlan

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def shops(org):
    t = org.a.territory
    t.latitude, t.longitude = Decimal("31.95"), Decimal("118.85")
    t.save()
    return [
        RetailerFactory(territory=t, abc_class="A"),
        RetailerFactory(territory=t, abc_class="B"),
        RetailerFactory(territory=t, abc_class="C"),
        RetailerFactory(territory=org.b.territory, abc_class="C"),
    ]


def test_generate_plans_twice(org, shops):
    # A 4 + B 2 + C 1 + C 1 planned visits.
    assert run("generate_plans", "2026-11") == (
        "C0 测试市烟草公司 2026-11: 8 planned visits created, 0 dropped.\n"
    )
    assert VisitPlan.objects.count() == 8
    assert run("generate_plans", "2026-11", "--company", "C0") == (
        "C0 测试市烟草公司 2026-11: 0 planned visits created, 0 dropped (nothing changed).\n"
    )
    assert VisitPlan.objects.count() == 8


def test_generate_plans_of_one_city_only(org, shops):
    department = DepartmentFactory()  # of another city company
    manager = UserFactory(role=Role.CUSTOMER_MANAGER, org_unit=department)
    territory = TerritoryFactory(department=department, manager=manager)
    other = RetailerFactory(territory=territory, abc_class="A")
    city = department.company
    assert run("generate_plans", "2026-11", "--company", city.code) == (
        f"{city.code} {city.name} 2026-11: 4 planned visits created, 0 dropped.\n"
    )
    assert set(VisitPlan.objects.values_list("retailer", flat=True)) == {other.pk}
    with pytest.raises(CommandError, match="No city company"):
        run("generate_plans", "2026-11", "--company", "nope")


def test_generate_work_plans_twice(org):
    # Wednesday 25 Nov 2026: next week's plan, November's and December's, of 4 managers.
    assert run("generate_work_plans", "--date", "2026-11-25") == (
        "C0 测试市烟草公司 2026-11-25: 4 weekly and 8 monthly work plans created.\n"
    )
    assert WorkPlan.objects.count() == 12
    assert run("generate_work_plans", "--date", "2026-11-25") == (
        "C0 测试市烟草公司 2026-11-25: 0 weekly and 0 monthly work plans created "
        "(nothing changed).\n"
    )


def test_refresh_shelf_rates_twice(org, shops):
    brand = BrandFactory()
    OrderLineFactory(retailer=shops[0], brand=brand, order_date=date(2026, 11, 3))
    first = run("refresh_shelf_rates", "2026-11")
    rows = ShelfRateRollup.objects.filter(month=date(2026, 11, 1))
    assert rows.count() > 0
    assert first.splitlines()[0] == (
        f"C0 测试市烟草公司 2026-11: {rows.count()} rollup rows (changed)."
    )
    company = rows.get(level="company", abc_class="")
    assert (company.active_retailers, company.ordered) == (4, 1)
    second = run("refresh_shelf_rates", "2026-11")
    assert second.splitlines()[0] == (
        f"C0 测试市烟草公司 2026-11: {rows.count()} rollup rows (nothing changed)."
    )
