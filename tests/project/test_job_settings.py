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
    """The close, the classification, plan generation and the 上柜率 refresh each call
    ``job_settings`` inside their transaction."""
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
        monkeypatch.setattr(module, "job_settings", lambda m=module: calls.append(m.__name__))
    month = date(2026, 11, 1)
    assessment.services.month_close(month=month)
    retailers.services.classification_run(month=month)
    visits.services.plans.plans_generate(month=month)
    visits.services.rates.shelf_rates_refresh(month=month)
    assert calls == [
        "assessment.services",
        "retailers.services",
        "visits.services.plans",
        "visits.services.rates",
    ]
