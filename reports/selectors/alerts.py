"""The alerts (预警) of DOMAIN.md §8: lists of things to act on, one function per rule.

Every rule starts from ``Model.objects.visible_to(user)`` and runs a fixed number of queries
whatever the number of rows. Thresholds are data: the ``AlertRules`` in force in the month
for the city company of each row (a province user sees several cities; each row is judged by
its own city's rules, in SQL through a ``CASE`` on the row's city).

Evaluation day (``AlertContext.day``): today for the current month, the last day for a past
month. A past month is over, so every visit window of it has ended (one ending on the last day
too); in the current month a window has ended when it ends before today. Rules over complete
months (订单异动, scores) take last month for the current month, else the month itself.

Who sees what (``sections_for``): supervisors, the assessment center, admins and leaders see
the retailer, visit and manager alerts of their subtree (the month deadlines: the assessment
center, admins and leaders); HR the pay runs waiting; admins also the pay runs and the tier
proposals; a customer manager 断订, 订单异动 and missed plans of their own territory (they are
the one who should visit).

``alerts_for`` gives the rows of every section, ``alert_counts`` their numbers (a COUNT where
SQL can count), ``alert_summary`` both at once; ``order_anomaly_rows`` is the 订单异动 report's
rows.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit, Role, User
from accounts.selectors import companies_visible_to
from assessment.coverage import coverage_report
from assessment.models import AssessmentMonth, ManagerScore, MonthState
from retailers.models import (
    OrderFileDrop,
    OrderFileStatus,
    Retailer,
    RetailerAssignment,
    RetailerStatus,
    add_months,
    month_start,
)
from retailers.selectors import assignment_in_force
from visits.models import Complaint, Visit, VisitPlan, VisitStatus
from visits.selectors.feedback import (
    COMPLAINT_RELATED,
    complaints_overdue,
    local_datetime,
    month_bounds,
)
from visits.selectors.plans import completed_visit_exists

from ..alerts import (
    anomaly_ratios,
    coverage_gap_raised,
    deadline_missed,
    evaluation_day,
    months_before,
    order_file_overdue,
    ratio_hundredths,
    score_flags,
)
from ..models import (
    AlertRules,
    PayRun,
    PayRunStatus,
    ProposalStatus,
    RetailerOrderMonth,
    TierProposal,
)
from .pay import runs_visible_to

NO_ORDERS = "no_orders"
ORDER_ANOMALY = "order_anomaly"
VIOLATIONS = "violations"
MISSED_PLANS = "missed_plans"
NOT_VISITED = "not_visited"
LOW_SCORES = "low_scores"
OVERDUE_COMPLAINTS = "overdue_complaints"
UNREVIEWED_VISITS = "unreviewed_visits"
COVERAGE_GAPS = "coverage_gaps"
LATE_MONTHS = "late_months"
PAY_RUNS = "pay_runs"
TIER_PROPOSALS = "tier_proposals"
ORDER_FILES = "order_files"

SECTION_LABELS = {
    NO_ORDERS: _("No orders (断订)"),
    ORDER_ANOMALY: _("Order anomaly (订单异动)"),
    VIOLATIONS: _("Repeated violations"),
    MISSED_PLANS: _("Missed planned visits"),
    NOT_VISITED: _("Retailers not visited this month"),
    LOW_SCORES: _("Low or falling scores"),
    OVERDUE_COMPLAINTS: _("Overdue complaints"),
    UNREVIEWED_VISITS: _("Flagged visits not reviewed"),
    COVERAGE_GAPS: _("Supervision coverage gaps"),
    LATE_MONTHS: _("Months not closed or published in time"),
    PAY_RUNS: _("Pay runs waiting for approval"),
    TIER_PROPOSALS: _("Tier proposals waiting for a decision"),
    ORDER_FILES: _("No order file received"),
}

# A customer manager: the retailer alerts of their own territory (they are the one to visit).
MANAGER_SECTIONS = (NO_ORDERS, ORDER_ANOMALY, MISSED_PLANS)
# Supervisors, the assessment center, admins and leaders: their subtree.
SUBTREE_SECTIONS = (
    NO_ORDERS,
    ORDER_ANOMALY,
    VIOLATIONS,
    MISSED_PLANS,
    NOT_VISITED,
    LOW_SCORES,
    OVERDUE_COMPLAINTS,
    UNREVIEWED_VISITS,
    COVERAGE_GAPS,
)
CITY_SECTIONS = (*SUBTREE_SECTIONS, LATE_MONTHS)


def sections_for(user) -> tuple[str, ...]:
    """The alert sections a user sees, in page order (none for a role without alerts)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ()
    leader = getattr(Role, "LEADER", None)
    if user.is_superuser or user.role == Role.ADMIN:
        return (*CITY_SECTIONS, ORDER_FILES, PAY_RUNS, TIER_PROPOSALS)
    if user.role == Role.CUSTOMER_MANAGER:
        return MANAGER_SECTIONS
    if leader and user.role == leader:
        return (*CITY_SECTIONS, ORDER_FILES)
    if user.role == Role.ASSESSMENT_CENTER:
        return CITY_SECTIONS
    if user.role in (Role.SERVICE_DEPT_SUPERVISOR, Role.MARKETING_CENTER_SUPERVISOR):
        return SUBTREE_SECTIONS
    if user.role == Role.HR:
        return (PAY_RUNS,)
    return ()


