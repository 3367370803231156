"""Reads for the quarterly tier review: its inputs gathered set-wise, and tier history.

``review_inputs`` runs a fixed number of queries whatever the number of managers: the
quarter's month states, the scores of its three months, the managers (hire date, territory,
tier in force) and one aggregate of the quarter's survey answers per territory.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery, Sum
from django.utils.translation import gettext as _

from accounts.models import User
from assessment.models import AssessmentMonth, ManagerScore, MonthState
from retailers.models import add_months
from visits.models import SatisfactionSurvey

from ..models import ManagerTier
from ..tiers import TierInputs, default_tier, is_quarter_start, quarter_end_of, quarter_months


def check_quarter(quarter_start: date) -> None:
    if not is_quarter_start(quarter_start):
        raise ValidationError(
            _("%(day)s is not the first day of a quarter.") % {"day": quarter_start.isoformat()}
        )


def tiers_in_force(month: date):
    """A subquery: the tier of ``OuterRef("pk")`` in force in ``month`` (None without one)."""
    return Subquery(
        ManagerTier.objects.filter(manager=OuterRef("pk"), effective_from__lte=month)
        .order_by("-effective_from")
        .values("tier")[:1]
    )


def review_inputs(quarter_start: date, company) -> dict[int, TierInputs]:
    """{manager id: TierInputs} for the managers of a city company scored in all three
    months of the quarter.

    Refuses (ValidationError naming them) unless the three months are published. A manager
    scored in fewer than three of the months is left out (reviewed from the next full
    quarter). Sales completion counts the months that have a target: Σ actual ÷ Σ target
    over those months; none → no target. The current tier is the one in force in the
    quarter's last month, or ``tiers.default_tier`` without one. Satisfaction: the mean of
    all answers dated in the quarter for the retailers of the manager's territory.
    """
    check_quarter(quarter_start)
    months = quarter_months(quarter_start)
    quarter_end = quarter_end_of(quarter_start)
    published = set(
        AssessmentMonth.objects.filter(
            company=company, month__in=months, state=MonthState.PUBLISHED
        ).values_list("month", flat=True)
    )
    missing = [m for m in months if m not in published]
    if missing:
        raise ValidationError(
            _("The quarter cannot be reviewed before all its months are published: %(months)s.")
            % {"months": ", ".join(m.strftime("%Y-%m") for m in missing)}
        )

    by_manager: dict[int, dict[date, dict]] = defaultdict(dict)
    rows = ManagerScore.objects.filter(
        assessment__company=company, assessment__month__in=months
    ).values("manager", "assessment__month", "total", "sales_boxes", "sales_target_boxes")
    for row in rows:
        by_manager[row["manager"]][row["assessment__month"]] = row
    complete = [pk for pk, scores in by_manager.items() if len(scores) == 3]

    managers = User.objects.filter(pk__in=complete).annotate(
        tier_in_force=tiers_in_force(months[-1])
    )
    people = {
        row["pk"]: row for row in managers.values("pk", "hire_date", "territory", "tier_in_force")
    }

    survey_rows = (
        SatisfactionSurvey.objects.filter(
            surveyed_on__gte=quarter_start, surveyed_on__lt=add_months(quarter_start, 3)
        )
        .values("retailer__territory")
        .annotate(total=Sum("score"), n=Count("pk"))
        .order_by()
    )
    satisfaction = {
        row["retailer__territory"]: Decimal(row["total"]) / Decimal(row["n"])
        for row in survey_rows
        if row["retailer__territory"] is not None
    }

    result = {}
    for pk in complete:
        person = people[pk]
        scores = [by_manager[pk][m] for m in months]
        targeted = [s for s in scores if s["sales_target_boxes"] is not None]
        if targeted:
            actual = sum((s["sales_boxes"] for s in targeted), Decimal(0))
            target = sum((s["sales_target_boxes"] for s in targeted), Decimal(0))
        else:
            actual = sum((s["sales_boxes"] for s in scores), Decimal(0))
            target = None
        result[pk] = TierInputs(
            current_tier=person["tier_in_force"] or default_tier(person["hire_date"], quarter_end),
            hire_date=person["hire_date"],
            quarter_start=quarter_start,
            quarter_end=quarter_end,
            monthly_totals=tuple(s["total"] for s in scores),
            sales_actual=actual,
            sales_target=target,
            satisfaction_mean=satisfaction.get(person["territory"]),
        )
    return result


def tier_in_force(manager, month: date) -> str | None:
    """One manager's tier on record in force in ``month`` (None without one)."""
    return (
        ManagerTier.objects.filter(manager=manager, effective_from__lte=month)
        .order_by("-effective_from")
        .values_list("tier", flat=True)
        .first()
    )
