"""The monthly classification run over the database: set-wise inputs and change history."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from retailers.models import ClassificationRecord, ClassificationRuleSet, Retailer, RetailerStatus
from retailers.services import class_override, classification_run, violation_record
from retailers.tasks import classify_retailers
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory

pytestmark = pytest.mark.django_db

NOVEMBER = date(2026, 11, 1)  # window: 2026-08-01 … 2026-10-31


@pytest.fixture
def shops(org):
    t = org.a.territory
    brand = BrandFactory()
    r1 = RetailerFactory(territory=t, environment="business_center", potential=5)
    r2 = RetailerFactory(territory=t, environment="residential", potential=None)
    r3 = RetailerFactory(territory=t, environment="remote_rural", potential=1, abc_class="B")
    r4 = RetailerFactory(territory=t, environment="business_center", potential=5)
    r5 = RetailerFactory(territory=t, market_type="X", environment="rural_town", potential=3)
    r6 = RetailerFactory(territory=t, status=RetailerStatus.SUSPENDED)

    def order(retailer, day, qty, settled=True, no=None):
        OrderLineFactory(
            retailer=retailer, brand=brand, order_date=day, quantity=qty, settled_on_time=settled
        )

    order(r1, date(2026, 8, 10), 250)
    order(r1, date(2026, 10, 20), 500, settled=False)
    order(r1, date(2026, 11, 2), 1000)  # after the window
    order(r1, date(2026, 7, 31), 1000)  # before the window
    order(r2, date(2026, 9, 5), 300)
    order(r4, date(2026, 10, 1), 300)
    order(r6, date(2026, 9, 1), 5000)  # suspended: not ranked
    violation_record(retailer=r2, occurred_on=date(2026, 3, 1), severity="minor", description="x")
    violation_record(retailer=r2, occurred_on=date(2025, 10, 31), severity="minor", description="x")
    violation_record(retailer=r4, occurred_on=date(2026, 6, 1), severity="serious", description="x")
    return r1, r2, r3, r4, r5, r6


def record(retailer):
    return ClassificationRecord.objects.get(retailer=retailer, month=NOVEMBER)


def test_monthly_run_hand_computed(shops):
    r1, r2, r3, r4, r5, r6 = shops
    summary = classification_run(month=date(2026, 11, 15))
    assert summary == {
        "month": "2026-11-01",
        "company": "C0",
        "rule_set": 1,
        "retailers": 5,
        "changed": 5,
    }

    expected = {
        # scale, environment, potential, compliance, credit, total, class
        r1: ("100.00", "100.00", "100.00", "100.00", "50.00", "95.00", "A"),
        r2: ("33.33", "70.00", "50.00", "90.00", "100.00", "59.33", "B"),
        r3: ("0.00", "20.00", "0.00", "100.00", "50.00", "28.00", "C"),
        r4: ("33.33", "100.00", "100.00", "70.00", "100.00", "67.33", "C"),
        r5: ("100.00", "40.00", "50.00", "100.00", "50.00", "78.50", "A"),
    }
    for retailer, values in expected.items():
        rec = record(retailer)
        got = (
            rec.scale_score,
            rec.environment_score,
            rec.potential_score,
            rec.compliance_score,
            rec.credit_score,
            rec.total_score,
            rec.final_class,
        )
        assert got == tuple(Decimal(v) for v in values[:6]) + (values[6],), retailer
        retailer.refresh_from_db()
        assert retailer.abc_class == values[6]
    assert record(r1).average_monthly_cartons == Decimal("250.00")
    assert record(r4).computed_class == "C" and record(r4).serious_violations == 1
    assert record(r3).previous_class == "B"
    assert not ClassificationRecord.objects.filter(retailer=r6).exists()
    assert Retailer.objects.get(pk=r6.pk).abc_class == ""


def test_rerun_is_idempotent_and_keeps_history(shops):
    classification_run(month=NOVEMBER)
    before = list(ClassificationRecord.objects.order_by("pk").values())
    summary = classification_run(month=NOVEMBER)
    after = list(ClassificationRecord.objects.order_by("pk").values())
    assert summary["changed"] == 5  # still measured against the class before the month's run
    assert [{**r, "created_at": None} for r in after] == [{**r, "created_at": None} for r in before]


def test_next_month_records_changes_only_against_last_class(shops):
    r1, *_ = shops
    classification_run(month=NOVEMBER)
    summary = classification_run(month=date(2026, 12, 1))  # window Sep–Nov
    dec = ClassificationRecord.objects.get(retailer=r1, month=date(2026, 12, 1))
    assert dec.previous_class == "A"
    assert summary["retailers"] == 5


def test_pinned_override_survives_the_run_and_unpinned_does_not(shops, org):
    r1, r2, *_ = shops
    class_override(
        retailer=r1, user=org.a.dept_supervisor, new_class="C", reason="核查", pinned=True
    )
    class_override(retailer=r2, user=org.a.dept_supervisor, new_class="A", reason="临时调整")
    classification_run(month=NOVEMBER)
    r1.refresh_from_db()
    r2.refresh_from_db()
    assert (r1.abc_class, record(r1).computed_class, record(r1).pinned) == ("C", "A", True)
    assert (r2.abc_class, record(r2).previous_class) == ("B", "A")


def test_task_and_command(shops, celery_eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        classify_retailers.delay("2026-11-20")
    assert ClassificationRecord.objects.filter(month=NOVEMBER).count() == 5
    call_command("classify_retailers", "2026-12")
    assert ClassificationRecord.objects.filter(month=date(2026, 12, 1)).count() == 5


def test_query_count_does_not_grow_with_retailers(org, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        RetailerFactory(territory=org.a.territory)
    with CaptureQueriesContext(connection) as small:
        classification_run(month=NOVEMBER)
    for _ in range(30):
        OrderLineFactory(retailer=RetailerFactory(territory=org.b.territory))
    with CaptureQueriesContext(connection) as large:
        classification_run(month=NOVEMBER)
    assert len(large) == len(small)


def test_chunked_run_equals_one_chunk(shops, monkeypatch):
    """Records are stored chunk by chunk (bounded memory): chunks of 2 give the same rows
    as one chunk, the class before the run included."""
    import retailers.services as services

    classification_run(month=NOVEMBER)
    one_chunk = list(
        ClassificationRecord.objects.order_by("retailer").values_list(
            "retailer", "total_score", "computed_class", "previous_class", "final_class"
        )
    )
    ClassificationRecord.objects.all().delete()
    Retailer.objects.filter(pk__in=[r.pk for r in shops]).update(abc_class="")
    Retailer.objects.filter(pk=shops[2].pk).update(abc_class="B")
    monkeypatch.setattr(services, "RECORD_CHUNK", 2)
    monkeypatch.setattr(services, "classify_in_sql", lambda: False)
    summary = classification_run(month=NOVEMBER)
    chunked = list(
        ClassificationRecord.objects.order_by("retailer").values_list(
            "retailer", "total_score", "computed_class", "previous_class", "final_class"
        )
    )
    assert chunked == one_chunk
    assert summary["retailers"] == 5 and summary["changed"] == 5


def classification_state() -> tuple[list, list]:
    """Every classification record (all fields but the id and the time written) and every
    retailer's class."""
    records = [
        {name: value for name, value in row.items() if name not in ("id", "created_at")}
        for row in ClassificationRecord.objects.order_by("month", "retailer").values()
    ]
    classes = list(Retailer.objects.order_by("pk").values_list("pk", "abc_class", "class_pinned"))
    return records, classes


