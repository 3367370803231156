"""Retailer status history (DOMAIN §9, §10.2, §10.4): the status in force on a day, the
service, and the places where "active" is decided by it (plans, classification, 上柜率)."""

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from assessment.models import AssessmentMonth, MonthState
from retailers.models import (
    ClassificationRecord,
    Retailer,
    RetailerStatus,
    RetailerStatusChange,
)
from retailers.services import (
    classification_run,
    retailer_status_change,
    retailer_statuses_sync,
    retailer_update,
)
from tests.factories import BrandFactory, RetailerFactory
from visits.models import ShelfObservation, Visit, VisitPlan, VisitStatus
from visits.selectors.rates import shelf_rate_counts
from visits.services.plans import plans_generate

pytestmark = pytest.mark.django_db

ACTIVE, SUSPENDED, CANCELLED = (
    RetailerStatus.ACTIVE,
    RetailerStatus.SUSPENDED,
    RetailerStatus.CANCELLED,
)
NOV = date(2026, 11, 1)


def d(month, day):
    return date(2026, month, day)


def suspend(retailer, first, back):
    """Suspended from ``first``, active again from ``back``."""
    retailer_status_change(retailer=retailer, status=SUSPENDED, effective_from=first)
    retailer_status_change(retailer=retailer, status=ACTIVE, effective_from=back)


def ids(queryset):
    return set(queryset.values_list("pk", flat=True))


def test_status_in_force_on_a_day(org):
    shop = RetailerFactory(territory=org.a.territory, on=d(6, 1))  # active from 2026-06-01
    suspend(shop, d(11, 10), d(11, 21))  # suspended 10–20 Nov
    other = RetailerFactory(territory=org.a.territory, status=SUSPENDED, on=d(9, 1))
    both = Retailer.objects.filter(pk__in=[shop.pk, other.pk])

    assert ids(both.active_on(d(1, 1))) == {shop.pk}  # the first status extends backwards
    assert ids(both.active_on(d(11, 9))) == {shop.pk}
    assert ids(both.active_on(d(11, 10))) == set()
    assert ids(both.active_on(d(11, 20))) == set()
    assert ids(both.active_on(d(11, 21))) == {shop.pk}
    assert ids(both.status_on(d(11, 15), SUSPENDED)) == {shop.pk, other.pk}
    assert ids(both.active_throughout(d(11, 1), d(11, 9))) == {shop.pk}
    assert ids(both.active_throughout(d(11, 1), d(11, 10))) == set()
    assert ids(both.active_throughout(d(11, 20), d(11, 30))) == set()
    assert ids(both.active_throughout(d(11, 21), d(11, 30))) == {shop.pk}
    # A retailer without any recorded change falls back on its cached status.
    RetailerStatusChange.objects.filter(retailer=other).delete()
    assert ids(both.status_on(d(1, 1), SUSPENDED)) == {other.pk}


def test_cached_status_follows_today_and_future_changes_come_into_force(org):
    shop = RetailerFactory(territory=org.a.territory)
    change = retailer_status_change(
        retailer=shop, status=CANCELLED, effective_from=date(2099, 1, 1), note="closing"
    )
    assert (change.status, change.note) == (CANCELLED, "closing")
    shop.refresh_from_db()
    assert shop.status == ACTIVE  # not yet in force
    assert retailer_statuses_sync(today=date(2098, 12, 31)) == 0
    out = StringIO()
    call_command("apply_retailer_statuses", "--date", "2099-01-01", stdout=out)
    assert out.getvalue().strip() == "2099-01-01: 1 retailers changed status"
    shop.refresh_from_db()
    assert shop.status == CANCELLED
    call_command("apply_retailer_statuses", "--date", "2099-01-01", stdout=out)
    assert out.getvalue().splitlines()[-1] == "2099-01-01: 0 retailers changed status"


def test_same_day_replaces_and_locked_month_is_refused(org):
    shop = RetailerFactory(territory=org.a.territory, on=d(6, 1))
    retailer_status_change(retailer=shop, status=SUSPENDED, effective_from=d(11, 10))
    retailer_status_change(retailer=shop, status=CANCELLED, effective_from=d(11, 10))
    assert list(
        RetailerStatusChange.objects.filter(retailer=shop)
        .order_by("effective_from")
        .values_list("effective_from", "status")
    ) == [(d(6, 1), ACTIVE), (d(11, 10), CANCELLED)]

    AssessmentMonth.objects.create(company=org.company, month=d(10, 1), state=MonthState.REVIEW)
    with pytest.raises(ValidationError) as refused:
        retailer_status_change(retailer=shop, status=ACTIVE, effective_from=d(10, 31))
    assert "effective_from" in refused.value.message_dict
    assert RetailerStatusChange.objects.filter(retailer=shop).count() == 2


