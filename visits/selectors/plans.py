"""Reads of visit plans: a manager's route, the week, and completion for the assessment."""

from datetime import date, timedelta

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q

from retailers.models import RetailerAssignment, month_start

from ..models import Visit, VisitPlan, VisitStatus


def completing_visits():
    """Valid visits by the manager assigned to the retailer on the visit's day (one join to
    ``RetailerAssignment``): only those complete a planned visit (DOMAIN §10.3)."""
    # One filter() call: every condition is on the same assignment row.
    return Visit.objects.filter(
        Q(retailer__assignments__valid_to__isnull=True)
        | Q(retailer__assignments__valid_to__gt=F("check_in_date")),
        status=VisitStatus.VALID,
        retailer__assignments__manager_id=F("manager_id"),
        retailer__assignments__valid_from__lte=F("check_in_date"),
    )


def completed_visit_exists():
    """True when a valid visit to the plan's retailer checked in inside the plan's window,
    made by the manager assigned to the retailer on that day: a visit by the previous manager
    before a handover counts, one by them after it does not (DOMAIN §10.3)."""
    return Exists(
        completing_visits().filter(
            retailer_id=OuterRef("retailer_id"),
            check_in_date__gte=OuterRef("window_start"),
            check_in_date__lte=OuterRef("window_end"),
        )
    )


def route_for(user, day: date) -> list[VisitPlan]:
    """The open stops of ``day``: carried-over stops of open windows first, then the day's
    route in order; stops already visited come last, marked ``done``: the day's own, and
    carried-over ones completed by a visit made on ``day`` (they count as done today)."""
    plans = (
        VisitPlan.objects.visible_to(user)
        .filter(manager=user, dropped=False, scheduled_for__lte=day, window_end__gte=day)
        .annotate(
            done=completed_visit_exists(),
            done_on_day=Exists(
                completing_visits().filter(
                    retailer_id=OuterRef("retailer_id"),
                    check_in_date=day,
                    check_in_date__gte=OuterRef("window_start"),
                )
            ),
        )
        .select_related("retailer")
    )
    stops = [p for p in plans if not p.done or p.scheduled_for == day or p.done_on_day]
    return sorted(
        stops,
        key=lambda p: (p.done, p.scheduled_for == day, p.window_end, p.route_position, p.pk),
    )


def week_for(user, monday: date) -> dict[date, list[VisitPlan]]:
    """The manager's planned stops of the week starting ``monday``, by day (one query)."""
    days = {monday + timedelta(days=n): [] for n in range(7)}
    plans = (
        VisitPlan.objects.visible_to(user)
        .filter(manager=user, scheduled_for__range=(monday, monday + timedelta(days=6)))
        .annotate(done=completed_visit_exists())
        .select_related("retailer")
        .order_by("scheduled_for", "route_position", "pk")
    )
    for plan in plans:
        days[plan.scheduled_for].append(plan)
    return days


def plan_completion_counts(*, month: date, company=None) -> dict[int, dict]:
    """Planned and completed visits per manager for ``month``, in one aggregate query.

    Dropped plans (retailer not active for the whole window) are neither planned nor
    missed. A plan is completed as ``completed_visit_exists`` says: a valid visit to its
    retailer inside its window by the manager assigned to the retailer on the visit's day.
    {manager_id: {"planned": n, "completed": n}}. ``company``: the plans of one city
    company's territories.

    Set-based and sized by the plans it counts: only the visits of the planned retailers
    inside the plans' windows are read (through the visits' (retailer, day) index when one
    city is counted), joined to their assignment by retailer id (not through the retailer
    table), and matched to the plans with one hash join. (The semi-join of every plan with
    every valid visit of the province hashed all the province's visits for each city.)
    """
    plans = VisitPlan.objects.filter(month=month_start(month), dropped=False)
    if company is not None:
        plans = plans.filter(territory__department__company=company)
    plans_sql, plans_params = (
        plans.values("pk", "manager_id", "retailer_id", "window_start", "window_end")
        .order_by()
        .query.sql_with_params()
    )
    visits, assignments = Visit._meta.db_table, RetailerAssignment._meta.db_table
    sql = f"""
        WITH plans (id, manager_id, retailer_id, window_start, window_end) AS ({plans_sql}),
        visited AS (
            SELECT v.retailer_id, v.check_in_date
            FROM {visits} v
            JOIN {assignments} a ON a.retailer_id = v.retailer_id AND a.manager_id = v.manager_id
                 AND a.valid_from <= v.check_in_date
                 AND (a.valid_to IS NULL OR a.valid_to > v.check_in_date)
            WHERE v.status = %s AND v.retailer_id IN (SELECT retailer_id FROM plans)
                AND v.check_in_date >= (SELECT MIN(window_start) FROM plans)
                AND v.check_in_date <= (SELECT MAX(window_end) FROM plans)
        ),
        done AS (
            SELECT DISTINCT p.id
            FROM plans p
            JOIN visited v ON v.retailer_id = p.retailer_id
                 AND v.check_in_date >= p.window_start AND v.check_in_date <= p.window_end
        )
        SELECT p.manager_id, COUNT(*), COUNT(d.id)
        FROM plans p LEFT JOIN done d ON d.id = p.id
        GROUP BY p.manager_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*plans_params, VisitStatus.VALID])
        return {
            manager_id: {"planned": planned, "completed": completed}
            for manager_id, planned, completed in cursor.fetchall()
        }