def by_both_paths(monkeypatch, runs) -> tuple:
    """``runs()`` (classification runs returning their summaries) by the Python path and then,
    from the same data (rolled back in between), by the SQL path: (python, sql), each
    (summaries, records, retailers' classes)."""
    import retailers.services as services

    results = []
    for in_sql in (False, True):
        monkeypatch.setattr(services, "classify_in_sql", lambda in_sql=in_sql: in_sql)
        savepoint = transaction.savepoint()
        results.append((runs(), *classification_state()))
        transaction.savepoint_rollback(savepoint)
    return tuple(results)


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the SQL classification is PostgreSQL's"
)


@postgresql_only
def test_sql_path_gives_the_rows_of_the_python_path(shops, org, monkeypatch):
    """Pinned and unpinned overrides, a serious violation (class cap), retailers without
    orders, a market type with one retailer (scale 100), an unrated potential (the default),
    a re-run (the class before the first run kept) and the next month."""
    r1, r2, *_ = shops
    class_override(
        retailer=r1, user=org.a.dept_supervisor, new_class="C", reason="核查", pinned=True
    )
    class_override(retailer=r2, user=org.a.dept_supervisor, new_class="A", reason="临时调整")

    def runs():
        return [
            classification_run(month=NOVEMBER),
            classification_run(month=NOVEMBER),
            classification_run(month=date(2026, 12, 1)),
        ]

    python, sql = by_both_paths(monkeypatch, runs)
    assert sql == python
    summaries, records, classes = sql
    assert [s["changed"] for s in summaries] == [4, 4, 0]  # r1 pinned at C: unchanged
    assert len(records) == 10 and {r["final_class"] for r in records} == {"A", "B", "C"}
    pinned = [(r["computed_class"], r["final_class"]) for r in records if r["pinned"]]
    assert pinned == [("A", "C"), ("A", "C")]
    assert ClassificationRecord.objects.count() == 0  # rolled back


