"""A month close or pay run of one city company reads that city's facts alone (a province
closes city by city, so each close must not cost a province-wide aggregate), and gets
exactly what the province-wide aggregate gives for the city's managers."""

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from assessment.selectors import gather_inputs
from assessment.services import bonus_grant, inspection_record
from retailers.models import Retailer, add_months
from retailers.selectors import (
    credited_cartons,
    credited_sales,
    managers_assigned_between,
    territories_held_on,
)
from retailers.services import classification_run
from tests.factories import RetailerFactory, TerritoryFactory, UserFactory
from tests.jobs.test_split_jobs import build_two_cities
from visits.models import (
    Complaint,
    InformationItem,
    SatisfactionSurvey,
    Visit,
    VisitPlan,
    VisitStatus,
    WorkPlan,
)
from visits.selectors.feedback import (
    LOCAL_TZ,
    complaint_counts,
    information_counts,
    satisfaction_by_manager,
    work_plan_counts,
)
from visits.selectors.plans import plan_completion_counts
from visits.selectors.rates import territory_new_brand_rates
from visits.services.plans import plans_generate

pytestmark = pytest.mark.django_db

SEP = date(2026, 9, 1)


def only(rows: dict, managers) -> dict:
    return {pk: value for pk, value in rows.items() if pk in managers}


def test_city_scoped_facts_equal_the_province_wide_ones():
    world = build_two_cities()
    classification_run(month=SEP)
    plans_generate(month=SEP, today=date(2026, 8, 31))
    for plan in VisitPlan.objects.filter(month=SEP, window_start=SEP)[:6]:
        Visit.objects.create(
            client_id=f"00000000-0000-4000-8000-{plan.pk:012d}",
            manager=plan.manager,
            retailer=plan.retailer,
            territory=plan.territory,
            plan=plan,
            checked_in_at=f"{plan.scheduled_for}T10:00:00+08:00",
            check_in_date=plan.scheduled_for,
            status=VisitStatus.VALID,
        )
    end = add_months(SEP, 1)
    everywhere = credited_cartons(start=SEP, end=end)
    plans = plan_completion_counts(month=SEP)
    rates = territory_new_brand_rates(month=SEP)
    seen = 0
    for company in world.companies:
        managers = set(User.objects.filter(org_unit__company=company).values_list("pk", flat=True))
        scoped = credited_cartons(start=SEP, end=end, company=company)
        assert scoped == only(everywhere, managers) and scoped
        assert credited_sales(start=SEP, end=end, company=company) == [
            row for row in credited_sales(start=SEP, end=end) if row["manager_id"] in managers
        ]
        assert plan_completion_counts(month=SEP, company=company) == only(plans, managers)
        seen += sum(
            c["completed"] for c in plan_completion_counts(month=SEP, company=company).values()
        )
        city_rates = territory_new_brand_rates(month=SEP, company=company)
        territories = {world.cities[world.companies.index(company)].territory.pk}
        assert territories <= city_rates.keys()
        assert all(rates[pk] == city_rates[pk] for pk in city_rates)
        assert not set(city_rates) & {
            pk for other in world.cities if other.company != company for pk in (other.territory.pk,)
        }
    assert seen == 6


OCT = date(2026, 10, 1)


def _local(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), LOCAL_TZ)


def _city_facts(city, shop, n: int) -> None:
    """October facts of one city, charged to its first manager: an information item, a
    survey answer, a missing work plan, an overdue complaint, a deduction and a bonus
    (``n`` of each, so two cities give different counts)."""
    for i in range(n):
        InformationItem.objects.create(
            kind="price",
            content=f"信息{i}",
            reported_by=city.cm,
            territory=city.territory,
            reported_at=_local(date(2026, 10, 2 + i)),
        )
        SatisfactionSurvey.objects.create(
            retailer=shop,
            score=3 + i,
            surveyed_on=date(2026, 10, 20),
            channel="phone",
            recorded_by=city.assessor,
        )
        WorkPlan.objects.create(
            manager=city.cm,
            kind="weekly",
            period_start=date(2026, 10, 5 + 7 * i),
            due_at=_local(date(2026, 10, 5 + 7 * i), 9),
        )
        Complaint.objects.create(
            retailer=shop,
            territory=shop.territory,
            content=f"投诉{i}",
            opened_at=_local(date(2026, 10, 2 + i)),
            opened_by=city.assessor,
            respond_by=_local(date(2026, 10, 3 + i)),
            resolve_by=_local(date(2026, 10, 5 + i)),
        )
        inspection_record(
            inspector=city.dept_supervisor,
            manager_id=city.cm.pk,
            inspected_on=date(2026, 10, 8 + i),
            item_code="info",
            points=Decimal(2),
            reason="信息不实",
        )
        bonus_grant(
            user=city.dept_supervisor,
            manager_id=city.cm.pk,
            day=date(2026, 10, 15 + i),
            points=Decimal(1),
            reason="加分",
        )


