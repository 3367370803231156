"""Reads for the assessment: the scheme in force, and every manager's inputs for a month.

``gather_inputs`` issues one aggregate query per input kind for all managers at once
(GROUP BY manager); the number of queries does not depend on the number of managers.
"""

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.db.models import Count, Min, Prefetch, Q
from django.utils.translation import gettext as _

from accounts.models import Role, User
from retailers.models import (
    CARTONS_PER_BOX,
    Brand,
    KeyBrandMonth,
    OrderLine,
    SalesTarget,
    add_months,
    month_start,
    parse_month,
)
from retailers.selectors import (
    floored_cartons_with_key,
    managers_assigned_between,
    territories_held_on,
)
from visits.models import InformationItem, Validity, Visit, VisitStatus
from visits.selectors.feedback import (
    complaint_counts,
    information_counts,
    month_bounds,
    of_company,
    satisfaction_by_manager,
    work_plan_counts,
)
from visits.selectors.plans import plan_completion_counts
from visits.selectors.rates import territory_new_brand_rates

from .filters import ScoreFilter
from .models import (
    ROLE_LEVEL,
    Appeal,
    AssessmentMonth,
    AssessmentScheme,
    BonusPoint,
    Inspection,
    ItemScore,
    LateEntry,
    ManagerScore,
    MonthState,
    SchemeItem,
    ScoreAdjustment,
    blocks_new_appeal,
)
from .scoring import ItemSpec, ManagerInputs, SchemeSpec


def scheme_for(month: date, company=None) -> AssessmentScheme:
    """The scheme in force in ``month`` for a city company (its override, else the default)."""
    scheme = AssessmentScheme.objects.in_force(month_start(month), company)
    if scheme is None:
        raise AssessmentScheme.DoesNotExist(f"no assessment scheme in force in {month}")
    return scheme


def scheme_spec(scheme: AssessmentScheme) -> SchemeSpec:
    return SchemeSpec(
        items=tuple(
            ItemSpec(
                code=item.code,
                name=item.name,
                max_points=item.max_points,
                metric=item.metric,
                params=item.params,
            )
            for item in scheme.items.order_by("position", "pk")
        ),
        bonus_cap=scheme.bonus_cap,
    )


def open_month_for(day: date, company) -> date:
    """The month an inspection or bonus dated ``day`` counts in: its own month, unless that
    is already published in the city; then the next month that is not (an adjustment)."""
    month = month_start(day)
    published = set(
        AssessmentMonth.objects.filter(
            company=company, month__gte=month, state=MonthState.PUBLISHED
        ).values_list("month", flat=True)
    )
    while month in published:
        month = add_months(month, 1)
    return month


def locked_months(company_ids=None) -> dict[int, dict[date, str]]:
    """Months in review or published, by city company id → {month: state}.

    A dated change (a retailer's status, a handover, a move of an org unit) may not take effect
    inside such a month (DOMAIN §4); importers load this once and check every row against it.
    """
    months = AssessmentMonth.objects.exclude(state=MonthState.DRAFT)
    if company_ids is not None:
        months = months.filter(company_id__in=list(company_ids))
    locked: dict[int, dict[date, str]] = defaultdict(dict)
    for company_id, month, state in months.values_list("company_id", "month", "state"):
        locked[company_id][month] = state
    return locked


def locked_month_reason(day: date, company_id, locked=None) -> str | None:
    """Why a change dated ``day`` in a city may not take effect, or None when it may."""
    if locked is None:
        locked = locked_months([company_id])
    state = locked.get(company_id, {}).get(month_start(day))
    if state is None:
        return None
    return _(
        "%(month)s is %(state)s: a change may not take effect inside a month in review or "
        "published; date it in the next open month."
    ) % {"month": f"{month_start(day):%Y-%m}", "state": MonthState(state).label}


