"""Fixtures and helpers shared by the ``test_feedback_*`` modules (imported by name)."""

from datetime import date, datetime

import pytest
from django.utils import translation

from tests.factories import RetailerFactory
from visits.selectors.feedback import LOCAL_TZ


def local(year, month, day, hour=0, minute=0, second=0):
    """An aware Asia/Shanghai datetime."""
    return datetime(year, month, day, hour, minute, second, tzinfo=LOCAL_TZ)


NOV = date(2026, 11, 1)
OCT = date(2026, 10, 1)
DEC = date(2026, 12, 1)


@pytest.fixture
def english():
    """Messages are translated; the tests compare the English source strings."""
    with translation.override("en"):
        yield


@pytest.fixture
def shops(org):
    """One retailer in each territory: a1, a2 (center A), b1, b2 (center B)."""
    return {
        "a1": RetailerFactory(
            territory=org.a.territory, shop_name="甲一便利店", license_no="329901000001"
        ),
        "a2": RetailerFactory(
            territory=org.a.territory2, shop_name="甲二烟酒行", license_no="329901000002"
        ),
        "b1": RetailerFactory(
            territory=org.b.territory, shop_name="乙一食杂店", license_no="329902000001"
        ),
        "b2": RetailerFactory(
            territory=org.b.territory2, shop_name="乙二超市", license_no="329902000002"
        ),
    }