# --- The evaluation context ---------------------------------------------------------------------


@dataclass
class AlertContext:
    """What every rule needs: the month, the evaluation day and the thresholds per city."""

    user: User
    month: date  # first day
    day: date  # evaluation day
    current: bool  # the month is the current one (or later)
    moment: datetime  # the evaluation instant: now, or the end of the evaluation day
    companies: list[OrgUnit]
    rules: dict[int, AlertRules] = field(default_factory=dict)  # city company id → rules

    @property
    def last_day(self) -> date:
        return add_months(self.month, 1) - timedelta(days=1)

    @property
    def ended_before(self) -> date:
        """A visit window has ended when it ends before this day."""
        return self.day if self.current else self.day + timedelta(days=1)

    @property
    def complete_month(self) -> date:
        """The last complete month: last month for the current month, else the month."""
        return add_months(self.month, -1) if self.current else self.month

    def by_city(self, lookup: str, value_of, output_field) -> Case:
        """A CASE giving each row the threshold of its city (``lookup``: the row's city
        company id); rows of a city without rules get NULL (no alert)."""
        groups: dict = {}
        for company_id, rules in self.rules.items():
            if rules is not None:
                groups.setdefault(value_of(rules), []).append(company_id)
        whens = [
            When(**{f"{lookup}__in": ids}, then=Value(value, output_field=output_field))
            for value, ids in groups.items()
        ]
        return Case(*whens, default=Value(None, output_field=output_field))


def alert_context(user, *, month: date, today: date | None = None) -> AlertContext:
    """Two queries: the user's city companies and the alert rules in force for them."""
    real_today = timezone.localdate()
    today = today or real_today
    first = month_start(month)
    day = evaluation_day(first, today)
    current = first >= month_start(today)
    moment = timezone.now() if day == real_today else local_datetime(day + timedelta(days=1))
    companies = companies_visible_to(user)
    rules = AlertRules.objects.in_force_by_company(first, companies) if companies else {}
    return AlertContext(user, first, day, current, moment, companies, rules)


RETAILER_CITY = "territory__department__company_id"
RETAILER_RELATED = ("territory__manager", "territory__department")


def _limited(queryset, limit):
    return list(queryset if limit is None else queryset[:limit])


# --- 断订: no orders --------------------------------------------------------------------------


@dataclass
class NoOrderAlert:
    retailer: Retailer
    last_order_date: date | None  # None: never ordered
    since: date  # the last order, or the start of the retailer's first assignment
    days: int