def gather_inputs(
    month: date, *, company=None, closed_at: datetime | None = None, late: bool = False
) -> dict[int, ManagerInputs]:
    """The inputs of every customer manager assessed in ``month`` (a fixed number of
    queries), of one city company when ``company`` is given.

    Assessed: every active customer manager, and every one (active or not) who held a
    territory or was credited with any fact on any day of the month (DOMAIN §4). Facts count
    for the manager assigned to the retailer on their date (DOMAIN §10.1); the territory is
    the one held on the month's last day (§10.4; none → 新品上柜率 不适用).

    ``late``: a published month recomputed with its late data (DOMAIN §4): reviews of
    information items and complaints count as they stand now, not as at ``closed_at``
    (work plans keep the close's cut-off: a plan handed in later is not late data).
    """
    reviewed_by = None if late else closed_at
    first = month_start(month)
    end = add_months(first, 1)
    # Net 条 per price class floored at 0, then summed (DOMAIN §10.5); the facts of one city
    # are read for that city alone (a province closes city by city).
    sales, key_sales = floored_cartons_with_key(
        start=first,
        end=end,
        key_brands=KeyBrandMonth.objects.filter(month=first).values("brand_id"),
        company=company,
    )
    plans = plan_completion_counts(month=first, company=company)
    info = information_counts(month=first, closed_at=reviewed_by, company=company)
    satisfaction = satisfaction_by_manager(month=first, company=company)
    work_plans = work_plan_counts(month=first, closed_at=closed_at, company=company)
    complaints = complaint_counts(month=first, closed_at=reviewed_by, company=company)
    credited = managers_assigned_between(first, end, company).union(
        sales, key_sales, plans, info, satisfaction, work_plans, complaints
    )
    managers = User.objects.filter(role=Role.CUSTOMER_MANAGER).filter(
        Q(is_active=True) | Q(pk__in=credited)
    )
    if company is not None:
        managers = managers.filter(org_unit__company=company)
    held = territories_held_on(end - timedelta(days=1), company)
    managers = {pk: held.get(pk) for pk in managers.values_list("pk", flat=True)}
    targets = {
        t.manager_id: t for t in SalesTarget.objects.filter(month=first, manager_id__in=managers)
    }
    new_rates = territory_new_brand_rates(month=first, company=company)
    brand_names = dict(
        Brand.objects.filter(
            pk__in={rate["brand_id"] for rates in new_rates.values() for rate in rates}
        ).values_list("pk", "name")
    )

    deductions = defaultdict(lambda: defaultdict(Decimal))
    deduction_ids = defaultdict(lambda: defaultdict(list))
    for pk, manager_id, code, points in (
        Inspection.objects.active()
        .filter(of_company("manager", company), month=first)
        .order_by("pk")
        .values_list("pk", "manager_id", "item_code", "points")
    ):
        deductions[manager_id][code] += points
        deduction_ids[manager_id][code].append(pk)
    bonus = defaultdict(Decimal)
    bonus_ids = defaultdict(list)
    for pk, manager_id, points in (
        BonusPoint.objects.filter(of_company("manager", company), month=first)
        .order_by("pk")
        .values_list("pk", "manager_id", "points")
    ):
        bonus[manager_id] += points
        bonus_ids[manager_id].append(pk)

    inputs = {}
    for manager_id, territory_id in managers.items():
        target = targets.get(manager_id)
        mean, count = satisfaction.get(manager_id, (None, 0))
        plan = plans.get(manager_id, {})
        late_missing = work_plans.get(manager_id, {})
        complaint = complaints.get(manager_id, {})
        inputs[manager_id] = ManagerInputs(
            sales_boxes=Decimal(sales.get(manager_id, 0)) / CARTONS_PER_BOX,
            sales_target_boxes=target.total_boxes if target else None,
            key_brand_boxes=Decimal(key_sales.get(manager_id, 0)) / CARTONS_PER_BOX,
            key_brand_target_boxes=target.key_brand_boxes if target else None,
            new_brand_rates=tuple(
                (rate["brand_id"], rate["observed_rate"], rate["target_rate"])
                for rate in new_rates.get(territory_id, [])
                if rate["target_rate"] is not None
            ),
            visits_planned=plan.get("planned", 0),
            visits_completed=plan.get("completed", 0),
            info_items=info.get(manager_id, 0),
            satisfaction_mean=mean,
            satisfaction_count=count,
            late_plans=late_missing.get("late", 0),
            missing_plans=late_missing.get("missing", 0),
            overdue_complaints=complaint.get("overdue", 0),
            substantiated_complaints=complaint.get("substantiated", 0),
            deductions=dict(deductions.get(manager_id, {})),
            deduction_evidence={
                code: tuple(ids) for code, ids in deduction_ids.get(manager_id, {}).items()
            },
            bonus=bonus.get(manager_id, Decimal(0)),
            bonus_evidence=tuple(bonus_ids.get(manager_id, ())),
            brand_names=brand_names,
        )
    return inputs


# --- The ranking (考核得分) page and its export ---------------------------------------------


