"""Visit plans (工作日程表): generated monthly from each retailer's class, ordered as a route."""

import calendar
import math
from collections import defaultdict
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrgUnit, Territory
from config.database import analyze, analyze_if_stale, job_settings
from retailers.models import (
    ClassificationRuleSet,
    Retailer,
    RetailerAssignment,
    RetailerStatus,
    RetailerStatusChange,
    add_months,
    month_start,
)

from ..models import VisitPlan
from ..selectors.calendar import working_days


def plan_windows(month: date, visits: int) -> list[tuple[date, date]]:
    """The windows of ``visits`` planned visits in ``month`` (DOMAIN.md §3).

    4 → days 1–7, 8–14, 15–21, 22–end; 2 → 1–15, 16–end; 1 → the whole month; any other
    number splits the month into that many near-equal windows.
    """
    first = month_start(month)
    days = calendar.monthrange(first.year, first.month)[1]
    if visits <= 0:
        return []
    if visits == 4:
        starts = [1, 8, 15, 22]
    elif visits == 2:
        starts = [1, 16]
    else:
        starts = [1 + (days * k) // visits for k in range(visits)]
    ends = [start - 1 for start in starts[1:]] + [days]
    return [(first.replace(day=s), first.replace(day=e)) for s, e in zip(starts, ends, strict=True)]


def _working_days(start: date, end: date, working: set[date]) -> list[date]:
    """The days of a window that are working days (``working``: the month's, from the
    holiday calendar); a window without any (a holiday week) keeps all its days."""
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [d for d in days if d in working] or days


def _distance(a, b) -> float:
    """Approximate metres between two (lat, lng) points (equirectangular: fine in a city)."""
    lat = math.radians((a[0] + b[0]) / 2)
    dx = math.radians(b[1] - a[1]) * math.cos(lat)
    dy = math.radians(b[0] - a[0])
    return 6371000 * math.hypot(dx, dy)


def nearest_neighbour(stops: list, start, position=lambda stop: stop) -> list:
    """Order ``stops`` as a walk: from ``start``, always to the nearest unvisited stop (the
    first one listed among equally near ones).

    Stops without a position keep their relative order at the end. Each position is read
    once and the distance (``_distance``'s formula, term for term, so the same floats) is
    computed inline: plan generation walks about a million stops a month.
    """
    points = [position(stop) for stop in stops]
    located = [
        (stop, point) for stop, point in zip(stops, points, strict=True) if point is not None
    ]
    unlocated = [stop for stop, point in zip(stops, points, strict=True) if point is None]
    radians, cos, hypot = math.radians, math.cos, math.hypot
    route, here = [], start
    while located:
        index = 0
        if here is not None:
            a0, a1 = here
            best = None
            for i, (_stop, (b0, b1)) in enumerate(located):
                metres = 6371000 * hypot(
                    radians(b1 - a1) * cos(radians((a0 + b0) / 2)), radians(b0 - a0)
                )
                if best is None or metres < best:
                    best, index = metres, i
        stop, here = located.pop(index)
        route.append(stop)
    return route + unlocated


def _assigned(periods, day: date):
    """(territory id, manager id) of the assignment in force on ``day``, or None when the
    retailer has no manager that day."""
    for valid_from, valid_to, territory_id, manager_id in periods:
        if valid_from <= day and (valid_to is None or valid_to > day):
            return (territory_id, manager_id) if manager_id is not None else None
    return None


def _point(latitude, longitude):
    if latitude is None or longitude is None:
        return None
    return (float(latitude), float(longitude))


@transaction.atomic
def plans_generate(*, month: date, today: date | None = None, company=None, center=None) -> dict:
    """Plan every manager's visits of ``month`` from the classes retailers have now.

    Runs on the 1st after the classification (and daily: idempotent). Each active,
    classified retailer gets one planned visit per window of its class frequency, owned by
    the manager assigned to it on the window's last day (DOMAIN §10.3: a handover or covering
    dated inside the month splits its windows; no manager that day → no plan); the visits
    of a window are spread over its working days (Monday to Friday, by the city's holiday
    calendar) by direction from the territory centre (so a day covers one part of the
    territory) and ordered within a day by nearest neighbour. Existing rows are kept
    (re-running creates only missing ones). Only retailers active on the 1st are planned
    (DOMAIN §10.2), and a planned visit whose window holds a day the retailer is not active
    on is dropped, by the status history (re-evaluated on every run, so later-recorded
    changes follow).

    ``company``: one city company only (default: every city). ``center``: one marketing
    center of that city only (a part of the job split by marketing center): the plans of
    its territories, exactly the rows the city's run gives them, since every (territory,
    window) group of stops is planned as a whole by one part.
    """
    job_settings()
    first = month_start(month)
    companies = [company] if company is not None else list(OrgUnit.objects.companies())
    rule_sets = ClassificationRuleSet.objects.in_force_by_company(first, companies)
    if None in rule_sets.values():
        raise ClassificationRuleSet.DoesNotExist(f"no classification rules in force in {first}")
    # One city at a time: memory is bounded by the largest city, not the province.
    created = sum(
        _plans_generate_city(first, city, rule_sets[city.pk], center=center) for city in companies
    )
    # Statistics first: the dropped plans are decided over the rows just written (a planner
    # that still sees none of the month's plans picks nested loops over a million rows). A
    # center's part (one of many) refreshes them only when enough has changed.
    if center is None:
        analyze(VisitPlan)
    else:
        analyze_if_stale({VisitPlan: created})
    dropped = plans_refresh_dropped(month=first, companies=companies, center=center)
    return {"month": first.isoformat(), "created": created, "dropped": dropped}


PLAN_BATCH = 5000


PLAN_COLUMNS = (
    "manager_id",
    "territory_id",
    "retailer_id",
    "month",
    "window_start",
    "window_end",
    "planned_class",
    "scheduled_for",
    "route_position",
)
PLAN_COLUMN_TYPES = (
    "integer",
    "integer",
    "integer",
    "date",
    "date",
    "date",
    "text",
    "date",
    "integer",
)


def _write_plans(rows: list[tuple]) -> int:
    """Insert planned visits (tuples in ``PLAN_COLUMNS`` order), keeping existing ones (a
    re-run creates only the missing windows); returns how many were created. On PostgreSQL
    the rows go straight into one INSERT … SELECT FROM unnest(…) per batch (no model
    instances: a province plans about a million visits), whose row count is the number
    created; elsewhere through ``bulk_create``, counted before and after."""
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        month_plans = VisitPlan.objects.filter(retailer_id__in={row[2] for row in rows})
        before = month_plans.count()
        VisitPlan.objects.bulk_create(
            (VisitPlan(**dict(zip(PLAN_COLUMNS, row, strict=True))) for row in rows),
            batch_size=PLAN_BATCH,
            ignore_conflicts=True,
        )
        return month_plans.count() - before
    columns = ", ".join((*PLAN_COLUMNS, "dropped", "created_at"))
    arrays = ", ".join(f"%s::{kind}[]" for kind in PLAN_COLUMN_TYPES)
    with connection.cursor() as cursor:
        # One array per column, unnested into rows, each sent as one array literal
        # ("{1,2,…}"): the server parses nine literals instead of an ARRAY[…] expression of
        # one typed constant per value (twice the time).
        cursor.execute(
            f"INSERT INTO {VisitPlan._meta.db_table} ({columns}) "
            f"SELECT u.*, FALSE, %s FROM unnest({arrays}) AS u "
            "ON CONFLICT (retailer_id, window_start) DO NOTHING",
            [timezone.now(), *(_array_literal(column) for column in zip(*rows, strict=True))],
        )
        return cursor.rowcount


def _array_literal(values) -> str:
    """A PostgreSQL array literal of integers, dates or one-letter classes (nothing to
    quote); None is NULL."""
    if None in values:
        values = ("NULL" if value is None else value for value in values)
    return "{" + ",".join(map(str, values)) + "}"


def _plans_generate_city(first: date, company, rule_set, center=None) -> int:
    """Create the missing planned visits of ``first``'s month for one city company (or for
    the territories of one of its marketing centers); returns how many were created. Stops
    are held as small tuples and plans are written in batches, so at most ``PLAN_BATCH``
    plan objects exist at a time."""
    last = add_months(first, 1) - timedelta(days=1)
    in_city = Q(territory__department__company=company)
    month_assignments = RetailerAssignment.objects.filter(valid_from__lte=last).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=first)
    )
    if center is not None:
        # A center's part: the retailers assigned to one of its territories at some time in
        # the month, and only those assignments. A plan belongs to the assignment in force
        # at its window's end (periods do not overlap), so a window held by another
        # center's territory finds no period here and is that center's part's.
        month_assignments = month_assignments.filter(territory__department__parent=center)
        in_city &= Q(pk__in=month_assignments.values("retailer_id"))
    retailers = (
        Retailer.objects.active_on(first)
        .filter(in_city)
        .exclude(abc_class="")
        .values_list("pk", "abc_class", "latitude", "longitude")
    )
    # Each planned visit belongs to the manager assigned to the retailer on the last day of
    # its window (DOMAIN §10.3): the month's assignments, in one query, each retailer's in
    # date order (by retailer id, not by the retailers' licence numbers: no join needed).
    assignments = defaultdict(list)
    for retailer_id, territory_id, manager_id, valid_from, valid_to in (
        month_assignments.filter(retailer__in=Retailer.objects.filter(in_city))
        .order_by("retailer_id", "valid_from")
        .values_list("retailer_id", "territory_id", "manager_id", "valid_from", "valid_to")
        .iterator(chunk_size=5000)
    ):
        assignments[retailer_id].append((valid_from, valid_to, territory_id, manager_id))
    territories = {
        pk: _point(lat, lng)
        for pk, lat, lng in Territory.objects.filter(department__company=company)
        .filter(**({"department__parent": center} if center is not None else {}))
        .values_list("pk", "latitude", "longitude")
    }
    # Visit frequencies are the city's (its classification rules).
    windows = {klass: plan_windows(first, rule_set.visits_per_month(klass)) for klass in "ABC"}
    # Plans are spread over the city's working days (its holiday calendar).
    working = set(working_days(first, last, company.pk))
    groups = defaultdict(list)  # (territory, window) → stops
    for pk, klass, lat, lng in retailers.iterator(chunk_size=5000):
        for window in windows.get(klass, ()):
            held = _assigned(assignments.get(pk, ()), window[1])
            if held is None:
                continue
            territory_id, manager_id = held
            groups[(territory_id, window)].append((pk, klass, _point(lat, lng), manager_id))
    del assignments
    created = 0
    plans = []
    for (territory_id, (start, end)), stops in groups.items():
        centre = territories.get(territory_id)
        if centre is not None:
            stops.sort(
                key=lambda s: math.atan2(s[2][0] - centre[0], s[2][1] - centre[1]) if s[2] else 9
            )
        days = _working_days(start, end, working)
        per_day = math.ceil(len(stops) / len(days))
        for index, day in enumerate(days):
            chunk = stops[index * per_day : (index + 1) * per_day]
            for position, (pk, klass, _pos, manager_id) in enumerate(
                nearest_neighbour(chunk, centre, position=lambda s: s[2])
            ):
                plans.append(
                    (manager_id, territory_id, pk, first, start, end, klass, day, position + 1)
                )
            if len(plans) >= PLAN_BATCH:
                created += _write_plans(plans)
                plans = []
    created += _write_plans(plans)
    return created