def _no_orders_queryset(ctx: AlertContext):
    last_order = (
        RetailerOrderMonth.objects.filter(
            retailer=OuterRef("pk"), month__lte=ctx.month, last_order_date__isnull=False
        )
        .order_by("-last_order_date")
        .values("last_order_date")[:1]
    )
    started = (
        RetailerAssignment.objects.filter(retailer=OuterRef("pk"))
        .order_by("valid_from")
        .values("valid_from")[:1]
    )
    cutoff = ctx.by_city(
        RETAILER_CITY, lambda r: ctx.day - timedelta(days=r.no_order_days), DateField()
    )
    # Active on every day of the last ``no_order_days`` (per city) up to the evaluation day,
    # by the status history: a retailer back from a suspension is not 断订 at once.
    lasting = Q(pk__in=[])
    spans: dict[int, list[int]] = {}
    for company_id, rules in ctx.rules.items():
        if rules is not None:
            spans.setdefault(rules.no_order_days, []).append(company_id)
    for days, ids in spans.items():
        active = Retailer.objects.active_throughout(ctx.day - timedelta(days=days), ctx.day)
        lasting |= Q(**{f"{RETAILER_CITY}__in": ids}, pk__in=active.values("pk"))
    return (
        Retailer.objects.visible_to(ctx.user)
        .filter(lasting)
        .annotate(
            last_order=Subquery(last_order, output_field=DateField()),
            started=Coalesce(
                Subquery(started, output_field=DateField()),
                TruncDate("created_at"),
                output_field=DateField(),
            ),
            cutoff=cutoff,
        )
        .annotate(since=Coalesce("last_order", "started", output_field=DateField()))
        .filter(started__lte=F("cutoff"))
        .filter(Q(last_order__isnull=True) | Q(last_order__lte=F("cutoff")))
    )


def no_orders(ctx: AlertContext, limit=None) -> list[NoOrderAlert]:
    """断订: active retailers without a positive order line for ``no_order_days`` or more."""
    queryset = (
        _no_orders_queryset(ctx).select_related(*RETAILER_RELATED).order_by("since", "license_no")
    )
    return [
        NoOrderAlert(
            retailer=r,
            last_order_date=r.last_order,
            since=r.since,
            days=(ctx.day - r.since).days,
        )
        for r in _limited(queryset, limit)
    ]


# --- 订单异动: order anomaly ----------------------------------------------------------------


@dataclass
class OrderAnomaly:
    """One retailer whose orders fell against its department's (relative < the threshold).

    Cartons are 条 net of returns, floored at 0. Ratios are exact quotients rounded to 4
    decimals: ``retailer_ratio`` = this ÷ last, ``department_ratio`` = the department's
    Σ this ÷ Σ last, ``relative`` = retailer_ratio ÷ department_ratio.
    """

    retailer: Retailer
    manager: User | None
    department_name: str
    this_cartons: int
    last_cartons: int
    retailer_ratio: Decimal
    department_ratio: Decimal
    relative: Decimal
    this_month: date | None = None
    last_month: date | None = None
    department_this_cartons: int = 0
    department_last_cartons: int = 0


def anomaly_months(ctx: AlertContext) -> tuple[date, date]:
    """(this, last): the complete months compared."""
    this = ctx.complete_month
    return this, add_months(this, -1)


def _department_nets(ctx: AlertContext, this: date, last: date) -> dict[int, dict]:
    """{department id: {"company": id, "this": Σ floored net, "last": …}} over every retailer
    of the departments the user sees retailers in (one aggregate query). A department is a
    whole: a customer manager's retailers are compared with all of their department's."""
    floored = Greatest(F("net_cartons"), Value(0))
    departments = Retailer.objects.visible_to(ctx.user).values("territory__department_id")
    rows = (
        RetailerOrderMonth.objects.filter(
            month__in=[this, last], retailer__territory__department_id__in=departments
        )
        .values("retailer__territory__department_id", "retailer__territory__department__company_id")
        .annotate(
            this=Sum(Case(When(month=this, then=floored), default=Value(0))),
            last=Sum(Case(When(month=last, then=floored), default=Value(0))),
        )
        .order_by()
    )
    return {
        row["retailer__territory__department_id"]: {
            "company": row["retailer__territory__department__company_id"],
            "this": row["this"] or 0,
            "last": row["last"] or 0,
        }
        for row in rows
    }