@dataclass
class Ranking:
    """The scores of a month in the user's scope, with the page's filters applied.

    ``filterset.qs`` are the rows, in the page's order; ``columns`` the (code, name) of every
    item that appears in them, in scheme order (one column per item)."""

    months: list[date]
    month: date | None
    assessment: AssessmentMonth | None
    order: str
    filterset: object
    columns: list[tuple[str, str]]


def ranking_columns(scores) -> list[tuple[str, str]]:
    """(code, name) of the items of ``scores`` (a queryset), by position; one query."""
    rows = (
        ItemScore.objects.filter(score__in=scores.order_by().values("pk"))
        .values("code")
        .annotate(name=Min("name"), position=Min("position"))
        .order_by("position", "code")
    )
    return [(row["code"], row["name"]) for row in rows]


def ranking_for(user, params, request=None) -> Ranking:
    """The ranking page's rows: the month asked for (default: the latest computed one in the
    user's scope), sorted by total (``sort=total``: lowest first), ``ScoreFilter`` applied."""
    visible_months = AssessmentMonth.objects.visible_to(user)
    months = sorted(
        set(visible_months.filter(closed_at__isnull=False).values_list("month", flat=True)),
        reverse=True,
    )
    try:
        month = parse_month(params.get("month") or "")
    except ValueError:
        month = None
    month = month or (months[0] if months else None)
    # The state is shown for a user inside one city; a province shows every city's rows.
    in_month = list(visible_months.filter(month=month)[:2]) if month else []
    assessment = in_month[0] if len(in_month) == 1 else None
    order = "total" if params.get("sort") == "total" else "-total"
    queryset = (
        ManagerScore.objects.visible_to(user)
        .filter(assessment__month=month)
        .select_related("manager", "manager__org_unit", "territory")
        .prefetch_related("items")
        .order_by(order, "manager__employee_no")
    )
    request = request or SimpleNamespace(user=user)
    filterset = ScoreFilter(params, queryset=queryset, request=request)
    return Ranking(
        months=months,
        month=month,
        assessment=assessment,
        order=order,
        filterset=filterset,
        columns=ranking_columns(filterset.qs) if month else [],
    )


def decidable_appeals(user):
    """The appeals a supervisor decides: pending ones in their subtree against a decision
    (a deduction, a visit or an item marked invalid) of a lower level, or of level 1 for
    level 1, never against their own (the appeals page's queue and the home page's count)."""
    level = ROLE_LEVEL.get(user.role)
    if level is None:
        return Appeal.objects.none()
    return (
        Appeal.objects.visible_to(user).pending().decidable_by_level(level).exclude(marked_by=user)
    )


@dataclass
class MarkedInvalid:
    """A manager's visits and information items of a month that are marked invalid or were
    appealed, each with ``appeal`` (its latest appeal, or None): the score page lists them
    under the item they count for (DOMAIN §10.11)."""

    visits: list
    info_items: list


def _latest_appeals():
    return Prefetch("appeals", queryset=Appeal.objects.order_by("-filed_at", "-pk"))


def marked_invalid(manager_id: int, month: date) -> MarkedInvalid:
    """Four queries, whatever the number of rows."""
    first = month_start(month)
    end = add_months(first, 1)
    start_at, end_at = month_bounds(first)
    visits = list(
        Visit.objects.filter(
            Q(status=VisitStatus.INVALID) | Q(appeals__isnull=False),
            manager_id=manager_id,
            check_in_date__gte=first,
            check_in_date__lt=end,
        )
        .distinct()
        .select_related("retailer", "reviewed_by")
        .prefetch_related(_latest_appeals())
        .order_by("check_in_date", "checked_in_at", "pk")
    )
    items = list(
        InformationItem.objects.filter(
            Q(validity=Validity.INVALID) | Q(appeals__isnull=False),
            reported_by_id=manager_id,
            reported_at__gte=start_at,
            reported_at__lt=end_at,
        )
        .distinct()
        .select_related("reviewed_by")
        .prefetch_related(_latest_appeals())
        .order_by("reported_at", "pk")
    )
    for row in (*visits, *items):
        appeals = list(row.appeals.all())
        row.appeal = appeals[0] if appeals else None
    return MarkedInvalid(visits=visits, info_items=items)


