"""上柜率 (DOMAIN.md §3): both definitions on a hand-computed case, at every scope level.

The case, month 2026-10 (T1, T2 = center A's territories, T3, T4 = center B's):

| retailer | territory | class | status | in October | orders |
|---|---|---|---|---|---|
| r1 | T1 | A | active | X on (03), X off (20) | X |
| r2 | T1 | A | active | X, N on (10); invalid visit X, N off (25) | |
| r3 | T1 | B | active | never visited | |
| r4 | T1 | B | suspended | X, N on | X, N |
| r5 | T1 | C | active | X on 09-28 and 11-02 only | X 09-30, 11-01; N 10-31 |
| r6 | T2 | A | active | X on, N off | N |
| r7 | T2 | C | active | never visited | |
| r8 | T3 | B | active | X, N, Z on (Z: an inactive brand) | |
| r9 | T3 | B | cancelled | X on | X |
| r10 | T4 | A | active | 10-31 09:00 X off, 23:00 X on | |

Brand O (active, launched 2025-10-01) has no data: it is listed with zero counts.
"""

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retailers.models import Retailer, ShelfTarget
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory, TerritoryFactory
from visits.demo import rates as demo_rates
from visits.models import ShelfObservation, ShelfRateRollup, Visit, VisitStatus
from visits.selectors.rates import shelf_rate_counts, territory_new_brand_rates
from visits.services.rates import shelf_rates_refresh

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def make_visit(retailer, day, hour=10, *, shelf=(), status=VisitStatus.VALID):
    """A visit with its shelf observations, written directly (the submission service is
    another issue's)."""
    at = datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)
    visit = Visit.objects.create(
        manager=retailer.territory.manager,
        retailer=retailer,
        territory=retailer.territory,
        checked_in_at=at,
        check_in_date=day,
        status=status,
    )
    for brand, on_shelf in shelf:
        ShelfObservation.objects.create(
            visit=visit, retailer=retailer, observed_at=at, brand=brand, on_shelf=on_shelf
        )
    return visit


def order(retailer, brand, day):
    return OrderLineFactory(retailer=retailer, brand=brand, order_date=day)


def build_case(org):
    """The case of the module docstring."""
    c = SimpleNamespace(t1=org.a.territory, t2=org.a.territory2)
    c.t3, c.t4 = org.b.territory, org.b.territory2
    c.x = BrandFactory(code="X", name="甲品牌")
    c.n = BrandFactory(code="N", name="新品牌", launch_date=date(2026, 8, 1))
    c.o = BrandFactory(code="O", name="旧新品", launch_date=date(2025, 10, 1))
    c.z = BrandFactory(code="Z", name="停售品牌", is_active=False)
    x, n, z = c.x, c.n, c.z

    def shop(territory, abc_class, status="active"):
        return RetailerFactory(territory=territory, abc_class=abc_class, status=status)

    c.r1 = shop(c.t1, "A")
    make_visit(c.r1, date(2026, 10, 3), shelf=[(x, True)])
    make_visit(c.r1, date(2026, 10, 20), shelf=[(x, False)])
    order(c.r1, x, date(2026, 10, 5))

    c.r2 = shop(c.t1, "A")
    make_visit(c.r2, date(2026, 10, 10), shelf=[(x, True), (n, True)])
    make_visit(c.r2, date(2026, 10, 25), shelf=[(x, False), (n, False)], status=VisitStatus.INVALID)

    c.r3 = shop(c.t1, "B")

    c.r4 = shop(c.t1, "B", status="suspended")
    make_visit(c.r4, date(2026, 10, 12), shelf=[(x, True), (n, True)])
    order(c.r4, x, date(2026, 10, 12))
    order(c.r4, n, date(2026, 10, 12))

    c.r5 = shop(c.t1, "C")
    make_visit(c.r5, date(2026, 9, 28), shelf=[(x, True)])
    make_visit(c.r5, date(2026, 11, 2), shelf=[(x, True)])
    order(c.r5, x, date(2026, 9, 30))
    order(c.r5, x, date(2026, 11, 1))
    order(c.r5, n, date(2026, 10, 31))

    c.r6 = shop(c.t2, "A")
    make_visit(c.r6, date(2026, 10, 15), shelf=[(x, True), (n, False)])
    order(c.r6, n, date(2026, 10, 16))

    c.r7 = shop(c.t2, "C")

    c.r8 = shop(c.t3, "B")
    make_visit(c.r8, date(2026, 10, 1), shelf=[(x, True), (n, True), (z, True)])

    c.r9 = shop(c.t3, "B", status="cancelled")
    make_visit(c.r9, date(2026, 10, 2), shelf=[(x, True)])
    order(c.r9, x, date(2026, 10, 2))

    c.r10 = shop(c.t4, "A")
    make_visit(c.r10, date(2026, 10, 31), hour=9, shelf=[(x, False)])
    make_visit(c.r10, date(2026, 10, 31), hour=23, shelf=[(x, True)])
    return c


