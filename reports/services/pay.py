"""Writes of pay: preparing a month's pay run, approving it (maker/checker), what-if.

Pay-run services only; the tier review lives in ``reports.services.tiers``.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrgUnit, User
from accounts.selectors import companies_visible_to
from accounts.templatetags import formats as show
from assessment.adjustments import known_cartons
from assessment.models import AssessmentMonth, ManagerScore, MonthState, ScoreAdjustment
from config.database import job_settings
from retailers.models import OrderLine, add_months, month_start
from retailers.selectors import credited_sales

from ..models import PayAdjustment, PayLine, PayRun, PayRunStatus, Tier
from ..pay import PRICE_CLASSES, PayRules, late_pay, pay_line, score_coefficient
from ..selectors.pay import (
    CARTON_FIELDS,
    PAY_ADMIN_ROLES,
    WHAT_IF_ROLES,
    has_role,
    lines_visible_to,
    scheme_for,
    tiers_in_force,
)


def default_tier(hire_date: date | None, month: date) -> str:
    """The tier of a manager with no ManagerTier row in force in ``month``.

    Probation (见习) when hired less than 12 months before the month's end (hired on or after
    the 1st of the month eleven months earlier), otherwise one star (also when the hire date
    is unknown). E.g. for 2026-10: hired 2025-11-01 or later → probation.
    """
    if hire_date is not None and hire_date >= add_months(month_start(month), -11):
        return Tier.PROBATION
    return Tier.ONE


def _require(user, roles):
    if not has_role(user, roles):
        raise PermissionDenied(_("You may not do this."))


def city_of(user, company: OrgUnit | None) -> OrgUnit:
    """The city company a pay job runs for: the one named, which the user must see, or the
    user's own (the only one of a single-city deployment)."""
    visible = companies_visible_to(user)
    if company is None:
        if len(visible) == 1:
            return visible[0]
        return OrgUnit.objects.sole_company()
    if company not in visible:
        raise PermissionDenied(_("You may not do this."))
    return company


def _gather(first: date, company, *, known_at=None) -> list[dict]:
    """Inputs of every manager of a city company with a published score of the month,
    set-wise (3 queries). Sales count the lines that had arrived by ``known_at`` (the
    month's publication: DOMAIN §10.7); later ones are paid as 补发/扣回."""
    rows = list(
        ManagerScore.objects.filter(assessment__month=first, assessment__company=company).values(
            "manager_id",
            "total",
            "manager__hire_date",
            "manager__org_unit__name",
            "manager__org_unit__parent__name",
            "territory__name",
            "manager__org_unit__code",
            "manager__org_unit__parent__code",
            "territory__code",
        )
    )
    cartons = {}
    lines = OrderLine.objects.filter(arrived_at__lte=known_at) if known_at else None
    for row in credited_sales(start=first, end=add_months(first, 1), lines=lines, company=company):
        by_class = cartons.setdefault(row["manager_id"], {})
        by_class[row["price_class"]] = by_class.get(row["price_class"], 0) + (row["cartons"] or 0)
    tiers = tiers_in_force(first)
    for row in rows:
        manager_id = row["manager_id"]
        # Net returns in a class cannot make its count negative (a line holds 条 sold).
        row["cartons"] = {c: max(0, cartons.get(manager_id, {}).get(c, 0)) for c in PRICE_CLASSES}
        row["tier"] = tiers.get(manager_id) or default_tier(row["manager__hire_date"], first)
    return rows