def visit_appeal_state(user, visit, now: datetime) -> tuple[object, bool]:
    """(the latest appeal of ``visit`` or None, whether ``user`` may appeal it now): their own
    visit, marked invalid, of a month in review, within its appeal window (DOMAIN §10.11).
    The visit page's button; two small queries."""
    latest = visit.appeals.order_by("-filed_at", "-pk").first()
    if user.pk != visit.manager_id or visit.status != VisitStatus.INVALID:
        return latest, False
    assessment = AssessmentMonth.objects.filter(
        month=month_start(visit.check_in_date),
        company=user.company,
        state=MonthState.REVIEW,
    ).first()
    if assessment is None or now > assessment.appeal_window_end:
        return latest, False
    return latest, not blocks_new_appeal(latest, visit)


def item_codes_using(scheme, *input_names: str) -> dict[str, set[str]]:
    """{input name: the codes of the scheme's items whose rule reads it} (e.g. the item that
    counts ``visits_completed``), whatever the items are called; one query."""
    found = {name: set() for name in input_names}
    if scheme is None:
        return found
    for code, params in scheme.items.values_list("code", "params"):
        text = json.dumps(params)
        for name in input_names:
            if name in text:
                found[name].add(code)
    return found


def item_names() -> dict[str, str]:
    """Every item code's name, as people read it (信息反馈, not ``info``): the name in the
    latest scheme that has the code (one query)."""
    rows = SchemeItem.objects.order_by(
        "scheme__effective_from", "scheme__version", "pk"
    ).values_list("code", "name")
    return dict(rows)


def with_item_names(inspections):
    """The inspections, each with ``item_name`` (its code when no scheme knows it)."""
    inspections = list(inspections)
    names = item_names() if inspections else {}
    for inspection in inspections:
        inspection.item_name = names.get(inspection.item_code, inspection.item_code)
    return inspections


# --- The month lifecycle: months in order (DOMAIN §4) ------------------------------------------


def month_has_data(month: date, company) -> bool:
    """Whether a city company has anything dated in ``month`` that the assessment counts:
    order lines, visits, inspections or bonus points (a few indexed EXISTS queries)."""
    first, end = month_start(month), add_months(month_start(month), 1)
    return (
        OrderLine.objects.filter(
            retailer__territory__department__company=company,
            order_date__gte=first,
            order_date__lt=end,
        ).exists()
        or Visit.objects.filter(
            territory__department__company=company,
            check_in_date__gte=first,
            check_in_date__lt=end,
        ).exists()
        or Inspection.objects.filter(manager__org_unit__company=company, month=first).exists()
        or BonusPoint.objects.filter(manager__org_unit__company=company, month=first).exists()
    )


def missing_months(company, *, until: date) -> list[date]:
    """Months before ``until`` that have data but no assessment row, oldest first.

    The lifecycle of a city starts at its first assessment month (its first row): the order
    history imported before it (DOMAIN §9, for the classification) is not a missing month."""
    rows = set(AssessmentMonth.objects.filter(company=company).values_list("month", flat=True))
    if not rows:
        return []
    missing, month = [], min(rows)
    while month < month_start(until):
        if month not in rows and month_has_data(month, company):
            missing.append(month)
        month = add_months(month, 1)
    return missing


def months_blocking_review(month: date, company) -> list[date]:
    """The earlier months that keep ``month`` from review: a draft, or missing (data but no
    row). Months are closed in order (DOMAIN §4)."""
    first = month_start(month)
    drafts = set(
        AssessmentMonth.objects.filter(
            company=company, month__lt=first, state=MonthState.DRAFT
        ).values_list("month", flat=True)
    )
    return sorted(drafts | set(missing_months(company, until=first)))


@dataclass
class MonthRow:
    """One month of the months page: its row (None when missing) and its deadlines."""

    month: date
    record: AssessmentMonth | None
    managers: int
    pending: int
    close_by: date  # AlertRules.close_by_day of the next month: opened for review by then
    publish_by: date  # AlertRules.publish_by_day of the next month
    publishable_from: datetime | None  # strictly after this (the end of the appeal window)
    late: int = 0  # late data dated in the month (it was in review or published)
    adjustments: int = 0  # 调整 lines the month received

    @property
    def state(self) -> str:
        return self.record.state if self.record else "missing"


