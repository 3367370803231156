"""What needs doing today, per role, for the home page and the dashboard (a fixed number of
queries whatever the size of the company).

``todo_for(user, *, today=None, now=None) -> list[TodoItem]``: counts with a link to the rows
behind each, scoped by ``visible_to``:

- supervisors of the three levels, admins and leaders (a leader only reads: the same counts,
  as information): flagged visits not yet reviewed (this month and last month, which may
  still be open), overdue complaints, pending appeals they may decide (a leader or an admin:
  every pending appeal they see), org units below the inspection minimum this month so far
  (``assessment.coverage``), and the alerts (``reports.selectors.alerts.alert_counts``, when
  that module provides it);
- HR and admins: pay runs waiting for approval, published months without a pay run (since
  the city's first run);
- the assessment center and admins: months to close (a draft or missing month whose
  close-by day has passed), computed drafts to open for review before that day, months in
  review to publish (appeal window over, no appeal pending); the appeals level 1 decides
  are the assessment center's "appeals to decide" above;
- a customer manager: today's stops still to visit (the day's route and the stops carried
  over from earlier days of open windows), and their alerts.

Items come in order of urgency: danger, warning, info, then those with nothing to do (count
0, kept so that a page can say so).

``manager_progress(user, *, today=None)``: a customer manager's month so far, item by item,
and their rank in their department in the last computed month.

"Today" is Asia/Shanghai; deadlines are judged at ``now`` (default: now, or the end of
``today`` when a past or future day is given).
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.selectors import companies_visible_to
from assessment.coverage import coverage_report
from assessment.models import (
    ROLE_LEVEL,
    Appeal,
    AppealStatus,
    AssessmentMonth,
    AssessmentScheme,
    ManagerScore,
    MonthState,
)
from assessment.selectors import decidable_appeals
from retailers.models import (
    CARTONS_PER_BOX,
    KeyBrandMonth,
    OrderLine,
    SalesTarget,
    add_months,
    month_start,
)
from retailers.selectors import assigned_on_order_date
from visits.models import InformationItem, Validity, Visit, VisitPlan
from visits.selectors.feedback import complaints_overdue, local_datetime, month_bounds
from visits.selectors.plans import completed_visit_exists, route_for

from ..models import AlertRules, PayRunStatus
from .pay import runs_visible_to

DANGER, WARNING, INFO = "danger", "warning", "info"
LEVEL_ORDER = {DANGER: 0, WARNING: 1, INFO: 2}

LEADER = getattr(Role, "LEADER", None)
OVERSIGHT_ROLES = tuple(
    role
    for role in (
        Role.SERVICE_DEPT_SUPERVISOR,
        Role.MARKETING_CENTER_SUPERVISOR,
        Role.ASSESSMENT_CENTER,
        Role.ADMIN,
        LEADER,
    )
    if role is not None
)
PAY_ROLES = (Role.HR, Role.ADMIN)
MONTH_ROLES = (Role.ASSESSMENT_CENTER, Role.ADMIN)


@dataclass(frozen=True)
class TodoItem:
    key: str
    label: str
    count: int
    url: str = ""  # empty: the user has no page for these rows
    level: str = INFO
    note: str = ""


def _url(name: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(name) + (f"?{query}" if query else "")


def _ym(month: date) -> str:
    return f"{month:%Y-%m}"


def _role(user) -> str:
    """The user's role; a superuser outside the tree works as an admin."""
    if user.is_superuser and not user.role:
        return Role.ADMIN
    return user.role


def _moment(today: date | None, now: datetime | None) -> tuple[date, datetime]:
    """Today and the instant deadlines are judged at: now, or the end of ``today`` when
    another day than the real today is given."""
    real_today = timezone.localdate()
    today = today or (timezone.localdate(now) if now else real_today)
    if now is None:
        now = timezone.now() if today == real_today else local_datetime(today + timedelta(1))
    return today, now


def _sorted(items: list[TodoItem]) -> list[TodoItem]:
    return sorted(items, key=lambda item: (item.count == 0, LEVEL_ORDER.get(item.level, 3)))