def _anomaly_queryset(ctx: AlertContext, this: date, last: date, departments: dict):
    def net(month):
        return Greatest(
            Coalesce(
                Subquery(
                    RetailerOrderMonth.objects.filter(retailer=OuterRef("pk"), month=month).values(
                        "net_cartons"
                    )[:1],
                    output_field=IntegerField(),
                ),
                Value(0),
            ),
            Value(0),
        )

    # relative < ratio  ⇔  this × 100 × Σlast < last × (100 × ratio) × Σthis, in integers.
    this_side, last_side = [], []
    for pk, dept in departments.items():
        rules = ctx.rules.get(dept["company"])
        if rules is None or not dept["this"] or not dept["last"]:
            continue
        hundredths = ratio_hundredths(rules.anomaly_ratio)
        this_side.append(When(territory__department_id=pk, then=Value(100 * dept["last"])))
        last_side.append(When(territory__department_id=pk, then=Value(hundredths * dept["this"])))
    if not this_side:
        return None  # no department with orders in both months: nothing to compare
    big = BigIntegerField()
    return (
        Retailer.objects.visible_to(ctx.user)
        .active_on(ctx.day)
        .annotate(this_net=net(this), last_net=net(last))
        .filter(last_net__gt=0)
        .annotate(
            lhs=ExpressionWrapper(F("this_net") * Case(*this_side, output_field=big), big),
            rhs=ExpressionWrapper(F("last_net") * Case(*last_side, output_field=big), big),
        )
        .filter(lhs__lt=F("rhs"))
        .annotate(order=Cast("lhs", FloatField()) / Cast("rhs", FloatField()))
    )


def order_anomalies(ctx: AlertContext, limit=None) -> list[OrderAnomaly]:
    this, last = anomaly_months(ctx)
    departments = _department_nets(ctx, this, last)
    queryset = _anomaly_queryset(ctx, this, last, departments)
    if queryset is None:
        return []
    queryset = queryset.select_related(*RETAILER_RELATED).order_by("order", "license_no")
    rows = []
    for r in _limited(queryset, limit):
        dept = departments[r.territory.department_id]
        ratios = anomaly_ratios(r.this_net, r.last_net, dept["this"], dept["last"])
        rows.append(
            OrderAnomaly(
                retailer=r,
                manager=r.territory.manager,
                department_name=r.territory.department.name,
                this_cartons=r.this_net,
                last_cartons=r.last_net,
                retailer_ratio=ratios[0],
                department_ratio=ratios[1],
                relative=ratios[2],
                this_month=this,
                last_month=last,
                department_this_cartons=dept["this"],
                department_last_cartons=dept["last"],
            )
        )
    return rows


def order_anomaly_rows(user, *, month: date) -> list[OrderAnomaly]:
    """订单异动 of ``month`` (evaluated today): the rows of the alert and of its report,
    lowest relative ratio first."""
    return order_anomalies(alert_context(user, month=month))


# --- Violations ---------------------------------------------------------------------------------


@dataclass
class ViolationAlert:
    retailer: Retailer
    violations: int
    latest: date
    window_from: date  # violations dated after this day (and up to the evaluation day) count