@pytest.fixture
def case(org):
    return build_case(org)


def as_dict(rows, case):
    code = {case.x.pk: "X", case.n.pk: "N", case.o.pk: "O", case.z.pk: "Z"}
    return {
        (row["scope_id"], code[row["brand_id"]]): (
            row["active"],
            row["observed_on_shelf"],
            row["ordered"],
        )
        for row in rows
    }


def expand(expected):
    """{scope: (active, {brand: (seen, ordered)})} → {(scope, brand): (active, seen, ordered)}."""
    return {
        (scope, brand): (active, seen, ordered)
        for scope, (active, brands) in expected.items()
        for brand, (seen, ordered) in brands.items()
    }


def expected_all(case, org):
    zero = (0, 0)
    a_dept, b_dept = org.a.department.pk, org.b.department.pk
    return {
        "territory": {
            case.t1.pk: (4, {"X": (1, 1), "N": (1, 1), "O": zero}),
            case.t2.pk: (2, {"X": (1, 0), "N": (0, 1), "O": zero}),
            case.t3.pk: (1, {"X": (1, 0), "N": (1, 0), "O": zero, "Z": (1, 0)}),
            case.t4.pk: (1, {"X": (1, 0), "N": zero, "O": zero}),
        },
        "department": {
            a_dept: (6, {"X": (2, 1), "N": (1, 2), "O": zero}),
            b_dept: (2, {"X": (2, 0), "N": (1, 0), "O": zero, "Z": (1, 0)}),
        },
        "center": {
            org.a.center.pk: (6, {"X": (2, 1), "N": (1, 2), "O": zero}),
            org.b.center.pk: (2, {"X": (2, 0), "N": (1, 0), "O": zero, "Z": (1, 0)}),
        },
        "company": {
            org.company.pk: (8, {"X": (4, 1), "N": (2, 2), "O": zero, "Z": (1, 0)}),
        },
    }


@pytest.mark.parametrize("level", ["territory", "department", "center", "company"])
def test_counts_all_classes_at_every_level(case, org, level):
    rows = shelf_rate_counts(month=date(2026, 10, 17), level=level)
    assert as_dict(rows, case) == expand(expected_all(case, org)[level])


def test_counts_without_orders_read_no_order_line(case, org):
    """The close reads the observed rate alone (``orders=False``): the same active and
    observed counts for the brands asked for, ``ordered`` 0, and the order lines unread."""
    brands = [case.x.pk, case.n.pk, case.o.pk, case.z.pk]
    with CaptureQueriesContext(connection) as queries:
        rows = shelf_rate_counts(month=OCTOBER, level="territory", brand_ids=brands, orders=False)
    assert "retailers_orderline" not in queries[0]["sql"]
    full = as_dict(shelf_rate_counts(month=OCTOBER, level="territory", brand_ids=brands), case)
    assert any(ordered for _active, _seen, ordered in full.values())
    assert any(seen for _active, seen, _ordered in full.values())
    assert as_dict(rows, case) == {
        key: (active, seen, 0) for key, (active, seen, _ordered) in full.items()
    }


def test_counts_are_one_query(case, org):
    with CaptureQueriesContext(connection) as queries:
        shelf_rate_counts(month=OCTOBER, level="company", abc_class="A")
    assert len(queries) == 1


def test_class_filter(case, org):
    zero = (0, 0)
    month = OCTOBER
    assert as_dict(shelf_rate_counts(month=month, level="territory", abc_class="A"), case) == (
        expand(
            {
                # r1 and r2; r10 alone in T4; T3 has no active class-A retailer: no row.
                case.t1.pk: (2, {"X": (1, 1), "N": (1, 0), "O": zero}),
                case.t2.pk: (1, {"X": (1, 0), "N": (0, 1), "O": zero}),
                case.t4.pk: (1, {"X": (1, 0), "N": zero, "O": zero}),
            }
        )
    )
    assert as_dict(shelf_rate_counts(month=month, level="company", abc_class="A"), case) == (
        expand({org.company.pk: (4, {"X": (3, 1), "N": (1, 1), "O": zero})})
    )
    # Class B: r3 (never visited) and r8; the suspended r4 and the cancelled r9 count nowhere.
    assert as_dict(shelf_rate_counts(month=month, level="territory", abc_class="B"), case) == (
        expand(
            {
                case.t1.pk: (1, {"X": zero, "N": zero, "O": zero}),
                case.t3.pk: (1, {"X": (1, 0), "N": (1, 0), "O": zero, "Z": (1, 0)}),
            }
        )
    )
    assert as_dict(shelf_rate_counts(month=month, level="center", abc_class="C"), case) == (
        expand({org.a.center.pk: (2, {"X": zero, "N": (0, 1), "O": zero})})
    )