def _without_names(inputs: dict) -> dict:
    """The inputs without the brand names (a lookup table of the brands the call rated)."""
    return {pk: replace(value, brand_names={}) for pk, value in inputs.items()}


def test_feedback_and_assignment_inputs_of_a_city_leave_the_other_city_out():
    world = build_two_cities()
    shops = {
        city.company.pk: Retailer.objects.filter(territory=city.territory).order_by("pk").first()
        for city in world.cities
    }
    for n, city in enumerate(world.cities, start=1):
        _city_facts(city, shops[city.company.pk], n)
    end = add_months(OCT, 1)
    last = end - timedelta(days=1)
    closed_at = _local(date(2026, 11, 3))
    everywhere = {
        "info": information_counts(month=OCT, closed_at=closed_at),
        "surveys": satisfaction_by_manager(month=OCT),
        "work_plans": work_plan_counts(month=OCT, closed_at=closed_at),
        "complaints": complaint_counts(month=OCT, closed_at=closed_at),
        "held": territories_held_on(last),
    }
    assigned = managers_assigned_between(OCT, end)
    inputs = _without_names(gather_inputs(OCT, closed_at=closed_at))
    for n, (city, company) in enumerate(zip(world.cities, world.companies, strict=True), 1):
        managers = set(User.objects.filter(org_unit__company=company).values_list("pk", flat=True))
        scoped = {
            "info": information_counts(month=OCT, closed_at=closed_at, company=company),
            "surveys": satisfaction_by_manager(month=OCT, company=company),
            "work_plans": work_plan_counts(month=OCT, closed_at=closed_at, company=company),
            "complaints": complaint_counts(month=OCT, closed_at=closed_at, company=company),
            "held": territories_held_on(last, company),
        }
        for name, rows in scoped.items():
            assert rows == only(everywhere[name], managers), name
        # Real values: the city's own facts, none of the other city's.
        assert scoped["info"] == {city.cm.pk: n}
        assert scoped["surveys"] == {city.cm.pk: (Decimal(sum(3 + i for i in range(n))) / n, n)}
        assert scoped["work_plans"] == {city.cm.pk: {"late": 0, "missing": n}}
        assert scoped["complaints"] == {city.cm.pk: {"overdue": n, "substantiated": 0}}
        assert scoped["held"] == {city.cm.pk: city.territory.pk, city.cm2.pk: city.territory2.pk}
        assert managers_assigned_between(OCT, end, company) == assigned & managers
        assert managers_assigned_between(OCT, end, company) == {city.cm.pk, city.cm2.pk}
        city_inputs = _without_names(gather_inputs(OCT, company=company, closed_at=closed_at))
        assert city_inputs == only(inputs, managers)
        assert city_inputs[city.cm.pk].deductions == {"info": Decimal(2 * n)}
        assert city_inputs[city.cm.pk].bonus == Decimal(n)


def test_a_city_close_costs_the_same_queries_whatever_the_other_city_holds():
    world = build_two_cities()
    first, second = world.cities
    _city_facts(first, Retailer.objects.filter(territory=first.territory).first(), 1)
    closed_at = _local(date(2026, 11, 3))
    with CaptureQueriesContext(connection) as small:
        before = gather_inputs(OCT, company=first.company, closed_at=closed_at)
    for _extra in range(3):
        manager = UserFactory(role=Role.CUSTOMER_MANAGER, org_unit=second.department)
        territory = TerritoryFactory(department=second.department, manager=manager)
        RetailerFactory(territory=territory)
    _city_facts(second, Retailer.objects.filter(territory=second.territory).first(), 3)
    with CaptureQueriesContext(connection) as large:
        after = gather_inputs(OCT, company=first.company, closed_at=closed_at)
    assert after == before and first.cm.pk in after
    assert len(large) == len(small)
