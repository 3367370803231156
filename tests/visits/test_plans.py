"""Visit plans: windows per class, generation, completion, dropping, routes."""

import random
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from retailers.models import RetailerStatus
from retailers.services import retailer_status_change
from tests.factories import RetailerFactory
from visits.models import Visit, VisitPlan, VisitStatus
from visits.selectors.plans import plan_completion_counts, route_for
from visits.services.plans import _distance, nearest_neighbour, plan_windows, plans_generate

TZ = ZoneInfo("Asia/Shanghai")
NOV = date(2026, 11, 1)


def test_windows_of_each_class():
    assert plan_windows(NOV, 4) == [
        (date(2026, 11, 1), date(2026, 11, 7)),
        (date(2026, 11, 8), date(2026, 11, 14)),
        (date(2026, 11, 15), date(2026, 11, 21)),
        (date(2026, 11, 22), date(2026, 11, 30)),
    ]
    assert plan_windows(date(2027, 2, 10), 2) == [
        (date(2027, 2, 1), date(2027, 2, 15)),
        (date(2027, 2, 16), date(2027, 2, 28)),
    ]
    assert plan_windows(NOV, 1) == [(date(2026, 11, 1), date(2026, 11, 30))]
    assert plan_windows(NOV, 3) == [
        (date(2026, 11, 1), date(2026, 11, 10)),
        (date(2026, 11, 11), date(2026, 11, 20)),
        (date(2026, 11, 21), date(2026, 11, 30)),
    ]
    assert plan_windows(NOV, 0) == []


def test_nearest_neighbour_route():
    stops = [(0.0, 3.0), (0.0, 1.0), (0.0, 2.0), None]
    route = nearest_neighbour(stops, (0.0, 0.0))
    assert route == [(0.0, 1.0), (0.0, 2.0), (0.0, 3.0), None]


def reference_route(stops, start, position):
    """The walk as first written: ``min`` over ``_distance`` (the first of equals wins)."""
    located = [s for s in stops if position(s) is not None]
    route, here = [], start
    while located:
        nearest = (
            located[0] if here is None else min(located, key=lambda s: _distance(here, position(s)))
        )
        located.remove(nearest)
        route.append(nearest)
        here = position(nearest)
    return route + [s for s in stops if position(s) is None]


def test_nearest_neighbour_equals_the_reference_walk():
    """The inlined distance gives the same route as ``_distance``, ties included (two stops
    at the same place, stops on a grid at equal distances), on a city's spread of shops."""
    rng = random.Random(7)
    for n in range(60):
        stops = [
            (pk, (31.9 + rng.randint(0, 40) / 1000, 118.8 + rng.randint(0, 40) / 1000))
            for pk in range(n % 25)
        ]
        stops += [(100 + pk, stops[pk][1]) for pk in range(min(2, len(stops)))]  # same place
        stops.append((200, None))
        rng.shuffle(stops)
        start = None if n % 10 == 0 else (31.92, 118.82)
        position = lambda stop: stop[1]  # noqa: E731
        assert nearest_neighbour(stops, start, position=position) == reference_route(
            stops, start, position
        )


@pytest.fixture
def shops(org):
    t = org.a.territory
    t.latitude, t.longitude = Decimal("31.950000"), Decimal("118.850000")
    t.save()
    return {
        "a": RetailerFactory(territory=t, abc_class="A"),
        "b": RetailerFactory(territory=t, abc_class="B", latitude=Decimal("31.951000")),
        "c": RetailerFactory(territory=t, abc_class="C", latitude=Decimal("31.949000")),
        "unclassified": RetailerFactory(territory=t, abc_class=""),
        "suspended": RetailerFactory(territory=t, abc_class="A", status=RetailerStatus.SUSPENDED),
        "other": RetailerFactory(territory=org.b.territory, abc_class="C"),
    }


@pytest.mark.django_db
def test_generation_per_class_and_idempotent(org, shops):
    summary = plans_generate(month=NOV, today=date(2026, 10, 31))
    assert summary == {"month": "2026-11-01", "created": 4 + 2 + 1 + 1, "dropped": 0}
    counts = {key: VisitPlan.objects.filter(retailer=shop).count() for key, shop in shops.items()}
    assert counts == {"a": 4, "b": 2, "c": 1, "unclassified": 0, "suspended": 0, "other": 1}
    a_plans = VisitPlan.objects.filter(retailer=shops["a"]).order_by("window_start")
    assert [(p.window_start.day, p.window_end.day) for p in a_plans] == [
        (1, 7),
        (8, 14),
        (15, 21),
        (22, 30),
    ]
    for plan in VisitPlan.objects.all():
        assert plan.window_start <= plan.scheduled_for <= plan.window_end
        assert plan.scheduled_for.weekday() != 6  # no Sundays
        assert plan.manager == plan.retailer.territory.manager
    assert plans_generate(month=NOV, today=date(2026, 10, 31))["created"] == 0