def test_brand_filter_lists_the_brands_asked_for(case, org):
    rows = shelf_rate_counts(month=OCTOBER, level="department", brand_ids=[case.z.pk])
    assert as_dict(rows, case) == {
        (org.a.department.pk, "Z"): (6, 0, 0),
        (org.b.department.pk, "Z"): (2, 1, 0),
    }
    assert shelf_rate_counts(month=OCTOBER, level="department", brand_ids=[]) == []


def test_other_months_see_only_their_own_data(case, org):
    september = as_dict(shelf_rate_counts(month=date(2026, 9, 1), level="territory"), case)
    # r5's September visit and order count in September, against September's active count.
    assert september[(case.t1.pk, "X")] == (4, 1, 1)
    assert september[(case.t2.pk, "X")] == (2, 0, 0)


def test_rollup_rates_are_exact_decimals(case, org):
    shelf_rates_refresh(month=OCTOBER)
    rows = {
        (row.level, row.scope_id, row.brand.code): row
        for row in ShelfRateRollup.objects.filter(abc_class="").select_related("brand")
    }
    company_x = rows[("company", org.company.pk, "X")]
    assert Decimal(company_x.observed_on_shelf) / company_x.active_retailers == Decimal("0.5")
    assert Decimal(company_x.ordered) / company_x.active_retailers == Decimal("0.125")
    t1_x = rows[("territory", case.t1.pk, "X")]
    assert Decimal(t1_x.observed_on_shelf) / t1_x.active_retailers == Decimal("0.25")


def test_new_brand_rates_with_most_specific_target(case, org):
    n2 = BrandFactory(code="N2", launch_date=date(2026, 10, 31))  # new from its launch day
    empty = TerritoryFactory(department=org.a.department)  # no active retailer
    for unit, territory, rate in [
        (org.company, None, "0.5000"),
        (org.a.department, None, "0.6000"),
        (None, case.t2, "0.7000"),
    ]:
        ShelfTarget.objects.create(
            brand=case.n, month=OCTOBER, org_unit=unit, territory=territory, rate=Decimal(rate)
        )
    # Ignored: a target of another month, and one for a brand outside its new window.
    ShelfTarget.objects.create(
        brand=case.n, month=date(2026, 9, 1), territory=case.t1, rate=Decimal("0.9900")
    )
    ShelfTarget.objects.create(
        brand=case.o, month=OCTOBER, org_unit=org.company, rate=Decimal("0.9000")
    )

    with CaptureQueriesContext(connection) as queries:
        result = territory_new_brand_rates(month=date(2026, 10, 9))
    assert len(queries) == 4

    def brief(entries):
        return [(e["brand_id"], e["observed_rate"], e["target_rate"]) for e in entries]

    n = case.n.pk
    assert brief(result[case.t1.pk]) == [
        (n, Decimal(1) / 4, Decimal("0.6000")),  # the department's target
        (n2.pk, Decimal(0), None),
    ]
    assert brief(result[case.t2.pk]) == [
        (n, Decimal(0), Decimal("0.7000")),  # the territory's own target
        (n2.pk, Decimal(0), None),
    ]
    assert brief(result[case.t3.pk]) == [
        (n, Decimal(1), Decimal("0.5000")),  # the company's target
        (n2.pk, Decimal(0), None),
    ]
    assert brief(result[case.t4.pk]) == [(n, Decimal(0), Decimal("0.5000")), (n2.pk, 0, None)]
    assert result[empty.pk] == []
    assert result[case.t1.pk][0]["active_retailers"] == 4
    assert result[case.t1.pk][0]["observed_on_shelf"] == 1
    # One city (the close's query: city retailers × new brands): the same figures.
    assert territory_new_brand_rates(month=date(2026, 10, 9), company=org.company) == result


def rollup_snapshot():
    return sorted(
        ShelfRateRollup.objects.values_list(
            "pk",
            "month",
            "brand_id",
            "level",
            "scope_id",
            "territory_id",
            "org_path",
            "abc_class",
            "active_retailers",
            "observed_on_shelf",
            "ordered",
        )
    )


