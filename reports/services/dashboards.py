"""Keeping the dashboards' rollup current: one ``ManagerMonthKpi`` row per manager and month.

``kpi_refresh`` gathers every figure of DOMAIN.md §8 per manager with one aggregate query
per kind (sales by price class, key-brand sales, targets, plans, information, complaints,
surveys, inspections, retailers, classes, scores) and replaces the month's rows of each
city company in one bulk write. The number of queries does not depend on the number of
managers. Dashboard pages read these rows only; they never scan visits or order lines.

A city's month is refreshed until it is published, and once more after publication (to
take the published scores); after that its rows are history: a scope is the tree as it
stood then, and a later reorganisation does not move last year's figures.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from accounts.models import OrgUnit, Role, User
from assessment.models import AssessmentMonth, Inspection, ManagerScore, MonthState
from retailers.models import (
    ClassificationRecord,
    KeyBrandMonth,
    OrderLine,
    Retailer,
    RetailerStatus,
    SalesTarget,
    add_months,
    month_start,
    status_on,
)
from retailers.selectors import (
    assignment_in_force,
    floored_cartons,
    managers_assigned_between,
    territories_held_on,
)
from visits.models import Complaint, ComplaintStatus, InformationItem, SatisfactionSurvey, Validity
from visits.selectors.feedback import assigned_on_day, complaint_counts, month_bounds
from visits.selectors.plans import plan_completion_counts

from ..models import ManagerMonthKpi

CLASS_RANK = {"A": 3, "B": 2, "C": 1}


def _cities_to_refresh(first: date, companies) -> list[OrgUnit]:
    """The cities whose rows of ``first`` may still change: all but those whose month is
    published and whose rows already hold the published scores."""
    published = AssessmentMonth.objects.filter(
        month=first, company__in=companies, state=MonthState.PUBLISHED
    ).values("company_id")
    frozen = set(
        ManagerMonthKpi.objects.filter(
            month=first, company_id__in=published, score_total__isnull=False
        ).values_list("company_id", flat=True)
    )
    return [company for company in companies if company.pk not in frozen]


def _sales(first: date, end: date, companies, key_brands) -> tuple[dict, dict]:
    """{manager: floored 条} of the month and of its key brands. A published month shows its
    published figures: the lines known at its publication (later ones reach the figures
    through the next month's 调整 lines, DOMAIN §4). Three queries, and three more per
    published city."""
    sales = floored_cartons(start=first, end=end)
    key_sales = floored_cartons(
        start=first, end=end, lines=OrderLine.objects.filter(brand_id__in=key_brands)
    )
    published = dict(
        AssessmentMonth.objects.filter(
            month=first, company__in=companies, state=MonthState.PUBLISHED
        ).values_list("company_id", "published_at")
    )
    for city in companies:
        if published.get(city.pk) is None:  # not published (or when, not recorded)
            continue
        known = OrderLine.objects.filter(arrived_at__lte=published[city.pk])
        managers = set(User.objects.filter(org_unit__company=city).values_list("pk", flat=True))
        for into, lines in ((sales, known), (key_sales, known.filter(brand_id__in=key_brands))):
            for manager_id in managers:
                into.pop(manager_id, None)
            into.update(floored_cartons(start=first, end=end, lines=lines, company=city))
    return sales, key_sales


@transaction.atomic
def kpi_refresh(*, month: date, company: OrgUnit | None = None, now: datetime | None = None):
    """Recompute the rollup of ``month`` for one city company or every city.

    Returns {"month": ISO date, "companies": [codes refreshed], "managers": rows written}.
    """
    first = month_start(month)
    end = add_months(first, 1)
    now = now or timezone.now()
    start_at, end_at = month_bounds(first)
    cutoff = min(end_at, now)  # figures "as of": the month's end, or now for this month
    companies = [company] if company is not None else list(OrgUnit.objects.companies())
    companies = _cities_to_refresh(first, companies)
    if not companies:
        return {"month": first.isoformat(), "companies": [], "managers": 0}

    scored = ManagerScore.objects.filter(assessment__month=first).values("manager_id")
    assigned = managers_assigned_between(first, end)
    managers = list(
        User.objects.filter(role=Role.CUSTOMER_MANAGER, org_unit__company__in=companies)
        .filter(Q(is_active=True) | Q(pk__in=scored) | Q(pk__in=assigned))
        .values(
            "pk",
            "territory__pk",
            "org_unit_id",
            "org_unit__path",
            "org_unit__parent_id",
            "org_unit__company_id",
        )
    )
    ids = [m["pk"] for m in managers]
    # Facts follow the assignment on their date (DOMAIN §10.1); a manager's territory is the
    # one held on the month's last day (or today, for the current month).
    as_of = min(end - timedelta(days=1), timezone.localtime(cutoff).date())
    held = territories_held_on(as_of)
    for m in managers:
        m["territory__pk"] = held.get(m["pk"], m["territory__pk"])

    key_brands = KeyBrandMonth.objects.filter(month=first).values("brand_id")
    sales, key_sales = _sales(first, end, companies, key_brands)
    targets = {
        t["manager_id"]: t
        for t in SalesTarget.objects.filter(month=first, manager_id__in=ids).values(
            "manager_id", "total_boxes", "key_brand_boxes"
        )
    }
    plans = plan_completion_counts(month=first)

    info = defaultdict(dict)
    for row in (
        InformationItem.objects.filter(reported_at__gte=start_at, reported_at__lt=end_at)
        .exclude(validity=Validity.INVALID, reviewed_at__lte=cutoff)
        .values("reported_by", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        info[row["reported_by"]][row["kind"]] = row["n"]

    open_now = Q(opened_at__lt=cutoff) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=cutoff))
    open_now &= ~Q(status=ComplaintStatus.CLOSED, closed_at__lt=cutoff)
    complaints_open = dict(
        Complaint.objects.filter(
            open_now,
            assignment_in_force(as_of, "retailer__assignments__"),
            retailer__assignments__manager__isnull=False,
        )
        .values(manager=F("retailer__assignments__manager"))
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("manager", "n")
    )
    overdue = complaint_counts(month=first, closed_at=now)

    surveys = {
        row["manager"]: row
        for row in SatisfactionSurvey.objects.filter(
            assigned_on_day("surveyed_on"),
            retailer__assignments__manager__isnull=False,
            surveyed_on__gte=first,
            surveyed_on__lt=end,
        )
        .values(manager=F("retailer__assignments__manager"))
        .annotate(total=Sum("score"), n=Count("pk"))
        .order_by()
    }
    inspections = defaultdict(dict)
    for row in (
        Inspection.objects.filter(
            manager_id__in=ids, withdrawn=False, inspected_on__gte=first, inspected_on__lt=end
        )
        .values("manager_id", "level")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        inspections[row["manager_id"]][row["level"]] = row["n"]

    # Retailers by the status in force at the month's end (today for this month), from the
    # status history (DOMAIN §10.2).
    status_day = min(end - timedelta(days=1), timezone.localdate(now))
    statuses = defaultdict(dict)
    for row in (
        Retailer.objects.filter(territory_id__in={m["territory__pk"] for m in managers})
        .annotate(in_force=status_on(status_day))
        .values("territory_id", "in_force")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        statuses[row["territory_id"]][row["in_force"]] = row["n"]
    classes = defaultdict(lambda: defaultdict(int))
    for row in (
        ClassificationRecord.objects.filter(month=first)
        .values("retailer__territory_id", "final_class", "previous_class")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts = classes[row["retailer__territory_id"]]
        counts[row["final_class"]] += row["n"]
        old, new = CLASS_RANK.get(row["previous_class"]), CLASS_RANK.get(row["final_class"])
        if old and new and new > old:
            counts["up"] += row["n"]
        elif old and new and new < old:
            counts["down"] += row["n"]
    scores, adjustments = {}, {}
    for manager_id, total, adjustment in ManagerScore.objects.filter(
        assessment__month=first,
        assessment__state=MonthState.PUBLISHED,
        assessment__company__in=companies,
    ).values_list("manager_id", "total", "adjustment"):
        scores[manager_id], adjustments[manager_id] = total, adjustment

    rows = []
    for m in managers:
        pk, territory = m["pk"], m["territory__pk"]
        target = targets.get(pk, {})
        plan = plans.get(pk, {})
        kinds = info.get(pk, {})
        survey = surveys.get(pk, {})
        status = statuses.get(territory, {})
        klass = classes.get(territory, {})
        done = inspections.get(pk, {})
        rows.append(
            ManagerMonthKpi(
                month=first,
                manager_id=pk,
                territory_id=territory,
                company_id=m["org_unit__company_id"],
                center_id=m["org_unit__parent_id"],
                department_id=m["org_unit_id"],
                org_path=m["org_unit__path"],
                sales_cartons=sales.get(pk, 0),
                target_boxes=target.get("total_boxes"),
                key_cartons=key_sales.get(pk, 0),
                key_target_boxes=target.get("key_brand_boxes"),
                plans_planned=plan.get("planned", 0),
                plans_completed=plan.get("completed", 0),
                info_valid=sum(kinds.values()),
                info_by_type=kinds,
                complaints_open=complaints_open.get(pk, 0),
                complaints_overdue=overdue.get(pk, {}).get("overdue", 0),
                survey_sum=survey.get("total") or 0,
                survey_count=survey.get("n") or 0,
                inspections_l1=done.get(1, 0),
                inspections_l2=done.get(2, 0),
                inspections_l3=done.get(3, 0),
                retailers_active=status.get(RetailerStatus.ACTIVE, 0),
                retailers_suspended=status.get(RetailerStatus.SUSPENDED, 0),
                retailers_cancelled=status.get(RetailerStatus.CANCELLED, 0),
                class_a=klass.get("A", 0),
                class_b=klass.get("B", 0),
                class_c=klass.get("C", 0),
                class_up=klass.get("up", 0),
                class_down=klass.get("down", 0),
                score_total=scores.get(pk),
                score_adjustment=adjustments.get(pk, 0),
                refreshed_at=now,
            )
        )
    old = ManagerMonthKpi.objects.filter(month=first, company__in=companies)
    old._raw_delete(old.db)
    ManagerMonthKpi.objects.bulk_create(rows, batch_size=2000)
    return {
        "month": first.isoformat(),
        "companies": [c.code for c in companies],
        "managers": len(rows),
    }


def kpi_refresh_recent(*, today: date | None = None) -> list[dict]:
    """This month and the last two (late data, closes and publications of the previous
    months), every city: what the Celery beat runs."""
    today = today or timezone.localdate()
    return [kpi_refresh(month=add_months(today, -n)) for n in (2, 1, 0)]