@pytest.mark.django_db
def test_generation_written_in_batches_equals_one_batch(org, shops, monkeypatch):
    """Plans are written in batches (bounded memory): batches of one plan give the same
    rows as one batch."""
    import visits.services.plans as plans

    fields = ("manager", "territory", "retailer", "window_start", "scheduled_for", "route_position")
    plans_generate(month=NOV, today=date(2026, 10, 31))
    one_batch = list(VisitPlan.objects.order_by("retailer", "window_start").values_list(*fields))
    VisitPlan.objects.all().delete()
    monkeypatch.setattr(plans, "PLAN_BATCH", 1)
    assert plans_generate(month=NOV, today=date(2026, 10, 31))["created"] == 8
    batched = list(VisitPlan.objects.order_by("retailer", "window_start").values_list(*fields))
    assert batched == one_batch


def visit(manager, retailer, day, status=VisitStatus.VALID):
    at = datetime.combine(day, time(10), TZ)
    return Visit.objects.create(
        manager=manager,
        retailer=retailer,
        territory=retailer.territory,
        checked_in_at=at,
        check_in_date=day,
        checked_out_at=at.replace(hour=11),
        status=status,
    )


@pytest.mark.django_db
def test_completion_windows(org, shops):
    plans_generate(month=NOV, today=date(2026, 10, 31))
    cm = org.a.cm
    visit(cm, shops["a"], date(2026, 11, 7))  # last day of window 1 → completes it
    visit(cm, shops["a"], date(2026, 11, 8))  # window 2
    visit(cm, shops["a"], date(2026, 11, 9))  # second visit in window 2: still one plan
    visit(cm, shops["b"], date(2026, 11, 16), status=VisitStatus.INVALID)  # invalid: no
    visit(org.a.cm2, shops["c"], date(2026, 11, 3))  # someone else's visit: no
    visit(cm, shops["c"], date(2026, 10, 31))  # before the month: no
    assert plan_completion_counts(month=NOV) == {
        cm.pk: {"planned": 7, "completed": 2},
        org.b.cm.pk: {"planned": 1, "completed": 0},
    }


@pytest.mark.django_db
def test_inactive_retailer_drops_out(org, shops):
    plans_generate(month=NOV, today=date(2026, 10, 31))
    retailer_status_change(
        retailer=shops["a"], status=RetailerStatus.SUSPENDED, effective_from=date(2026, 11, 10)
    )
    summary = plans_generate(month=NOV, today=date(2026, 11, 10))
    assert summary["dropped"] == 3  # windows 8–14, 15–21, 22–30
    assert plan_completion_counts(month=NOV)[org.a.cm.pk]["planned"] == 4
    retailer_status_change(
        retailer=shops["a"], status=RetailerStatus.ACTIVE, effective_from=date(2026, 11, 12)
    )
    plans_generate(month=NOV, today=date(2026, 11, 12))
    dropped = VisitPlan.objects.filter(retailer=shops["a"], dropped=True)
    assert [p.window_start.day for p in dropped] == [8]  # not active for the whole window


@pytest.mark.django_db
def test_a_plan_of_a_retailer_active_all_month_comes_back(org, shops):
    """A plan marked dropped whose retailer is active throughout (say, the status change
    that dropped it was deleted) is planned again by the next run."""
    plans_generate(month=NOV, today=date(2026, 10, 31))
    VisitPlan.objects.filter(retailer=shops["b"]).update(dropped=True)
    assert plans_generate(month=NOV, today=date(2026, 11, 2))["dropped"] == 0
    assert not VisitPlan.objects.filter(dropped=True).exists()
    assert plan_completion_counts(month=NOV)[org.a.cm.pk]["planned"] == 4 + 2 + 1


@pytest.mark.django_db
def test_today_route_page_move_and_optimise(client, org, shops):
    plans_generate(month=NOV, today=date(2026, 10, 31))
    stops = route_for(org.a.cm, date(2026, 11, 30))
    assert stops and all(s.manager == org.a.cm for s in stops)
    client.force_login(org.a.cm)
    assert client.get(reverse("visits:today")).status_code == 200
    plan = VisitPlan.objects.filter(manager=org.a.cm).first()
    other = VisitPlan.objects.filter(manager=org.b.cm).first()
    assert (
        client.post(reverse("visits:plan_move", args=[other.pk]), {"direction": "up"}).status_code
        == 404
    )
    response = client.post(reverse("visits:plan_move", args=[plan.pk]), {"direction": "down"})
    assert response.status_code == 302
    client.force_login(org.a.dept_supervisor)
    assert client.get(reverse("visits:today")).status_code == 404