def _violations_queryset(ctx: AlertContext):
    groups: dict[date, list[int]] = {}
    for company_id, rules in ctx.rules.items():
        if rules is not None:
            groups.setdefault(months_before(ctx.day, rules.violation_months), []).append(company_id)
    if not groups:  # no rules in force that day: no rows, with the columns the callers order by
        return Retailer.objects.none().annotate(
            n_violations=Value(0), latest_violation=Value(None, output_field=DateField())
        )
    window = Q()
    for since, ids in groups.items():
        window |= Q(**{f"{RETAILER_CITY}__in": ids}, violations__occurred_on__gt=since)
    window &= Q(violations__occurred_on__lte=ctx.day)
    return (
        Retailer.objects.visible_to(ctx.user)
        .exclude(pk__in=Retailer.objects.status_on(ctx.day, RetailerStatus.CANCELLED).values("pk"))
        .annotate(
            n_violations=Count("violations", filter=window),
            latest_violation=Max("violations__occurred_on", filter=window),
            minimum=ctx.by_city(RETAILER_CITY, lambda r: r.violation_count, IntegerField()),
            window_from=ctx.by_city(
                RETAILER_CITY,
                lambda r: months_before(ctx.day, r.violation_months),
                DateField(),
            ),
        )
        .filter(n_violations__gte=F("minimum"), n_violations__gt=0)
    )


def violations(ctx: AlertContext, limit=None) -> list[ViolationAlert]:
    """Retailers with ``violation_count`` or more violations in the last ``violation_months``."""
    queryset = (
        _violations_queryset(ctx)
        .select_related(*RETAILER_RELATED)
        .order_by("-n_violations", "-latest_violation", "license_no")
    )
    return [
        ViolationAlert(
            retailer=r,
            violations=r.n_violations,
            latest=r.latest_violation,
            window_from=r.window_from,
        )
        for r in _limited(queryset, limit)
    ]


# --- Missed planned visits, retailers not visited -----------------------------------------------


def _missed_plans_queryset(ctx: AlertContext):
    return (
        VisitPlan.objects.visible_to(ctx.user)
        .filter(month=ctx.month, dropped=False, window_end__lt=ctx.ended_before)
        .annotate(done=completed_visit_exists())
        .filter(done=False)
    )


def missed_plans(ctx: AlertContext, limit=None) -> list[VisitPlan]:
    """Planned visits whose window has ended without a completed visit (dropped ones left
    out), oldest window first."""
    queryset = _missed_plans_queryset(ctx).select_related(
        "retailer", "manager", "territory__department"
    )
    return _limited(queryset.order_by("window_end", "retailer__license_no", "pk"), limit)


def _not_visited_queryset(ctx: AlertContext):
    visited = Visit.objects.filter(
        retailer=OuterRef("pk"),
        status=VisitStatus.VALID,
        check_in_date__gte=ctx.month,
        check_in_date__lte=ctx.day,
    )
    # A retailer someone was assigned to on the evaluation day (a covering manager too).
    served = RetailerAssignment.objects.filter(
        assignment_in_force(ctx.day), retailer=OuterRef("pk"), manager__isnull=False
    )
    return (
        Retailer.objects.visible_to(ctx.user)
        .active_on(ctx.day)
        .filter(Exists(served))
        .filter(~Exists(visited))
    )


def not_visited(ctx: AlertContext, limit=None) -> list[Retailer]:
    """Active retailers of a territory with a manager and no valid visit in the month up to
    the evaluation day (the current month: so far)."""
    queryset = _not_visited_queryset(ctx).select_related(*RETAILER_RELATED)
    return _limited(queryset.order_by("territory__code", "license_no"), limit)


# --- Scores -------------------------------------------------------------------------------------


@dataclass
class ScoreAlert:
    score: ManagerScore
    manager: User
    total: Decimal
    previous: Decimal | None
    below_floor: bool
    dropped: bool
    floor: Decimal
    drop_threshold: Decimal

    @property
    def drop(self) -> Decimal | None:
        return None if self.previous is None else self.previous - self.total