@transaction.atomic
def pay_run_prepare(*, month: date, user: User, company: OrgUnit | None = None, now=None) -> PayRun:
    """Compute a city company's pay run of the month from its PUBLISHED scores, its credited
    sales and the tiers in force, with the city's pay scheme; HR or admin of that city (or
    of the province). Re-running a prepared run replaces its lines; an approved run is final.
    The number of queries does not depend on the number of managers."""
    _require(user, PAY_ADMIN_ROLES)
    company = city_of(user, company)
    job_settings()
    first = month_start(month)
    label = f"{company.name} {first:%Y-%m}"
    published = AssessmentMonth.objects.filter(
        company=company, month=first, state=MonthState.PUBLISHED
    ).first()
    if published is None:
        raise ValidationError(
            _("The assessment of %(month)s is not published yet: publish it before the pay run.")
            % {"month": label}
        )
    scheme = scheme_for(first, company)
    rules = PayRules.from_scheme(scheme)
    now = now or timezone.now()
    run = PayRun.objects.select_for_update().filter(company=company, month=first).first()
    if run is not None and run.status == PayRunStatus.APPROVED:
        raise ValidationError(
            _("The pay run of %(month)s is approved and final.") % {"month": label}
        )
    if run is None:
        run = PayRun.objects.create(
            company=company, month=first, scheme=scheme, prepared_by=user, prepared_at=now
        )
    else:
        run.scheme, run.prepared_by, run.prepared_at = scheme, user, now
        run.save(update_fields=["scheme", "prepared_by", "prepared_at"])
        PayLine.objects.filter(run=run)._raw_delete(PayLine.objects.db)
    PayAdjustment.objects.filter(run=run).delete()  # few rows, each in the audit trail
    adjustments = _late_pay_lines(run, published)
    by_manager = defaultdict(Decimal)
    for adjustment in adjustments:
        by_manager[adjustment.manager_id] += adjustment.amount
    lines = {}
    for row in _gather(first, company, known_at=published.published_at):
        result = pay_line(
            cartons_by_class=row["cartons"], score=row["total"], tier=row["tier"], rules=rules
        )
        lines[row["manager_id"]] = PayLine(
            run=run,
            manager_id=row["manager_id"],
            center_name=row["manager__org_unit__parent__name"] or "",
            department_name=row["manager__org_unit__name"] or "",
            territory_name=row["territory__name"] or "",
            center_code=row["manager__org_unit__parent__code"] or "",
            department_code=row["manager__org_unit__code"] or "",
            territory_code=row["territory__code"] or "",
            tier=row["tier"],
            **{f"cartons_{c}": row["cartons"][c] for c in PRICE_CLASSES},
            piece_pay=result.piece_pay,
            score=row["total"],
            score_coefficient=result.score_coefficient,
            tier_coefficient=result.tier_coefficient,
            allowance=result.allowance,
            bonus=result.bonus,
            explanation=result.explanation,
        )
    _add_adjustments(lines, by_manager, adjustments, first=first, rules=rules, run=run)
    PayLine.objects.bulk_create(lines.values(), batch_size=2000)
    for adjustment in adjustments:
        adjustment.save()
    return run


def _late_pay_lines(run: PayRun, receiving: AssessmentMonth) -> list[PayAdjustment]:
    """The run's 补发/扣回 lines: one per manager and earlier month with a 调整 line in the
    run's month (DOMAIN §10.7, §10.8), from the lines that arrived after that month's
    publication and by the close that computed the 调整 lines. A fixed number of queries
    per source month."""
    pairs = defaultdict(set)
    for manager_id, source in ScoreAdjustment.objects.filter(assessment=receiving).values_list(
        "manager_id", "source_month"
    ):
        pairs[source].add(manager_id)
    adjustments = []
    for source in AssessmentMonth.objects.filter(
        company=run.company, month__in=pairs, state=MonthState.PUBLISHED
    ).order_by("month"):
        managers = pairs[source.month]
        source_rules = PayRules.from_scheme(scheme_for(source.month, run.company))
        with_late = known_cartons(source, until=receiving.closed_at)
        as_published = known_cartons(source, until=source.published_at)
        paid = {
            line.manager_id: line
            for line in PayLine.objects.filter(
                run__company=run.company, run__month=source.month, manager_id__in=managers
            )
        }
        scores = dict(
            ManagerScore.objects.filter(assessment=source, manager_id__in=managers).values_list(
                "manager_id", "total"
            )
        )
        tiers = tiers_in_force(source.month)
        hired = dict(User.objects.filter(pk__in=managers).values_list("pk", "hire_date"))
        before = dict(
            PayAdjustment.objects.filter(
                run__company=run.company, source_month=source.month, manager_id__in=managers
            )
            .exclude(run=run)
            .values("manager_id")
            .annotate(amount=Sum("amount"))
            .values_list("manager_id", "amount")
        )
        for manager_id in sorted(managers):
            line = paid.get(manager_id)
            if line is not None:  # the month's own run: its coefficients as paid
                s_coef, t_coef = line.score_coefficient, line.tier_coefficient
            else:
                tier = tiers.get(manager_id) or default_tier(hired.get(manager_id), source.month)
                s_coef = score_coefficient(scores.get(manager_id, Decimal(0)), source_rules)
                t_coef = source_rules.tiers[tier][0]
            result = late_pay(
                month=source.month,
                with_late=with_late.get(manager_id, {}),
                as_published=as_published.get(manager_id, {}),
                score_coefficient=s_coef,
                tier_coefficient=t_coef,
                paid_before=before.get(manager_id, Decimal(0)),
                rules=source_rules,
            )
            if not result.amount and not result.late_piece_pay:
                continue
            adjustments.append(
                PayAdjustment(
                    run=run,
                    manager_id=manager_id,
                    source_month=source.month,
                    late_piece_pay=result.late_piece_pay,
                    score_coefficient=s_coef,
                    tier_coefficient=t_coef,
                    paid_before=before.get(manager_id, Decimal(0)),
                    amount=result.amount,
                    explanation=result.explanation,
                )
            )
    return adjustments