def todo_for(user, *, today: date | None = None, now: datetime | None = None) -> list[TodoItem]:
    """The user's to-dos of ``today`` (see the module docstring)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    today, now = _moment(today, now)
    role = _role(user)
    items: list[TodoItem] = []
    if role == Role.CUSTOMER_MANAGER:
        items.append(_stops_item(user, today))
    if role in OVERSIGHT_ROLES:
        items.extend(_oversight_items(user, role, today, now))
    if role in MONTH_ROLES:
        items.extend(_month_items(user, today, now))
    if role in PAY_ROLES:
        items.extend(_pay_items(user))
    if role in (*OVERSIGHT_ROLES, Role.CUSTOMER_MANAGER):
        alerts = _alerts_item(user, role, today)
        if alerts is not None:
            items.append(alerts)
    return _sorted(items)


# --- Customer manager: today's stops -------------------------------------------------------


@dataclass(frozen=True)
class StopCounts:
    planned_today: int  # the day's route, done or not
    done_today: int
    carried_over: int  # earlier days' stops of windows still open, not yet done
    to_do: int  # everything still to visit today


def stop_counts(user, day: date) -> StopCounts:
    """Today's route in numbers (``visits.selectors.plans.route_for``, one query)."""
    stops = route_for(user, day)
    today = [stop for stop in stops if stop.scheduled_for == day]
    return StopCounts(
        planned_today=len(today),
        done_today=sum(1 for stop in today if stop.done),
        carried_over=sum(1 for stop in stops if stop.scheduled_for < day and not stop.done),
        to_do=sum(1 for stop in stops if not stop.done),
    )


def _stops_item(user, today: date) -> TodoItem:
    counts = stop_counts(user, today)
    note = _("%(done)s of %(planned)s planned today done") % {
        "done": counts.done_today,
        "planned": counts.planned_today,
    }
    if counts.carried_over:
        note += " · " + _("%(n)s carried over") % {"n": counts.carried_over}
    return TodoItem(
        key="stops",
        label=_("Stops to visit today"),
        count=counts.to_do,
        url=reverse("visits:today"),
        level=WARNING if counts.to_do else INFO,
        note=note,
    )


# --- Supervisors, admins, leaders ----------------------------------------------------------


def _oversight_items(user, role, today: date, now: datetime) -> list[TodoItem]:
    reader = role == LEADER  # reads only: information, nothing to act on
    since = add_months(month_start(today), -1)
    flagged = (
        Visit.objects.visible_to(user)
        .flagged()
        .filter(reviewed_at__isnull=True, check_in_date__gte=since)
        .count()
    )
    overdue = complaints_overdue(user=user, now=now).order_by().count()
    if role in ROLE_LEVEL:
        appeals = decidable_appeals(user).count()
        appeals_url = reverse("assessment:appeals")
    else:  # an admin or a leader: every pending appeal they see; admins decide none
        appeals = Appeal.objects.visible_to(user).filter(status=AppealStatus.PENDING).count()
        appeals_url = "" if reader else reverse("assessment:months")
    month = month_start(today)
    report = coverage_report(user=user, month=month)
    short = (
        sum(1 for unit in report.departments if not unit.ok)
        + sum(1 for unit in report.centers if not unit.ok)
        + sum(1 for unit in report.companies if not unit.ok)
    )
    return [
        TodoItem(
            key="flagged_visits",
            label=_("Flagged visits to review"),
            count=flagged,
            url=_url("visits:list", flagged="true", reviewed="false", date_from=since.isoformat()),
            level=INFO if reader else WARNING,
            note=_("since %(day)s") % {"day": since.isoformat()},
        ),
        TodoItem(
            key="overdue_complaints",
            label=_("Overdue complaints"),
            count=overdue,
            url=_url("visits:complaints", overdue="true"),
            level=INFO if reader else DANGER,
        ),
        TodoItem(
            key="appeals",
            label=_("Appeals to decide") if role in ROLE_LEVEL else _("Appeals pending"),
            count=appeals,
            url=appeals_url,
            level=INFO if reader else WARNING,
        ),
        TodoItem(
            key="coverage",
            label=_("Units below the inspection minimum this month"),
            count=short,
            url=_url("assessment:coverage", month=_ym(month)),
            level=INFO if reader else WARNING,
            note=_("so far, %(month)s") % {"month": _ym(month)},
        ),
    ]