@pytest.mark.django_db
def test_week_page(client, org, shops):
    plans_generate(month=NOV, today=date(2026, 10, 31))
    client.force_login(org.a.cm)
    response = client.get(reverse("visits:week"), {"day": "2026-11-02"})
    days = response.context["days"]
    assert list(days)[0] == date(2026, 11, 2)
    assert (
        sum(len(v) for v in days.values())
        == VisitPlan.objects.filter(
            manager=org.a.cm, scheduled_for__range=(date(2026, 11, 2), date(2026, 11, 8))
        ).count()
    )


@pytest.mark.django_db
def test_reschedule_a_stop_inside_its_window(client, org, shops):
    plans_generate(month=NOV, today=date(2026, 10, 31))
    plan = VisitPlan.objects.get(retailer=shops["c"])  # window: the whole month
    client.force_login(org.a.cm)
    week = client.get(reverse("visits:week"), {"day": plan.scheduled_for.isoformat()})
    assert reverse("visits:plan_reschedule", args=[plan.pk]) in week.content.decode()
    url = reverse("visits:plan_reschedule", args=[plan.pk])
    client.post(url, {"day": "2026-11-27", "next": "/visits/week/"})
    plan.refresh_from_db()
    assert plan.scheduled_for == date(2026, 11, 27)
    client.post(url, {"day": "2026-12-02"})  # outside the window: refused
    plan.refresh_from_db()
    assert plan.scheduled_for == date(2026, 11, 27)
    client.force_login(org.a.cm2)
    assert client.post(url, {"day": "2026-11-20"}).status_code == 404


@pytest.mark.django_db
def test_a_carried_over_stop_visited_today_counts_as_done_today(client, org, shops, monkeypatch):
    from reports.selectors.home import stop_counts

    plans_generate(month=NOV, today=date(2026, 10, 31))
    day = date(2026, 11, 12)
    carried = VisitPlan.objects.get(retailer=shops["c"])  # window: the whole month
    done_before = VisitPlan.objects.get(retailer=shops["b"], window_start__day=1)
    VisitPlan.objects.filter(pk=carried.pk).update(scheduled_for=date(2026, 11, 10))
    VisitPlan.objects.filter(pk=done_before.pk).update(scheduled_for=date(2026, 11, 10))
    todays = VisitPlan.objects.get(retailer=shops["a"], window_start__day=8)
    VisitPlan.objects.filter(pk=todays.pk).update(scheduled_for=day)
    visit(org.a.cm, shops["c"], day)  # the carried-over stop, done today
    visit(org.a.cm, shops["b"], date(2026, 11, 11))  # done yesterday: not on today's route

    stops = {stop.pk: stop.done for stop in route_for(org.a.cm, day)}
    assert stops == {carried.pk: True, todays.pk: False}
    counts = stop_counts(org.a.cm, day)
    assert (counts.to_do, counts.carried_over) == (1, 0)
    monkeypatch.setattr("visits.views.plans.timezone.localdate", lambda: day)
    client.force_login(org.a.cm)
    page = client.get(reverse("visits:today"))
    assert (page.context["open_count"], page.context["done_count"]) == (1, 1)


@pytest.mark.django_db
def test_generation_query_count_does_not_grow_with_retailers(org, shops):
    """Plan generation is a fixed number of queries per city company, whatever the number
    of retailers (here 4 planned retailers, then 45 more)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        plans_generate(month=NOV, today=date(2026, 10, 31))
    VisitPlan.objects.all().delete()
    for index in range(45):
        RetailerFactory(
            territory=org.a.territory if index % 2 else org.b.territory,
            abc_class="ABC"[index % 3],
            latitude=Decimal("31.95") + Decimal(index) / 1000,
        )
    with CaptureQueriesContext(connection) as large:
        summary = plans_generate(month=NOV, today=date(2026, 10, 31))
    assert summary["created"] == 8 + 15 * (4 + 2 + 1)

    def counted(queries):
        # SQLite caps the parameters of a statement, so its bulk INSERTs split into batches
        # of ~100 rows; PostgreSQL writes the month's plans in one statement.
        return len(
            [
                q
                for q in queries.captured_queries
                if connection.vendor == "postgresql" or not q["sql"].startswith("INSERT")
            ]
        )

    assert counted(large) == counted(small)
