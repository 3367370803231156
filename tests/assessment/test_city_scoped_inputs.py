"""A month close or pay run of one city company reads that city's facts alone (a province
closes city by city, so each close must not cost a province-wide aggregate), and gets
exactly what the province-wide aggregate gives for the city's managers."""

from datetime import date

import pytest

from accounts.models import User
from retailers.models import add_months
from retailers.selectors import credited_cartons, credited_sales
from retailers.services import classification_run
from tests.jobs.test_split_jobs import build_two_cities
from visits.models import Visit, VisitPlan, VisitStatus
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