def _alert_counts():
    """``reports.selectors.alerts.alert_counts`` when that module provides it, else None."""
    try:
        from . import alerts
    except ImportError:
        return None
    return getattr(alerts, "alert_counts", None)


def _alerts_item(user, role, today: date) -> TodoItem | None:
    counts = _alert_counts()
    if counts is None:
        return None
    result = counts(user, month=month_start(today), today=today)
    if isinstance(result, Mapping):
        total = sum(value for value in result.values() if isinstance(value, int))
    elif isinstance(result, int):
        total = result
    else:
        return None
    try:
        url = reverse("reports:alerts")
    except NoReverseMatch:
        url = ""
    return TodoItem(
        key="alerts",
        label=_("Alerts"),
        count=total,
        url=url,
        level=INFO if role == LEADER else WARNING,
    )


# --- The assessment center: month close, review and publication -----------------------------


def _deadline(month: date, day: int) -> date:
    """Day ``day`` of the month after ``month``."""
    return add_months(month, 1).replace(day=day)


def _month_items(user, today: date, now: datetime) -> list[TodoItem]:
    companies = companies_visible_to(user)
    this_month = month_start(today)
    last_month = add_months(this_month, -1)
    rules = AlertRules.objects.in_force_by_company(this_month, companies) if companies else {}
    defaults = AlertRules()
    rows = list(
        AssessmentMonth.objects.filter(company__in=companies, month__lte=last_month)
        .filter(Q(state__in=[MonthState.DRAFT, MonthState.REVIEW]) | Q(month=last_month))
        .select_related("scheme")
        .order_by("month", "company__code")
    )
    pending = {
        (row["manager__org_unit__company"], row["month"]): row["n"]
        for row in Appeal.objects.filter(
            status=AppealStatus.PENDING,
            manager__org_unit__company__in=companies,
            month__lte=last_month,
        )
        .values("manager__org_unit__company", "month")
        .annotate(n=Count("pk"))
        .order_by()
    }
    to_close, to_open, to_publish = defaultdict(list), defaultdict(list), defaultdict(list)
    late_publish = False
    seen_last = set()
    for row in rows:
        rule = rules.get(row.company_id) or defaults
        close_by = _deadline(row.month, rule.close_by_day)
        if row.month == last_month:
            seen_last.add(row.company_id)
        if row.state == MonthState.DRAFT:
            if today > close_by:
                to_close[row.company_id].append(row.month)
            elif row.closed_at is not None:
                to_open[row.company_id].append(row.month)
        elif row.state == MonthState.REVIEW and row.review_from is not None:
            days = row.scheme.appeal_days if row.scheme else 5
            window_over = now > row.review_from + timedelta(days=days)
            if window_over and not pending.get((row.company_id, row.month)):
                to_publish[row.company_id].append(row.month)
                late_publish |= today > _deadline(row.month, rule.publish_by_day)
    for company in companies:  # last month not even started, once its close-by day passed
        rule = rules.get(company.pk) or defaults
        if company.pk not in seen_last and today > _deadline(last_month, rule.close_by_day):
            to_close[company.pk].append(last_month)

    def item(key, label, by_company, level):
        count = sum(len(months) for months in by_company.values())
        first = next((c for c in companies if by_company.get(c.pk)), None)
        city = first or (companies[0] if companies else None)
        return TodoItem(
            key=key,
            label=label,
            count=count,
            url=_url("assessment:months", company=city.pk if city else None),
            level=level,
            note=_cities_note(companies, by_company),
        )

    items = [
        item("months_to_close", _("Months past their close-by day"), to_close, DANGER),
        item("months_to_open", _("Months to open for review"), to_open, WARNING),
        item(
            "months_to_publish",
            _("Months to publish"),
            to_publish,
            DANGER if late_publish else WARNING,
        ),
    ]
    return items


def _cities_note(companies, by_company) -> str:
    """The months behind a count: "2026-10" in one city, "东江市 2026-10 · 西林市 2026-09"
    for a user who sees several."""
    parts = []
    for company in companies:
        months = ", ".join(_ym(m) for m in sorted(by_company.get(company.pk, [])))
        if months:
            parts.append(f"{company.name} {months}" if len(companies) > 1 else months)
    return " · ".join(parts)