def test_refresh_stores_the_live_counts_of_every_level_and_class(case, org):
    result = shelf_rates_refresh(month=date(2026, 10, 20))
    assert result["month"] == "2026-10-01"
    assert result["rows"] == ShelfRateRollup.objects.count()
    for level in ("territory", "department", "center", "company"):
        for abc_class in ("", "A", "B", "C"):
            stored = {
                (row.scope_id, row.brand_id): (
                    row.active_retailers,
                    row.observed_on_shelf,
                    row.ordered,
                )
                for row in ShelfRateRollup.objects.filter(level=level, abc_class=abc_class)
            }
            live = {
                (row["scope_id"], row["brand_id"]): (
                    row["active"],
                    row["observed_on_shelf"],
                    row["ordered"],
                )
                for row in shelf_rate_counts(month=OCTOBER, level=level, abc_class=abc_class)
            }
            assert stored == live, (level, abc_class)
            assert stored, (level, abc_class)

    t1 = ShelfRateRollup.objects.get(
        level="territory", scope_id=case.t1.pk, brand=case.x, abc_class=""
    )
    assert (t1.territory_id, t1.org_path, t1.month) == (case.t1.pk, org.a.department.path, OCTOBER)
    center = ShelfRateRollup.objects.get(
        level="center", scope_id=org.a.center.pk, brand=case.x, abc_class="B"
    )
    assert (center.territory_id, center.org_path) == (None, org.a.center.path)
    company = ShelfRateRollup.objects.get(
        level="company", scope_id=org.company.pk, brand=case.x, abc_class=""
    )
    assert (company.active_retailers, company.observed_on_shelf, company.ordered) == (8, 4, 1)


def test_refresh_is_idempotent_and_drops_rows_that_no_longer_apply(case, org):
    shelf_rates_refresh(month=OCTOBER)
    first = rollup_snapshot()
    shelf_rates_refresh(month=OCTOBER)
    assert rollup_snapshot() == first

    # Brand O is withdrawn (no data at all): its rows go; a new observation updates in place.
    case.o.is_active = False
    case.o.save()
    make_visit(case.r3, date(2026, 10, 30), shelf=[(case.x, True)])
    result = shelf_rates_refresh(month=OCTOBER)
    assert not ShelfRateRollup.objects.filter(brand=case.o).exists()
    assert result["removed"] == sum(1 for row in first if row[2] == case.o.pk)
    t1 = ShelfRateRollup.objects.get(
        level="territory", scope_id=case.t1.pk, brand=case.x, abc_class=""
    )
    assert t1.observed_on_shelf == 2
    # Other months are untouched.
    shelf_rates_refresh(month=date(2026, 9, 1))
    assert ShelfRateRollup.objects.filter(month=OCTOBER).count() == len(first) - result["removed"]


def test_refresh_query_count_does_not_depend_on_the_data(case, org):
    with CaptureQueriesContext(connection) as small:
        shelf_rates_refresh(month=OCTOBER)
    for index in range(30):
        territory = case.t2 if index % 2 else case.t3
        retailer = RetailerFactory(territory=territory, abc_class="ABC"[index % 3])
        make_visit(retailer, date(2026, 10, 1 + index % 28), shelf=[(case.x, index % 4 > 0)])
        order(retailer, case.n, date(2026, 10, 2))
    BrandFactory(code="EXTRA")
    with CaptureQueriesContext(connection) as large:
        shelf_rates_refresh(month=OCTOBER)
    assert len(large) == len(small)
    writes = [q for q in small.captured_queries if "INSERT" in q["sql"]]
    assert len(writes) == 16
    # Computed once at territory × class × brand, then summed upward: the facts, the scoped
    # retailers and the two base tables are built once, and only one statement reads the
    # retailer table (and its status history); the 16 level × class writes read the base.
    assert len([q for q in small.captured_queries if "CREATE TEMPORARY" in q["sql"]]) == 4
    retailer_table = Retailer._meta.db_table
    assert len([q for q in small.captured_queries if retailer_table in q["sql"]]) == 1
    assert not any(retailer_table in q["sql"] for q in writes)


def test_demo_seed_refreshes_this_month_and_last(case):
    demo_rates.seed(SimpleNamespace(today=date(2026, 11, 3)))
    months = set(ShelfRateRollup.objects.values_list("month", flat=True).distinct())
    assert months == {OCTOBER, date(2026, 11, 1)}
    november = ShelfRateRollup.objects.get(
        month=date(2026, 11, 1), level="territory", scope_id=case.t1.pk, brand=case.x, abc_class=""
    )
    # r5's visit of 11-02 counts in November.
    assert (november.active_retailers, november.observed_on_shelf) == (4, 1)