def plans_follow_assignments(*, retailer_ids, since: date) -> int:
    """After a handover or covering: the planned visits of ``retailer_ids`` whose window ends
    on or after ``since`` go to the manager (and territory) assigned on the window's last
    day (DOMAIN §10.3). Two UPDATEs; returns the number of plans that changed hands."""
    on_end = RetailerAssignment.objects.filter(
        retailer_id=OuterRef("retailer_id"),
        valid_from__lte=OuterRef("window_end"),
        manager__isnull=False,
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=OuterRef("window_end")))
    plans = VisitPlan.objects.filter(retailer_id__in=retailer_ids, window_end__gte=since).filter(
        Exists(on_end)
    )
    changed = plans.exclude(manager_id=Subquery(on_end.values("manager_id")[:1])).update(
        manager_id=Subquery(on_end.values("manager_id")[:1])
    )
    plans.update(territory_id=Subquery(on_end.values("territory_id")[:1]))
    return changed


def plans_refresh_dropped(*, month: date, companies=None, center=None) -> int:
    """A planned visit whose window contains a day on which the retailer is not active drops
    out (neither planned nor missed, DOMAIN §10.2); one that is active throughout comes back.

    Decided by the status history, so the result does not depend on the day it runs.
    Set-based: the retailers not active throughout the span of all the month's windows are
    found once (one query; usually few); every other retailer is active throughout each
    window, so its plans are simply not dropped (one UPDATE), and only the plans of the
    few are decided window by window (two UPDATEs per distinct window, a handful). Returns
    the number of plans newly dropped. ``companies``, ``center``: only the plans of those
    cities' territories, of that marketing center's.
    """
    plans = VisitPlan.objects.filter(month=month_start(month))
    if companies is not None:
        plans = plans.filter(territory__department__company__in=companies)
    if center is not None:
        plans = plans.filter(territory__department__parent=center)
    windows = list(plans.values_list("window_start", "window_end").distinct().order_by())
    if not windows:
        return 0
    # Only a retailer whose status is not 正常, or with a status change to another status
    # somewhere in its history, can be inactive on some day: the status in force on a day
    # is the latest change by then, else the earliest one, else the retailer's status.
    ever_inactive = Retailer.objects.filter(
        ~Q(status=RetailerStatus.ACTIVE)
        | Q(
            pk__in=RetailerStatusChange.objects.exclude(status=RetailerStatus.ACTIVE).values(
                "retailer_id"
            )
        )
    ).values("pk")
    span = Retailer.objects.active_throughout(
        min(start for start, _end in windows), max(end for _start, end in windows)
    ).filter(pk__in=ever_inactive)
    unsteady = sorted(
        set(
            plans.filter(retailer_id__in=ever_inactive)
            .exclude(retailer_id__in=span.values("pk"))
            .values_list("retailer_id", flat=True)
            .distinct()
            .order_by()
        )
    )
    plans.filter(dropped=True).exclude(retailer_id__in=unsteady).update(dropped=False)
    dropped = 0
    for start, end in windows if unsteady else ():
        in_window = plans.filter(window_start=start, window_end=end, retailer_id__in=unsteady)
        active = Retailer.objects.active_throughout(start, end).filter(pk__in=unsteady)
        dropped += (
            in_window.filter(dropped=False)
            .exclude(retailer_id__in=active.values("pk"))
            .update(dropped=True)
        )
        in_window.filter(dropped=True, retailer_id__in=active.values("pk")).update(dropped=False)
    return dropped