def test_retailer_update_records_a_change_only_when_the_status_changes(org):
    shop = RetailerFactory(territory=org.a.territory, on=d(6, 1))
    retailer_update(retailer=shop, status=ACTIVE, on=d(11, 1))
    assert RetailerStatusChange.objects.filter(retailer=shop).count() == 1
    retailer_update(retailer=shop, status=SUSPENDED, on=d(11, 5), shop_name="新名字")
    assert list(
        RetailerStatusChange.objects.filter(retailer=shop)
        .order_by("effective_from")
        .values_list("effective_from", "status")
    ) == [(d(6, 1), ACTIVE), (d(11, 5), SUSPENDED)]
    shop.refresh_from_db()
    assert (shop.shop_name, shop.status) == ("新名字", SUSPENDED)


def windows(shop):
    return [
        (p.window_start.day, p.window_end.day, p.dropped)
        for p in VisitPlan.objects.filter(retailer=shop).order_by("window_start")
    ]


def test_plans_keep_only_windows_the_retailer_is_wholly_active_in(org):
    t = org.a.territory
    b_shop = RetailerFactory(territory=t, abc_class="B")
    a_shop = RetailerFactory(territory=t, abc_class="A")
    late = RetailerFactory(territory=t, abc_class="C", status=SUSPENDED)
    for shop in (a_shop, b_shop):
        suspend(shop, d(11, 10), d(11, 21))  # not active 10–20 Nov
    retailer_status_change(retailer=late, status=ACTIVE, effective_from=d(11, 2))

    summary = plans_generate(month=NOV)

    # B: 1–15 holds the 10th, 16–30 holds 16–20: both drop out.
    assert windows(b_shop) == [(1, 15, True), (16, 30, True)]
    # A: 1–7 and 22–30 are wholly active; 8–14 and 15–21 are not.
    assert windows(a_shop) == [(1, 7, False), (8, 14, True), (15, 21, True), (22, 30, False)]
    # Not active on the 1st: not planned this month (§10.2), though active from the 2nd.
    assert windows(late) == []
    assert summary == {"month": "2026-11-01", "created": 6, "dropped": 4}
    # Idempotent, and a change recorded later is followed on the next run.
    assert plans_generate(month=NOV)["dropped"] == 0
    RetailerStatusChange.objects.filter(retailer=b_shop, effective_from__gte=d(11, 10)).delete()
    plans_generate(month=NOV)
    assert windows(b_shop) == [(1, 15, False), (16, 30, False)]


def test_classification_skips_a_retailer_not_active_on_the_first(org):
    t = org.a.territory
    steady = RetailerFactory(territory=t)
    suspended_on_first = RetailerFactory(territory=t)
    suspend(suspended_on_first, d(10, 20), d(11, 2))  # suspended on 1 Nov, active today
    back_by_first = RetailerFactory(territory=t, status=SUSPENDED)
    retailer_status_change(retailer=back_by_first, status=ACTIVE, effective_from=d(11, 1))

    summary = classification_run(month=NOV)

    assert summary["retailers"] == 2
    assert set(
        ClassificationRecord.objects.filter(month=NOV).values_list("retailer_id", flat=True)
    ) == {steady.pk, back_by_first.pk}


def test_shelf_rate_denominator_counts_retailers_active_on_the_last_day(org):
    t = org.a.territory
    brand = BrandFactory()
    back = RetailerFactory(territory=t)  # suspended 5–19 Nov, active on the 30th
    suspend(back, d(11, 5), d(11, 20))
    gone = RetailerFactory(territory=t)  # cancelled on the 30th
    retailer_status_change(retailer=gone, status=CANCELLED, effective_from=d(11, 30))
    RetailerFactory(territory=t)  # active throughout
    later = RetailerFactory(territory=t)  # suspended from December: still counts
    retailer_status_change(retailer=later, status=SUSPENDED, effective_from=d(12, 1))
    at = datetime(2026, 11, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    for shop in (back, gone):
        visit = Visit.objects.create(
            manager=t.manager,
            retailer=shop,
            territory=t,
            checked_in_at=at,
            check_in_date=at.date(),
            status=VisitStatus.VALID,
        )
        ShelfObservation.objects.create(
            visit=visit, retailer=shop, observed_at=at, brand=brand, on_shelf=True
        )

    rows = shelf_rate_counts(month=NOV, level="territory", brand_ids=[brand.pk])

    # Denominator: back, the steady one and later (3); gone is cancelled on the 30th, so
    # its observation counts nowhere; back's observation counts though it was suspended.
    assert rows == [
        {
            "scope_id": t.pk,
            "brand_id": brand.pk,
            "active": 3,
            "observed_on_shelf": 1,
            "ordered": 0,
        }
    ]
