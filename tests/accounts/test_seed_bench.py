"""seed_bench: refuses SQLite clearly; on PostgreSQL a tiny scale seeds in seconds, the same
rows for the same seed, and every monthly job of the benchmark runs on it."""

from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accounts.models import OrgUnit, Role, User
from assessment.models import ManagerScore
from assessment.services import month_close, month_publish, month_start_review
from reports.models import PayLine
from reports.services.pay import pay_run_prepare
from retailers.models import ClassificationRecord, OrderLine, Retailer, RetailerAssignment
from retailers.services import classification_run
from visits.models import ShelfObservation, ShelfRateRollup, Visit, VisitPlan
from visits.services.plans import plans_generate
from visits.services.rates import shelf_rates_refresh

OCTOBER, NOVEMBER = date(2026, 10, 1), date(2026, 11, 1)


def test_refuses_sqlite_with_a_clear_message(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="seed_bench needs PostgreSQL"):
        call_command("seed_bench", "--scale", "tiny")


@pytest.mark.services
@pytest.mark.django_db
def test_tiny_scale_seeds_deterministically_and_the_monthly_jobs_run():
    out = StringIO()
    call_command("seed_bench", "--scale", "tiny", "--seed", "1", stdout=out)
    assert "3 managers, 60 retailers" in out.getvalue()

    # A province with two cities (2 + 1 managers of 20 retailers each).
    assert OrgUnit.objects.filter(kind="province").count() == 1
    assert OrgUnit.objects.companies().count() == 2
    managers = User.objects.filter(role=Role.CUSTOMER_MANAGER)
    assert managers.count() == 3
    assert all(m.territory.retailers.count() == 20 for m in managers)
    assert RetailerAssignment.objects.filter(valid_to__isnull=True).count() == 60
    # The same order lines and plans every run (hashes of row number and seed). Which plans
    # are visited also hashes the generated ids, which depend on the database's sequences
    # (fresh in a bench database, advanced by earlier tests here): most plans are visited,
    # and every visit has its four shelf lines.
    assert (OrderLine.objects.count(), VisitPlan.objects.count()) == (720, 103)
    visits = Visit.objects.count()
    assert 0.8 * 103 <= visits <= 103 * 1.5
    assert ShelfObservation.objects.count() == 4 * visits
    # Plans follow the class frequency (A 4, B 2, C 1 a month).
    frequency = {"A": 4, "B": 2, "C": 1}
    expected = sum(frequency[r.abc_class] for r in Retailer.objects.all())
    assert VisitPlan.objects.filter(month=OCTOBER).count() == expected

    with pytest.raises(CommandError, match="empty database"):
        call_command("seed_bench", "--scale", "tiny")

    classification_run(month=NOVEMBER)
    active = Retailer.objects.filter(status="active").count()
    assert ClassificationRecord.objects.filter(month=NOVEMBER).count() == active
    assert plans_generate(month=NOVEMBER, today=NOVEMBER)["created"] > 0
    shelf_rates_refresh(month=OCTOBER)
    assert ShelfRateRollup.objects.filter(month=OCTOBER).exists()
    opened = timezone.make_aware(datetime(2026, 11, 3, 9, 0))
    for company in OrgUnit.objects.companies():
        month_close(month=OCTOBER, company=company)
        month_start_review(month=OCTOBER, company=company, now=opened)
        month_publish(month=OCTOBER, company=company, now=opened + timedelta(days=6))
        hr = User.objects.get(role=Role.HR, org_unit=company)
        pay_run_prepare(month=OCTOBER, user=hr, company=company)
    assert ManagerScore.objects.filter(assessment__month=OCTOBER).count() == 3
    assert PayLine.objects.filter(run__month=OCTOBER).count() == 3
    # The order lines arrived the morning after their date, before October's publication:
    # the run pays October's sales (no line waits as late data).
    line = OrderLine.objects.filter(order_date__lt=NOVEMBER).order_by("-order_date").first()
    assert timezone.localtime(line.arrived_at) == timezone.make_aware(
        datetime.combine(line.order_date + timedelta(days=1), datetime.min.time())
    ) + timedelta(hours=8)
    paid = sum(
        line.cartons_1 + line.cartons_2 + line.cartons_3 + line.cartons_4 + line.cartons_5
        for line in PayLine.objects.filter(run__month=OCTOBER)
    )
    assert paid == sum(
        OrderLine.objects.filter(order_date__gte=OCTOBER, order_date__lt=NOVEMBER).values_list(
            "quantity", flat=True
        )
    )
