"""The monthly jobs set their PostgreSQL settings for their own transaction only."""

from datetime import date

import pytest
from django.db import connection, transaction

from config.database import JOB_SETTINGS, job_settings

pytestmark = pytest.mark.django_db(transaction=True)


def current(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return cursor.fetchone()[0]


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_settings_last_for_the_job_transaction_only():
    before = current("work_mem")
    assert before != JOB_SETTINGS["work_mem"]
    with transaction.atomic():
        job_settings()
        assert current("work_mem") == JOB_SETTINGS["work_mem"]
        assert current("jit") == "off"
    assert current("work_mem") == before


def test_every_monthly_job_sets_them(org, monkeypatch):
    """The close, the classification (and a split classification's ranking), plan
    generation and the 上柜率 refresh each call ``job_settings`` inside their transaction
    (outside one it would do nothing: the settings are ``SET LOCAL``)."""
    import assessment.services
    import retailers.services
    import visits.services.plans
    import visits.services.rates

    calls = []
    for module in (
        assessment.services,
        retailers.services,
        visits.services.plans,
        visits.services.rates,
    ):
        monkeypatch.setattr(
            module,
            "job_settings",
            lambda m=module: calls.append((m.__name__, connection.in_atomic_block)),
        )
    month = date(2026, 11, 1)
    assessment.services.month_close(month=month)
    retailers.services.classification_run(month=month)
    retailers.services.classification_rank(month=month, company=org.company)
    visits.services.plans.plans_generate(month=month)
    visits.services.rates.shelf_rates_refresh(month=month)
    assert calls == [
        ("assessment.services", True),
        ("retailers.services", True),
        ("retailers.services", True),
        ("visits.services.plans", True),
        ("visits.services.rates", True),
    ]


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_part_analyzes_only_a_table_that_changed_enough(org):
    """``analyze_if_stale``: a table never analyzed is; then a few rows written into an
    analyzed table are not worth an ANALYZE, more than 5 % of its rows are."""
    from config.database import analyze, analyze_if_stale
    from retailers.models import Brand
    from tests.factories import BrandFactory

    def flush_statistics():
        # This backend's counts reach the server's statistics after its next statement.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute("SELECT 1")

    BrandFactory.create_batch(40)
    flush_statistics()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_reset_single_table_counters('retailers_brand'::regclass)")
    # Reset statistics look never analyzed (no last_analyze): analyzed.
    assert analyze_if_stale({Brand: 0}) == ["retailers_brand"]
    analyze(Brand)
    flush_statistics()
    rows = Brand.objects.count()
    assert rows >= 40
    assert analyze_if_stale({Brand: 1}) == []  # 1 of 40+ rows: under 5 %
    assert analyze_if_stale({Brand: rows}) == ["retailers_brand"]