# --- HR: pay runs ------------------------------------------------------------------------------


def _pay_items(user) -> list[TodoItem]:
    companies = companies_visible_to(user)
    runs = list(runs_visible_to(user).values_list("company_id", "month", "status"))
    published = AssessmentMonth.objects.filter(
        company__in=companies, state=MonthState.PUBLISHED
    ).values_list("company_id", "month")
    waiting, unpaid = defaultdict(list), defaultdict(list)
    first_run, paid = {}, set()
    for company_id, month, status in runs:
        paid.add((company_id, month))
        first_run[company_id] = min(month, first_run.get(company_id, month))
        if status == PayRunStatus.PREPARED:
            waiting[company_id].append(month)
    for company_id, month in published:
        if (company_id, month) not in paid and month >= first_run.get(company_id, month):
            unpaid[company_id].append(month)

    def item(key, label, by_company):
        first = next((c for c in companies if by_company.get(c.pk)), None)
        city = first or (companies[0] if companies else None)
        return TodoItem(
            key=key,
            label=label,
            count=sum(len(months) for months in by_company.values()),
            url=_url(
                "reports:pay_run",
                company=city.pk if city else None,
                month=_ym(min(by_company[first.pk])) if first else None,
            ),
            level=WARNING,
            note=_cities_note(companies, by_company),
        )

    return [
        item("pay_runs_waiting", _("Pay runs waiting for approval"), waiting),
        item("months_without_pay_run", _("Published months without a pay run"), unpaid),
    ]


# --- A customer manager's month so far ---------------------------------------------------------


@dataclass(frozen=True)
class ProgressRow:
    code: str
    name: str
    actual: Decimal | None
    target: Decimal | None  # None: no target set (the item is not applicable)
    unit: str
    points: Decimal | None = None  # computed rows only
    max_points: Decimal | None = None

    @property
    def ratio(self) -> Decimal | None:
        if self.actual is None or not self.target:
            return None
        return Decimal(self.actual) / Decimal(self.target)

    @property
    def bar(self) -> int:
        """Width of a progress bar in percent (0–100)."""
        ratio = self.ratio
        if ratio is None:
            return 0
        return int(min(max(ratio, Decimal(0)), Decimal(1)) * 100)


@dataclass(frozen=True)
class Rank:
    month: date
    state: str  # the month's state label: a draft may still change
    position: int  # 1 = best; equal totals share a position
    of: int
    total: Decimal


@dataclass
class ManagerProgress:
    month: date
    live: bool  # True: read now from the inputs; False: the month's computed score
    computed_at: datetime | None
    total: Decimal | None  # computed only
    rows: list[ProgressRow] = field(default_factory=list)
    later: list[str] = field(default_factory=list)  # items only the month close computes
    rank: Rank | None = None


# The inputs of the scheme that can be read for one manager in one query each.
LIVE_UNITS = {
    "sales_boxes": "箱",
    "sales_target_boxes": "箱",
    "key_brand_boxes": "箱",
    "key_brand_target_boxes": "箱",
    "visits_completed": "次",
    "visits_planned": "次",
    "info_items": "条",
}


