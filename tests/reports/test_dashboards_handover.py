"""The dashboards' rollup follows the assignments: a covering manager gets the facts of the
covering period (DOMAIN §9, §10.1)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from reports.models import ManagerMonthKpi
from reports.services.dashboards import kpi_refresh
from retailers.services import territory_cover
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory
from visits.models import SatisfactionSurvey, SurveyChannel

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def test_rollup_credits_the_covering_manager(org):
    cm, cm2 = org.a.cm, org.a.cm2
    shop = RetailerFactory(territory=org.a.territory2, abc_class="B")
    territory_cover(
        territory=org.a.territory2,
        manager=cm,
        start=date(2026, 11, 16),
        end=date(2026, 11, 30),
        today=date(2026, 11, 1),
    )
    brand = BrandFactory()
    OrderLineFactory(retailer=shop, brand=brand, order_date=date(2026, 11, 10), quantity=4)
    OrderLineFactory(retailer=shop, brand=brand, order_date=date(2026, 11, 20), quantity=9)
    for on, score in ((date(2026, 11, 10), 2), (date(2026, 11, 20), 5)):
        SatisfactionSurvey.objects.create(
            retailer=shop,
            score=score,
            surveyed_on=on,
            channel=SurveyChannel.PHONE,
            recorded_by=org.assessor,
        )
    kpi_refresh(month=date(2026, 11, 1), now=datetime(2026, 12, 2, 9, tzinfo=TZ))
    rows = {row.manager_id: row for row in ManagerMonthKpi.objects.filter(month=date(2026, 11, 1))}
    assert (rows[cm.pk].sales_cartons, rows[cm.pk].survey_sum, rows[cm.pk].survey_count) == (
        9,
        5,
        1,
    )
    assert (rows[cm2.pk].sales_cartons, rows[cm2.pk].survey_sum, rows[cm2.pk].survey_count) == (
        4,
        2,
        1,
    )
    # Each keeps their own territory.
    assert rows[cm.pk].territory_id == org.a.territory.pk
    assert rows[cm2.pk].territory_id == org.a.territory2.pk