def _add_adjustments(lines: dict, by_manager: dict, adjustments, *, first, rules, run) -> None:
    """Add each manager's 补发/扣回 to their line (应发奖金 includes it, after any floor or
    cap); a manager with no score this month gets a line of their own: bonus 0, allowance
    0 (DOMAIN §10.8)."""
    missing = set(by_manager) - set(lines)
    people = {
        user.pk: user
        for user in User.objects.filter(pk__in=missing).select_related(
            "org_unit", "org_unit__parent", "territory"
        )
    }
    tiers = tiers_in_force(first) if missing else {}
    for manager_id in sorted(missing):
        user = people[manager_id]
        tier = tiers.get(manager_id) or default_tier(user.hire_date, first)
        department = user.org_unit
        center = department.parent if department else None
        territory = user.territory
        lines[manager_id] = PayLine(
            run=run,
            manager_id=manager_id,
            center_name=center.name if center else "",
            department_name=department.name if department else "",
            territory_name=territory.name if territory else "",
            center_code=center.code if center else "",
            department_code=department.code if department else "",
            territory_code=territory.code if territory else "",
            tier=tier,
            piece_pay=Decimal(0),
            score=Decimal(0),
            score_coefficient=Decimal(0),
            tier_coefficient=rules.tiers[tier][0],
            allowance=Decimal(0),
            bonus=Decimal(0),
            explanation={"text": "本月没有考核得分：只有补发/扣回。", "no_score": True},
        )
    texts = defaultdict(list)
    for adjustment in adjustments:
        texts[adjustment.manager_id].append(adjustment.explanation["text"])
    for manager_id, amount in by_manager.items():
        line = lines[manager_id]
        own = line.bonus
        line.adjustment = amount
        line.bonus = own + amount
        name = "补发" if amount >= 0 else "扣回"
        line.explanation = {
            **line.explanation,
            "adjustment": f"{amount:.2f}",
            "adjustments": texts[manager_id],
            "text": f"{line.explanation.get('text', '')}；{name} {show.money(abs(amount))} 元"
            f"，应发合计 {show.money(line.bonus)} 元",
        }


@transaction.atomic
def pay_run_approve(*, run: PayRun, user: User, now=None) -> PayRun:
    """Approve a prepared run: HR or admin, and not the user who prepared it (maker/checker).
    Audited (django-auditlog)."""
    _require(user, PAY_ADMIN_ROLES)
    run = PayRun.objects.select_for_update().get(pk=run.pk)
    if run.company not in companies_visible_to(user):
        raise PermissionDenied(_("You may not do this."))
    if run.status == PayRunStatus.APPROVED:
        raise ValidationError(_("This pay run is already approved."))
    if run.prepared_by_id == user.pk:
        raise ValidationError(
            _("The pay run must be approved by someone other than the user who prepared it.")
        )
    run.status = PayRunStatus.APPROVED
    run.approved_by = user
    run.approved_at = now or timezone.now()
    run.save(update_fields=["status", "approved_by", "approved_at"])
    return run


def what_if(*, month: date, user: User, draft: PayRules, company: OrgUnit | None = None) -> dict:
    """Each manager's bonus of the month's run under ``draft`` rules, next to the bonus the
    run holds. Uses the run's stored inputs (cartons, score, tier); writes nothing.

    Returns {"run": PayRun, "rows": [{manager_id, employee_no, name, center, tier, current,
    draft, difference}], "totals": {current, draft, difference}}.
    """
    _require(user, WHAT_IF_ROLES)
    first = month_start(month)
    run = PayRun.objects.filter(company=city_of(user, company), month=first).first()
    if run is None:
        raise ValidationError(
            _("There is no pay run for %(month)s yet: prepare it first.")
            % {"month": first.strftime("%Y-%m")}
        )
    lines = (
        lines_visible_to(user)
        .filter(run=run)
        .order_by("center_code", "department_code", "territory_code", "manager__employee_no")
        .values(
            "manager_id",
            "manager__employee_no",
            "manager__name",
            "center_name",
            "tier",
            "score",
            "bonus",
            "adjustment",
            *CARTON_FIELDS,
        )
        .exclude(explanation__has_key="no_score")
    )
    rows = []
    totals = {"current": Decimal(0), "draft": Decimal(0), "difference": Decimal(0)}
    for line in lines:
        result = pay_line(
            cartons_by_class={c: line[f"cartons_{c}"] for c in PRICE_CLASSES},
            score=line["score"],
            tier=line["tier"],
            rules=draft,
        )
        row = {
            "manager_id": line["manager_id"],
            "employee_no": line["manager__employee_no"],
            "name": line["manager__name"],
            "center": line["center_name"],
            "tier": line["tier"],
            "current": line["bonus"],
            # 补发/扣回 of earlier months do not depend on this month's rules.
            "draft": result.bonus + line["adjustment"],
            "difference": result.bonus + line["adjustment"] - line["bonus"],
        }
        rows.append(row)
        for key in totals:
            totals[key] += row[key]
    return {"run": run, "rows": rows, "totals": totals}