@transaction.atomic
def plan_move(*, plan: VisitPlan, user, direction: int) -> None:
    """Swap a planned stop with its neighbour on the same day (direction −1 up, +1 down)."""
    if plan.manager_id != user.pk:
        raise ValidationError(_("Only the manager can reorder their own route."))
    day = list(
        VisitPlan.objects.select_for_update()
        .filter(manager=user, scheduled_for=plan.scheduled_for)
        .order_by("route_position", "pk")
    )
    index = next(i for i, p in enumerate(day) if p.pk == plan.pk)
    other = index + direction
    if not 0 <= other < len(day):
        return
    day[index], day[other] = day[other], day[index]
    for position, stop in enumerate(day, start=1):
        stop.route_position = position
    VisitPlan.objects.bulk_update(day, ["route_position"])


@transaction.atomic
def plan_reschedule(*, plan: VisitPlan, user, day: date) -> VisitPlan:
    """Move a planned stop to another day inside its window (at the end of that day's route)."""
    if plan.manager_id != user.pk:
        raise ValidationError(_("Only the manager can change their own plan."))
    if not plan.window_start <= day <= plan.window_end:
        raise ValidationError(
            _("Choose a day between %(start)s and %(end)s.")
            % {"start": plan.window_start, "end": plan.window_end}
        )
    last = (
        VisitPlan.objects.filter(manager=user, scheduled_for=day)
        .order_by("-route_position")
        .values_list("route_position", flat=True)
        .first()
    )
    plan.scheduled_for = day
    plan.route_position = (last or 0) + 1
    plan.save(update_fields=["scheduled_for", "route_position"])
    return plan


@transaction.atomic
def route_optimise(*, user, day: date, plans) -> None:
    """Put the given open stops on ``day`` as a nearest-neighbour walk from the first one.

    ``plans`` is the day's route (``selectors.plans.route_for``): stops carried over from
    earlier days of a still-open window move to ``day``.
    """
    stops = [p for p in plans if p.manager_id == user.pk]
    if not stops:
        return
    first, rest = stops[0], stops[1:]
    point = _point(first.retailer.latitude, first.retailer.longitude)
    ordered = [first] + nearest_neighbour(
        rest, point, position=lambda p: _point(p.retailer.latitude, p.retailer.longitude)
    )
    for position, plan in enumerate(ordered, start=1):
        plan.route_position = position
        plan.scheduled_for = day
    VisitPlan.objects.bulk_update(ordered, ["route_position", "scheduled_for"])