def low_scores(ctx: AlertContext, limit=None) -> list[ScoreAlert]:
    """Managers whose published total of the last complete month is below ``score_floor``,
    or ``score_drop`` or more points below their published total of the month before.

    Python compares the Decimals exactly (one row per manager: a city has ~200)."""
    month = ctx.complete_month
    previous = ManagerScore.objects.filter(
        manager=OuterRef("manager"),
        assessment__company=OuterRef("assessment__company"),
        assessment__month=add_months(month, -1),
        assessment__state=MonthState.PUBLISHED,
    ).values("total")[:1]
    scores = (
        ManagerScore.objects.visible_to(ctx.user)
        .filter(assessment__month=month, assessment__state=MonthState.PUBLISHED)
        .annotate(previous=Subquery(previous))
        .select_related("manager", "manager__org_unit", "assessment", "territory")
        .order_by("total", "manager__employee_no")
    )
    rows = []
    for score in scores:
        rules = ctx.rules.get(score.assessment.company_id)
        if rules is None:
            continue
        below, dropped = score_flags(
            score.total, score.previous, rules.score_floor, rules.score_drop
        )
        if below or dropped:
            rows.append(
                ScoreAlert(
                    score=score,
                    manager=score.manager,
                    total=score.total,
                    previous=score.previous,
                    below_floor=below,
                    dropped=dropped,
                    floor=rules.score_floor,
                    drop_threshold=rules.score_drop,
                )
            )
    return rows if limit is None else rows[:limit]


# --- Complaints, flagged visits -----------------------------------------------------------------


def _overdue_complaints_queryset(ctx: AlertContext):
    if ctx.current:
        return complaints_overdue(user=ctx.user, now=ctx.moment)
    start, end = month_bounds(ctx.month)
    return (
        Complaint.objects.visible_to(ctx.user)
        .filter(resolve_by__gte=start, resolve_by__lt=end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=F("resolve_by")))
        .select_related(*COMPLAINT_RELATED)
        .order_by("resolve_by")
    )


def overdue_complaints(ctx: AlertContext, limit=None) -> list[Complaint]:
    """The current month: unresolved complaints past a service-level deadline; a past month:
    complaints whose 72 h deadline fell in it and that were not resolved by then."""
    return _limited(_overdue_complaints_queryset(ctx).order_by("resolve_by", "pk"), limit)


def _unreviewed_visits_queryset(ctx: AlertContext):
    return (
        Visit.objects.visible_to(ctx.user)
        .flagged()
        .filter(check_in_date__gte=ctx.month, check_in_date__lte=ctx.day)
        .filter(Q(reviewed_at__isnull=True) | Q(reviewed_at__gte=ctx.moment))
    )


def unreviewed_visits(ctx: AlertContext, limit=None) -> list[Visit]:
    """Flagged visits of the month (up to the evaluation day) no supervisor has reviewed."""
    queryset = _unreviewed_visits_queryset(ctx).select_related("retailer", "manager")
    return _limited(queryset.order_by("checked_in_at", "pk"), limit)


# --- Supervision coverage -----------------------------------------------------------------------


@dataclass
class CoverageGap:
    level: int  # 3: a manager of a department; 2: a marketing center; 1: a city company
    unit: OrgUnit
    manager: User | None
    done: int  # level 3: inspections of the manager; 2 and 1: managers inspected
    required: int  # level 3: inspections required; 2 and 1: managers required

    @property
    def missing(self) -> int:
        return max(self.required - self.done, 0)


def coverage_gaps(ctx: AlertContext, limit=None) -> list[CoverageGap]:
    """Supervision below the minimum coverage of ``assessment.coverage`` (层层监控), in three
    queries; raised as ``coverage_gap_raised`` says (levels 2 and 1: once the month is over)."""
    report = coverage_report(user=ctx.user, month=ctx.month)
    over = not ctx.current
    rows = []
    for department in report.departments:
        for gap in department.gaps:
            missing = report.level3_minimum - gap.inspections
            if coverage_gap_raised(
                missing=missing, day=ctx.day, last_day=ctx.last_day, month_over=over
            ):
                rows.append(
                    CoverageGap(
                        level=3,
                        unit=department.unit,
                        manager=gap.manager,
                        done=gap.inspections,
                        required=report.level3_minimum,
                    )
                )
    if over:
        for level, shares in ((2, report.centers), (1, report.companies)):
            for share in shares:
                if not share.ok:
                    rows.append(
                        CoverageGap(
                            level=level,
                            unit=share.unit,
                            manager=None,
                            done=share.inspected,
                            required=share.required,
                        )
                    )
    return rows if limit is None else rows[:limit]