def month_rows(company, *, today: date) -> list[MonthRow]:
    """The months of a city company, newest first: every month with a row, and every month
    with data but no row up to last month, shown as missing (DOMAIN §4)."""
    from reports.models import AlertRules

    records = {
        row.month: row
        for row in AssessmentMonth.objects.filter(company=company)
        .select_related("scheme", "published_by", "sent_back_by")
        .annotate(managers=Count("scores"))
    }
    pending = dict(
        Appeal.objects.pending()
        .filter(manager__org_unit__company=company)
        .values_list("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    late = dict(
        LateEntry.objects.filter(company=company)
        .values_list("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    received = dict(
        ScoreAdjustment.objects.filter(assessment__company=company)
        .values_list("assessment__month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    months = set(records) | set(missing_months(company, until=month_start(today)))
    defaults = AlertRules()
    rows = []
    for month in sorted(months, reverse=True):
        record = records.get(month)
        following = add_months(month, 1)
        rules = AlertRules.objects.in_force(following, company) or defaults
        rows.append(
            MonthRow(
                month=month,
                record=record,
                managers=record.managers if record else 0,
                pending=pending.get(month, 0),
                close_by=following.replace(day=rules.close_by_day),
                publish_by=following.replace(day=rules.publish_by_day),
                publishable_from=(
                    record.appeal_window_end
                    if record and record.state == MonthState.REVIEW
                    else None
                ),
                late=late.get(month, 0),
                adjustments=received.get(month, 0),
            )
        )
    return rows


# --- Late data and 调整 lines (DOMAIN §4, §10.6) -----------------------------------------------


def adjustments_received(score: ManagerScore) -> list[ScoreAdjustment]:
    """The 调整 lines ``score``'s month received for its manager, oldest source month first,
    each with ``inspections``: the late deductions it carried (appealable in the review of
    this month, DOMAIN §10.11), with their latest appeal. Three queries."""
    lines = list(
        ScoreAdjustment.objects.filter(
            assessment_id=score.assessment_id, manager_id=score.manager_id
        ).order_by("source_month")
    )
    ids = {pk for line in lines for pk in line.explanation.get("inspections", [])}
    inspections = {}
    if ids:
        rows = with_item_names(
            Inspection.objects.filter(pk__in=ids)
            .select_related("inspector", "visit", "retailer")
            .prefetch_related(_latest_appeals())
            .order_by("inspected_on", "pk")
        )
        for row in rows:
            appeals = list(row.appeals.all())
            row.appeal = appeals[0] if appeals else None
            inspections[row.pk] = row
    for line in lines:
        line.inspections = [
            inspections[pk] for pk in line.explanation.get("inspections", []) if pk in inspections
        ]
    return lines


def adjustments_later(score: ManagerScore) -> list[ScoreAdjustment]:
    """The 调整 lines later months carried for ``score``'s month (its late data), each with
    ``score_id``: the manager's score of the receiving month, when there is one."""
    lines = list(
        ScoreAdjustment.objects.filter(
            manager_id=score.manager_id,
            source_month=score.assessment.month,
            assessment__company_id=score.assessment.company_id,
        )
        .select_related("assessment")
        .order_by("assessment__month")
    )
    if lines:
        scores = dict(
            ManagerScore.objects.filter(
                manager_id=score.manager_id,
                assessment__in=[line.assessment_id for line in lines],
            ).values_list("assessment_id", "pk")
        )
        for line in lines:
            line.score_id = scores.get(line.assessment_id)
    return lines


@dataclass
class MonthAdjustments:
    """What late data did to a city's month: the 调整 lines it received, the 补发/扣回 of its
    pay run, and the late data that arrived for it (and where it went)."""

    lines: list
    pay: list
    late: list
    pending: list


def month_adjustments(user, company, month: date) -> MonthAdjustments:
    """The adjustments page of a month (assessment center, HR, admin): scoped to ``user``."""
    from reports.models import PayAdjustment

    lines = list(
        ScoreAdjustment.objects.visible_to(user)
        .filter(assessment__company=company, assessment__month=month)
        .select_related("manager", "manager__org_unit")
        .order_by("source_month", "manager__employee_no")
    )
    pay = list(
        PayAdjustment.objects.visible_to(user)
        .filter(run__company=company, run__month=month)
        .select_related("manager", "run")
        .order_by("source_month", "manager__employee_no")
    )
    late = list(
        LateEntry.objects.visible_to(user)
        .filter(company=company, month=month)
        .select_related("manager", "carried_in")
        .order_by("-arrived_at", "-pk")[:500]
    )
    pending = list(
        LateEntry.objects.visible_to(user)
        .filter(company=company, carried_in__isnull=True)
        .select_related("manager")
        .order_by("month", "-arrived_at")[:500]
    )
    return MonthAdjustments(lines=lines, pay=pay, late=late, pending=pending)
