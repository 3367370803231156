"""Reads for pay: the scheme in force, pay runs and their lines (scoped), the run's inputs.

How to read a run's lines (e.g. for the bonus sheet): ``run_lines(run)`` gives the PayLine rows
ordered by center, department, territory, with ``manager`` joined; each line carries its
inputs (``cartons_1`` … ``cartons_5`` in 条, ``score``, ``tier``) and results (``piece_pay``,
``score_coefficient``, ``tier_coefficient``, ``allowance``, ``bonus``, ``explanation``).
``run_totals(run)`` sums them in one query.
"""

from datetime import date

from django.db.models import F, OuterRef, Subquery, Sum

from accounts.models import Role
from accounts.selectors import companies_visible_to
from retailers.models import month_start

from ..models import ManagerTier, PayLine, PayRun, PayRunStatus, PayScheme

PAY_ADMIN_ROLES = (Role.HR, Role.ADMIN)
WHAT_IF_ROLES = (Role.HR, Role.ASSESSMENT_CENTER, Role.ADMIN)
CARTON_FIELDS = ("cartons_1", "cartons_2", "cartons_3", "cartons_4", "cartons_5")


def has_role(user, roles) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in roles))


def scheme_for(month: date, company=None) -> PayScheme:
    """The pay scheme in force in ``month`` for a city company (its override, else the
    province default)."""
    scheme = PayScheme.objects.in_force(month_start(month), company)
    if scheme is None:
        raise PayScheme.DoesNotExist(f"no pay scheme in force in {month:%Y-%m}")
    return scheme


def tiers_in_force(month: date) -> dict[int, str]:
    """{manager id: tier} of every manager with a ManagerTier row in force in ``month``.

    One query: the row whose ``effective_from`` is the latest ≤ month, per manager.
    """
    first = month_start(month)
    latest = (
        ManagerTier.objects.filter(manager=OuterRef("manager"), effective_from__lte=first)
        .order_by("-effective_from")
        .values("effective_from")[:1]
    )
    return dict(
        ManagerTier.objects.filter(effective_from__lte=first)
        .filter(effective_from=Subquery(latest))
        .values_list("manager_id", "tier")
    )


def runs_visible_to(user):
    """Pay runs: HR, admin and the assessment center see those of their city company (a
    province admin: every city's); a customer manager sees the approved runs that hold a
    line of theirs; other roles none."""
    if has_role(user, WHAT_IF_ROLES):
        return PayRun.objects.filter(company__in=companies_visible_to(user))
    if user.is_authenticated and user.role == Role.CUSTOMER_MANAGER:
        return PayRun.objects.filter(status=PayRunStatus.APPROVED, lines__manager=user).distinct()
    return PayRun.objects.none()


def lines_visible_to(user):
    """Pay lines: HR/admin see those of their subtree (the company); a customer manager sees
    only their own lines of approved runs; other roles (supervisors) see none."""
    if has_role(user, WHAT_IF_ROLES):
        return PayLine.objects.visible_to(user)
    if user.is_authenticated and user.role == Role.CUSTOMER_MANAGER:
        return PayLine.objects.visible_to(user).filter(run__status=PayRunStatus.APPROVED)
    return PayLine.objects.none()


def _cartons_total():
    return sum((F(field) for field in CARTON_FIELDS[1:]), F(CARTON_FIELDS[0]))


def run_lines(run: PayRun):
    """The run's lines in sheet order (org codes, then 工号), with the manager joined and
    ``cartons_total`` (no scoping: callers check)."""
    return (
        PayLine.objects.filter(run=run)
        .select_related("manager")
        .annotate(cartons_total=_cartons_total())
        .order_by("center_code", "department_code", "territory_code", "manager__employee_no")
    )


def run_totals(run: PayRun) -> dict:
    """Σ of cartons per class and in all, piece pay, allowance, 补发/扣回 and bonus over the
    run (one query)."""
    fields = (*CARTON_FIELDS, "piece_pay", "allowance", "adjustment", "bonus")
    totals = PayLine.objects.filter(run=run).aggregate(**{f: Sum(f) for f in fields})
    totals = {key: value or 0 for key, value in totals.items()}
    totals["cartons_total"] = sum(totals[field] for field in CARTON_FIELDS)
    return totals


def my_lines(user):
    """A manager's own lines of approved runs, newest month first."""
    return lines_visible_to(user).select_related("run").order_by("-run__month")


def my_pay_gap(user, month: date | None = None) -> dict | None:
    """Why a manager has no approved line for ``month`` (default: the latest month their
    company has a pay run or a published assessment for, when it is newer than their latest
    approved line). ``None`` when there is nothing to say.

    The answer: ``{"month", "reason", "run"}`` with reason ``not_published`` (the month's
    scores are not published yet), ``not_computed`` (published, no pay run yet), ``pending``
    (a prepared run waits for approval; ``run`` says who prepared it and when) or ``no_line``
    (the approved run holds no line for this manager).
    """
    from assessment.models import AssessmentMonth, MonthState

    company = user.company
    if company is None:
        return None
    runs = PayRun.objects.filter(company=company).select_related("prepared_by")
    months = AssessmentMonth.objects.filter(company=company)
    if month is None:
        latest_line = my_lines(user).values_list("run__month", flat=True).first()
        candidates = [
            runs.order_by("-month").values_list("month", flat=True).first(),
            months.filter(state=MonthState.PUBLISHED)
            .order_by("-month")
            .values_list("month", flat=True)
            .first(),
        ]
        candidates = [m for m in candidates if m and (latest_line is None or m > latest_line)]
        if not candidates:
            return None
        month = max(candidates)
    month = month_start(month)
    run = runs.filter(month=month).first()
    if run is None:
        published = months.filter(month=month, state=MonthState.PUBLISHED).exists()
        return {"month": month, "reason": "not_computed" if published else "not_published"}
    if run.status == PayRunStatus.PREPARED:
        return {"month": month, "reason": "pending", "run": run}
    if not run.lines.filter(manager=user).exists():
        return {"month": month, "reason": "no_line", "run": run}
    return None