# --- Month deadlines ----------------------------------------------------------------------------


@dataclass
class LateMonth:
    company: OrgUnit
    month: date  # the assessed month (the one before the page's month)
    step: str  # "close" or "publish"
    deadline: date
    done_on: date | None  # when it was done, if by the evaluation day (then: late)

    @property
    def label(self):
        return _("Not closed in time") if self.step == "close" else _("Not published in time")


def _local_date(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment is not None else None


def late_months(ctx: AlertContext, limit=None) -> list[LateMonth]:
    """Last month of each city company the user sees, not closed (opened for review) by
    ``close_by_day`` or not published by ``publish_by_day`` of the month: raised from the
    day after the deadline it missed (one query)."""
    assessed = add_months(ctx.month, -1)
    states = {
        m.company_id: m
        for m in AssessmentMonth.objects.filter(company__in=ctx.companies, month=assessed)
    }
    rows = []
    for company in ctx.companies:
        rules = ctx.rules.get(company.pk)
        if rules is None:
            continue
        record = states.get(company.pk)
        for step, by_day, moment in (
            ("close", rules.close_by_day, record.review_from if record else None),
            ("publish", rules.publish_by_day, record.published_at if record else None),
        ):
            deadline = ctx.month.replace(day=by_day)
            done_on = _local_date(moment)
            if done_on is not None and done_on > ctx.day:
                done_on = None  # done after the evaluation day: not done yet then
            if deadline_missed(deadline=deadline, done_on=done_on, day=ctx.day):
                rows.append(
                    LateMonth(
                        company=company,
                        month=assessed,
                        step=step,
                        deadline=deadline,
                        done_on=done_on,
                    )
                )
    return rows if limit is None else rows[:limit]


# --- The order inbox (DOMAIN.md §9) ----------------------------------------------------------


@dataclass
class OrderFileAlert:
    company: OrgUnit
    expected_days: int
    last_file: OrderFileDrop | None  # the last file imported by the evaluation day

    @property
    def last_received(self) -> date | None:
        return timezone.localdate(self.last_file.received_at) if self.last_file else None


def order_files_missing(ctx: AlertContext, limit=None) -> list[OrderFileAlert]:
    """Each city company the user sees for which no order file was imported from the order
    inbox for ``order_file_expected_days`` days (admins and leaders; one query). Nothing when
    the inbox is off (``ORDERS_INBOX_DIR`` empty): orders then come by hand."""
    if not settings.ORDERS_INBOX_DIR:
        return []
    last = (
        OrderFileDrop.objects.filter(status=OrderFileStatus.DONE, received_at__lt=ctx.moment)
        .order_by("-received_at")
        .first()
    )
    last_received = timezone.localdate(last.received_at) if last else None
    rows = [
        OrderFileAlert(
            company=company, expected_days=rules.order_file_expected_days, last_file=last
        )
        for company in ctx.companies
        if (rules := ctx.rules.get(company.pk)) is not None
        and order_file_overdue(
            last_received=last_received, day=ctx.day, expected_days=rules.order_file_expected_days
        )
    ]
    return rows if limit is None else rows[:limit]


# --- Pay runs and tier proposals waiting --------------------------------------------------------


def _pay_runs_queryset(ctx: AlertContext):
    return (
        runs_visible_to(ctx.user)
        .filter(prepared_at__lt=ctx.moment)
        .filter(Q(status=PayRunStatus.PREPARED) | Q(approved_at__gte=ctx.moment))
    )


def pay_runs_waiting(ctx: AlertContext, limit=None) -> list[PayRun]:
    """Pay runs prepared and not approved by the evaluation day (HR and admins)."""
    queryset = _pay_runs_queryset(ctx).select_related("company", "prepared_by")
    return _limited(queryset.order_by("month", "company__code"), limit)


def _tier_proposals_queryset(ctx: AlertContext):
    return (
        TierProposal.objects.visible_to(ctx.user)
        .filter(quarter_start__lte=add_months(month_start(ctx.day), -3))
        .filter(Q(status=ProposalStatus.PROPOSED) | Q(decided_at__gte=ctx.moment))
    )


def tier_proposals_waiting(ctx: AlertContext, limit=None) -> list[TierProposal]:
    """Tier proposals of ended quarters still waiting for an admin's decision."""
    queryset = _tier_proposals_queryset(ctx).select_related("manager", "manager__org_unit")
    return _limited(queryset.order_by("quarter_start", "manager__employee_no"), limit)


# --- All of them --------------------------------------------------------------------------------

ROWS = {
    NO_ORDERS: no_orders,
    ORDER_ANOMALY: order_anomalies,
    VIOLATIONS: violations,
    MISSED_PLANS: missed_plans,
    NOT_VISITED: not_visited,
    LOW_SCORES: low_scores,
    OVERDUE_COMPLAINTS: overdue_complaints,
    UNREVIEWED_VISITS: unreviewed_visits,
    COVERAGE_GAPS: coverage_gaps,
    LATE_MONTHS: late_months,
    PAY_RUNS: pay_runs_waiting,
    TIER_PROPOSALS: tier_proposals_waiting,
    ORDER_FILES: order_files_missing,
}


def _count_anomalies(ctx: AlertContext) -> int:
    this, last = anomaly_months(ctx)
    queryset = _anomaly_queryset(ctx, this, last, _department_nets(ctx, this, last))
    return 0 if queryset is None else queryset.count()


# Sections counted in SQL; the others count the rows they compute (few: managers, units).
COUNTS = {
    NO_ORDERS: lambda ctx: _no_orders_queryset(ctx).count(),
    ORDER_ANOMALY: _count_anomalies,
    VIOLATIONS: lambda ctx: _violations_queryset(ctx).count(),
    MISSED_PLANS: lambda ctx: _missed_plans_queryset(ctx).count(),
    NOT_VISITED: lambda ctx: _not_visited_queryset(ctx).count(),
    OVERDUE_COMPLAINTS: lambda ctx: _overdue_complaints_queryset(ctx).count(),
    UNREVIEWED_VISITS: lambda ctx: _unreviewed_visits_queryset(ctx).count(),
    PAY_RUNS: lambda ctx: _pay_runs_queryset(ctx).count(),
    TIER_PROPOSALS: lambda ctx: _tier_proposals_queryset(ctx).count(),
}


def alert_summary(
    user, *, month: date, today: date | None = None, limit: int | None = None
) -> tuple[dict[str, int], dict[str, list]]:
    """({section: number of rows}, {section: its first ``limit`` rows}) of every alert the
    user sees, in page order, each section gathered once (the page and the API)."""
    ctx = alert_context(user, month=month, today=today)
    counts, rows = {}, {}
    for section in sections_for(user):
        if section in COUNTS:
            counts[section] = COUNTS[section](ctx)
            rows[section] = ROWS[section](ctx, limit)
        else:
            every = ROWS[section](ctx)
            counts[section] = len(every)
            rows[section] = every if limit is None else every[:limit]
    return counts, rows


def alerts_for(
    user, *, month: date, today: date | None = None, limit: int | None = None
) -> dict[str, list]:
    """{section: rows} of every alert the user sees (``sections_for``), in page order;
    ``limit`` caps the rows of each section."""
    ctx = alert_context(user, month=month, today=today)
    return {section: ROWS[section](ctx, limit) for section in sections_for(user)}


def alert_counts(user, *, month: date, today: date | None = None) -> dict[str, int]:
    """{section: number of rows} for home pages: a COUNT per section where SQL can count."""
    ctx = alert_context(user, month=month, today=today)
    return {
        section: COUNTS[section](ctx) if section in COUNTS else len(ROWS[section](ctx))
        for section in sections_for(user)
    }
