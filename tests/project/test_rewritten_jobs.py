"""The monthly jobs rewritten for province scale (issue #12) give the same results as the
implementations they replaced, on the demo data.

Each reference below is the previous implementation, kept here as plain ORM code: the
classification inputs (order lines joined to their retailer before counting), credited
sales (order lines joined through the retailer to the assignment in force), plan
completion (a correlated EXISTS per plan) and the 上柜率 rollup (one scan of the retailers
per level × class, which ``shelf_rate_counts`` still computes live).
"""

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import Coalesce, PercentRank

from retailers.classification import RetailerInputs, Rules, classify
from retailers.models import (
    ClassificationRecord,
    OrderLine,
    Retailer,
    Violation,
    ViolationSeverity,
    add_months,
    month_start,
)
from retailers.selectors import (
    assigned_on_order_date,
    credited_cartons,
    credited_sales,
    rule_set_for,
)
from retailers.services import classification_run
from tests.conftest import MIGRATION_DATA
from tests.retailers.test_classification_run import by_both_paths, postgresql_only
from visits.models import ShelfRateRollup, VisitPlan
from visits.selectors.plans import completed_visit_exists, plan_completion_counts
from visits.selectors.rates import LEVELS, shelf_rate_counts
from visits.services.rates import ROLLUP_CLASSES, shelf_rates_refresh

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The small demo, seeded once for the module (its months: the last four published,
    last month in review, this month open)."""
    from io import StringIO

    with django_db_blocker.unblock():
        call_command("seed_demo", "--size", "small", stdout=StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", "--noinput", verbosity=0)
        # What the data migrations made is back for the tests that follow.
        from django.apps import apps

        for module, function in MIGRATION_DATA:
            getattr(importlib.import_module(module), function)(apps, None)


def months_of_the_demo():
    first = month_start(OrderLine.objects.latest("order_date").order_date)
    return [add_months(first, -n) for n in (2, 1, 0)]


def previous_classification(month: date, company) -> dict[int, tuple]:
    """{retailer: (scores…, class)} by the previous inputs query and the pure function."""
    first = month_start(month)
    rule_set = rule_set_for(first, company)
    rules = Rules.from_rule_set(rule_set)
    in_window = Q(
        order_lines__order_date__gte=add_months(first, -rule_set.scale_months),
        order_lines__order_date__lt=first,
    )
    retailers = Retailer.objects.active_on(first).filter(territory__department__company=company)
    rows = retailers.annotate(
        volume=Coalesce(Sum("order_lines__quantity", filter=in_window), 0),
        orders=Count("order_lines__source_order_no", filter=in_window, distinct=True),
        on_time=Count(
            "order_lines__source_order_no",
            filter=in_window & Q(order_lines__settled_on_time=True),
            distinct=True,
        ),
    ).annotate(
        rank=Window(PercentRank(), partition_by=[F("market_type")], order_by=F("volume").asc()),
        group_size=Window(Count("id"), partition_by=[F("market_type")]),
    )
    violations = {
        row["retailer_id"]: row
        for row in Violation.objects.filter(
            retailer__in=retailers.values("pk"),
            occurred_on__gte=add_months(first, -rule_set.violation_months),
            occurred_on__lt=first,
        )
        .values("retailer_id")
        .annotate(
            minor=Count("pk", filter=Q(severity=ViolationSeverity.MINOR)),
            serious=Count("pk", filter=Q(severity=ViolationSeverity.SERIOUS)),
        )
    }
    result = {}
    for r in rows:
        counted = violations.get(r.pk, {})
        scored = classify(
            RetailerInputs(
                scale_rank=Decimal(str(r.rank)),
                group_size=r.group_size,
                environment=r.environment,
                potential=r.potential,
                minor_violations=counted.get("minor", 0),
                serious_violations=counted.get("serious", 0),
                orders=r.orders,
                orders_on_time=r.on_time,
            ),
            rules,
        )
        average = (Decimal(r.volume) / rule_set.scale_months).quantize(Decimal("0.01"))
        result[r.pk] = (scored.total, scored.scale, scored.credit, average, scored.klass)
    return result


def test_classification_equals_the_previous_inputs_query(demo):
    from accounts.models import OrgUnit

    company = OrgUnit.objects.companies().get()
    month = add_months(months_of_the_demo()[-1], 1)
    expected = previous_classification(month, company)
    classification_run(month=month, company=company)
    stored = {
        r.retailer_id: (
            r.total_score,
            r.scale_score,
            r.credit_score,
            r.average_monthly_cartons,
            r.computed_class,
        )
        for r in ClassificationRecord.objects.filter(month=month_start(month))
    }
    assert len(stored) > 300
    assert stored == expected


@postgresql_only
def test_sql_classification_gives_the_rows_of_the_python_path(demo, monkeypatch):
    """On the demo, with some retailers pinned: every field of every record, the retailers'
    classes and the summary are the same by the SQL statement as by ``classify``."""
    from accounts.models import OrgUnit

    company = OrgUnit.objects.companies().get()
    month = add_months(months_of_the_demo()[-1], 1)
    classified = Retailer.objects.exclude(abc_class="").order_by("pk")
    Retailer.objects.filter(pk__in=classified.values("pk")[:20]).update(class_pinned=True)

    def runs():
        return [
            classification_run(month=month, company=company),
            classification_run(month=add_months(month, 1), company=company),
        ]

    python, sql = by_both_paths(monkeypatch, runs)
    assert sql == python
    summaries, records, classes = sql
    assert summaries[0]["retailers"] > 300 and summaries[0]["changed"] > 0
    assert sum(record["pinned"] for record in records) >= 20
    assert {record["computed_class"] for record in records} == {"A", "B", "C"}


def test_credited_sales_equal_the_join_through_the_retailer(demo):
    for first in months_of_the_demo():
        end = add_months(first, 1)
        through_retailer = (
            OrderLine.objects.filter(
                assigned_on_order_date(), order_date__gte=first, order_date__lt=end
            )
            .values(
                manager_id=F("retailer__assignments__manager_id"),
                price_class=F("brand__price_class"),
            )
            .annotate(cartons=Sum("quantity"))
            .order_by("manager_id", "price_class")
        )
        assert credited_sales(start=first, end=end) == list(through_retailer)
        totals = {}
        for row in through_retailer:
            totals[row["manager_id"]] = totals.get(row["manager_id"], 0) + row["cartons"]
        assert credited_cartons(start=first, end=end) == totals
        assert len(totals) >= 10


def test_plan_completion_equals_the_exists_per_plan(demo):
    for first in months_of_the_demo():
        per_plan = (
            VisitPlan.objects.filter(month=first, dropped=False)
            .annotate(done=completed_visit_exists())
            .values("manager_id")
            .annotate(planned=Count("pk"), completed=Count("pk", filter=Q(done=True)))
        )
        expected = {
            row["manager_id"]: {"planned": row["planned"], "completed": row["completed"]}
            for row in per_plan
        }
        assert plan_completion_counts(month=first) == expected
    assert any(counts["completed"] for counts in expected.values())


def test_shelf_rate_rollup_equals_the_scan_per_level_and_class(demo):
    first = months_of_the_demo()[-1]
    shelf_rates_refresh(month=first)
    for level in LEVELS:
        for abc_class in ROLLUP_CLASSES:
            live = {
                (row["scope_id"], row["brand_id"]): (
                    row["active"],
                    row["observed_on_shelf"],
                    row["ordered"],
                )
                for row in shelf_rate_counts(month=first, level=level, abc_class=abc_class)
            }
            stored = {
                (row.scope_id, row.brand_id): (
                    row.active_retailers,
                    row.observed_on_shelf,
                    row.ordered,
                )
                for row in ShelfRateRollup.objects.filter(
                    month=first, level=level, abc_class=abc_class
                )
            }
            assert stored == live, (level, abc_class)
            assert live
    assert ShelfRateRollup.objects.filter(month=first, observed_on_shelf__gt=0).exists()