@postgresql_only
def test_sql_path_uses_every_parameter_of_the_rule_set(shops, monkeypatch):
    """Another rule set (weights with three decimals, fractional environment scores, a
    missing environment, cap B, eight months of volume: averages that round half to even)."""
    r1, r2, r3, r4, r5, r6 = shops
    rules = ClassificationRuleSet.objects.get(version=1)
    rules.pk = None
    rules.version = 2
    rules.effective_from = NOVEMBER
    rules.weight_scale = Decimal("0.333")
    rules.weight_environment = Decimal("0.167")
    rules.weight_potential = Decimal("0.125")
    rules.weight_compliance = Decimal("0.275")
    rules.weight_credit = Decimal("0.100")
    rules.environment_scores = {"business_center": 95.5, "residential": 70.25, "rural_town": 33}
    rules.scale_months = 8
    rules.potential_default = 2
    rules.minor_violation_points = 15
    rules.serious_violation_points = 40
    rules.violation_months = 24
    rules.credit_without_orders = 30
    rules.threshold_a = Decimal("60.00")
    rules.threshold_b = Decimal("33.33")
    rules.serious_violation_cap = "B"
    rules.save()
    brand = r1.order_lines.first().brand
    for retailer, quantity in ((r3, 1), (r5, 5)):  # 1/8 → 0.12, 5/8 → 0.62 (half to even)
        OrderLineFactory(
            retailer=retailer, brand=brand, order_date=date(2026, 4, 1), quantity=quantity
        )

    python, sql = by_both_paths(monkeypatch, lambda: [classification_run(month=NOVEMBER)])
    assert sql == python
    records = {row["retailer_id"]: row for row in sql[1]}
    assert {row["rule_set_id"] for row in records.values()} == {rules.pk}
    assert records[r3.pk]["average_monthly_cartons"] == Decimal("0.12")
    assert records[r5.pk]["average_monthly_cartons"] == Decimal("0.62")
    assert records[r3.pk]["environment_score"] == Decimal("0.00")  # remote_rural: not listed
    assert records[r2.pk]["environment_score"] == Decimal("70.25")
    assert records[r4.pk]["serious_violations"] == 1
    # 0.333 × 100 × rank 1/3 + 0.167 × 95.5 + 0.125 × 100 + 0.275 × 60 + 0.1 × 100: class A,
    # capped at B by the serious violation
    assert records[r4.pk]["total_score"] == Decimal("66.05")
    assert records[r4.pk]["computed_class"] == "B"