def _live_inputs(user, month: date) -> dict[str, Decimal | None]:
    """This month so far, as the month close would read it (four queries)."""
    first, end = month, add_months(month, 1)
    key_brands = KeyBrandMonth.objects.filter(month=first).values("brand_id")
    # Net 条 per price class, each floored at 0 (DOMAIN §10.5), as the month close counts.
    by_class = (
        OrderLine.objects.filter(
            assigned_on_order_date(),
            retailer__assignments__manager_id=user.pk,
            order_date__gte=first,
            order_date__lt=end,
        )
        .values("brand__price_class")
        .annotate(total=Sum("quantity"), key=Sum("quantity", filter=Q(brand_id__in=key_brands)))
        .order_by()
    )
    sales = {"total": 0, "key": 0}
    for row in by_class:
        sales["total"] += max(0, row["total"] or 0)
        sales["key"] += max(0, row["key"] or 0)
    target = SalesTarget.objects.filter(manager=user, month=first).first()
    plans = (
        VisitPlan.objects.filter(manager=user, month=first, dropped=False)
        .annotate(done=completed_visit_exists())
        .aggregate(planned=Count("pk"), completed=Count("pk", filter=Q(done=True)))
    )
    start, stop = month_bounds(first)
    info = (
        InformationItem.objects.filter(
            reported_by=user, reported_at__gte=start, reported_at__lt=stop
        )
        .exclude(validity=Validity.INVALID)
        .count()
    )
    return {
        "sales_boxes": Decimal(sales["total"] or 0) / CARTONS_PER_BOX,
        "sales_target_boxes": target.total_boxes if target else None,
        "key_brand_boxes": Decimal(sales["key"] or 0) / CARTONS_PER_BOX,
        "key_brand_target_boxes": target.key_brand_boxes if target else None,
        "visits_completed": Decimal(plans["completed"]),
        "visits_planned": Decimal(plans["planned"]),
        "info_items": Decimal(info),
    }


def _live_rows(items, inputs) -> tuple[list[ProgressRow], list[str]]:
    """One row per scheme item whose metric compares a live input with a target or quota."""
    rows, later = [], []
    for item in items:
        params = item.params or {}
        if item.metric == "ratio_to_target":
            actual, target = params.get("actual"), params.get("target")
            if actual in LIVE_UNITS and target in LIVE_UNITS:
                rows.append(
                    ProgressRow(
                        item.code, item.name, inputs[actual], inputs[target], LIVE_UNITS[actual]
                    )
                )
                continue
        elif item.metric == "count_quota" and params.get("count") in LIVE_UNITS:
            count = params["count"]
            quota = (
                Decimal(params["quota"])
                if "quota" in params
                else inputs.get(params.get("quota_field"), None)
            )
            if "quota" in params or params.get("quota_field") in LIVE_UNITS:
                rows.append(
                    ProgressRow(item.code, item.name, inputs[count], quota, LIVE_UNITS[count])
                )
                continue
        later.append(item.name)
    return rows, later


def manager_progress(user, *, today: date | None = None) -> ManagerProgress | None:
    """A customer manager's current month so far and their rank (None for other roles).

    If the current month has been computed (a draft), its items are shown with their points
    and the time they were computed. Otherwise the items that compare an input with a target
    or quota (sales, key brands, planned visits, information) are read live, and the rest
    are named as computed at the month close. The rank is the manager's position among the
    managers of their department in the last computed month (its state says if it is final).
    """
    if user is None or not user.is_authenticated or _role(user) != Role.CUSTOMER_MANAGER:
        return None
    today = today or timezone.localdate()
    month = month_start(today)
    latest = (
        ManagerScore.objects.visible_to(user)
        .filter(assessment__closed_at__isnull=False)
        .select_related("assessment")
        .order_by("-assessment__month")
        .first()
    )
    rank = None
    if latest is not None:
        peers = ManagerScore.objects.filter(
            assessment=latest.assessment, manager__org_unit_id=user.org_unit_id
        ).aggregate(ahead=Count("pk", filter=Q(total__gt=latest.total)), of=Count("pk"))
        rank = Rank(
            month=latest.assessment.month,
            state=latest.assessment.get_state_display(),
            position=peers["ahead"] + 1,
            of=peers["of"],
            total=latest.total,
        )
    if latest is not None and latest.assessment.month == month:
        rows = [
            ProgressRow(
                code=item.code,
                name=item.name,
                actual=item.points,
                target=item.max_points,
                unit=_("points"),
                points=item.points,
                max_points=item.max_points,
            )
            for item in latest.items.order_by("position", "pk")
        ]
        return ManagerProgress(
            month=month,
            live=False,
            computed_at=latest.assessment.closed_at,
            total=latest.total,
            rows=rows,
            rank=rank,
        )
    scheme = AssessmentScheme.objects.in_force(month, user.company)
    items = list(scheme.items.order_by("position", "pk")) if scheme else []
    rows, later = _live_rows(items, _live_inputs(user, month))
    return ManagerProgress(
        month=month, live=True, computed_at=None, total=None, rows=rows, later=later, rank=rank
    )
