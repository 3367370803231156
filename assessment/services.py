"""Writes of the monthly assessment: closing a month, its states, inspections, bonus, appeals."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrgUnit, Role, User
from config.database import job_settings
from retailers.models import add_months, month_start
from retailers.selectors import territories_held_on
from visits.models import Validity, Visit, VisitStatus

from .adjustments import adjustment_lines, carry_entries, note_late
from .models import (
    ROLE_LEVEL,
    Appeal,
    AppealStatus,
    AssessmentMonth,
    AssessmentScheme,
    BonusPoint,
    Inspection,
    ItemScore,
    LateKind,
    ManagerScore,
    MonthState,
    ScoreAdjustment,
    blocks_new_appeal,
    default_item_name,
)
from .scoring import check_scheme, score
from .selectors import (
    gather_inputs,
    months_blocking_review,
    scheme_for,
    scheme_spec,
)


class MonthBusy(Exception):
    """Another close of the same month holds its lock."""


def city(company: OrgUnit | None) -> OrgUnit:
    """The city company a monthly job runs for: the one named, or the only one there is."""
    return company if company is not None else OrgUnit.objects.sole_company()


def _lock_month(first: date, company: OrgUnit) -> AssessmentMonth:
    AssessmentMonth.objects.get_or_create(month=first, company=company)
    try:
        return AssessmentMonth.objects.select_for_update(nowait=True).get(
            month=first, company=company
        )
    except DatabaseError as exc:  # PostgreSQL: the row is locked by another close
        raise MonthBusy(_("This month is being computed by another process.")) from exc


def _compute(assessment: AssessmentMonth, *, manager_ids=None, now=None) -> int:
    """Score the month's managers (or only ``manager_ids``) and replace their rows, with the
    调整 lines the month receives from earlier published months (DOMAIN §4, §10.6): each
    manager's total is their own score plus their lines, clamped to 0 – the scheme's
    maximum (105 by default)."""
    now = now or timezone.now()
    job_settings()
    scheme = assessment.scheme or scheme_for(assessment.month, assessment.company)
    spec = scheme_spec(scheme)
    check_scheme(spec)  # once per close, not once per manager
    inputs = gather_inputs(assessment.month, company=assessment.company, closed_at=now)
    in_month = set(inputs)
    if manager_ids is not None:
        manager_ids = set(manager_ids)
        inputs = {pk: value for pk, value in inputs.items() if pk in manager_ids}
    # The territory held on the month's last day (DOMAIN §10.4), else the one held now.
    territories = dict(User.objects.filter(pk__in=inputs).values_list("pk", "territory__pk"))
    territories.update(
        territories_held_on(add_months(assessment.month, 1) - timedelta(days=1), assessment.company)
    )
    # The 调整 lines first: they read this month's lines of other managers and months.
    lines, sources = adjustment_lines(
        assessment, in_month=in_month, manager_ids=manager_ids, now=now
    )
    old = ManagerScore.objects.filter(assessment=assessment)
    old_lines = ScoreAdjustment.objects.filter(assessment=assessment)
    if manager_ids is not None:
        old = old.filter(manager_id__in=manager_ids)
        old_lines = old_lines.filter(manager_id__in=manager_ids)
    # Plain DELETE statements: the ORM's cascade would fetch and delete in batches, so its
    # query count would grow with the number of managers.
    ItemScore.objects.filter(score__in=old)._raw_delete(ItemScore.objects.db)
    old._raw_delete(ManagerScore.objects.db)
    old_lines.delete()  # few rows, one by one in the audit trail
    carried = defaultdict(Decimal)
    for line in lines:
        if not line.recorded_only:
            carried[line.manager_id] += line.points
    highest = sum((item.max_points for item in spec.items), Decimal(0)) + spec.bonus_cap
    scores, items = [], []
    for manager_id, manager_inputs in inputs.items():
        result = score(manager_inputs, spec, scheme_checked=True)
        adjustment = carried.get(manager_id, Decimal(0))
        row = ManagerScore(
            assessment=assessment,
            manager_id=manager_id,
            territory_id=territories.get(manager_id),
            bonus_raw=result.bonus_raw,
            bonus=result.bonus,
            base_total=result.total,
            adjustment=adjustment,
            total=min(max(result.total + adjustment, Decimal(0)), highest),
            sales_boxes=manager_inputs.sales_boxes.quantize(Decimal("0.0001")),
            sales_target_boxes=manager_inputs.sales_target_boxes,
        )
        scores.append(row)
        items.append(result.items)
    ManagerScore.objects.bulk_create(scores, batch_size=2000)
    ItemScore.objects.bulk_create(
        (
            ItemScore(
                score=row,
                code=item.code,
                name=item.name,
                max_points=item.max_points,
                applicable=item.applicable,
                earned=item.earned.quantize(Decimal("0.0001")),
                deductions=item.deductions,
                points=item.points,
                explanation=item.explanation,
                position=position,
            )
            for row, results in zip(scores, items, strict=True)
            for position, item in enumerate(results)
        ),
        batch_size=5000,
    )
    for line in lines:  # few rows (managers with late data); each in the audit trail
        line.save()
    carry_entries(assessment, sources)
    assessment.scheme = scheme
    assessment.closed_at = now
    assessment.save(update_fields=["scheme", "closed_at"])
    return len(scores)


@transaction.atomic
def month_close(*, month: date, company: OrgUnit | None = None, now=None, step=None) -> dict:
    """Compute the score of ``month`` of every manager of a city company into its draft.
    Re-running on the same inputs gives the same scores and never duplicates rows; a month
    in review or published is refused; a second close of the same month at the same time
    is refused. Each city company has its own month. ``step()`` (a background job's
    heartbeat) is called once the scores are written, before the commit."""
    assessment = _lock_month(month_start(month), city(company))
    if assessment.state != MonthState.DRAFT:
        raise ValidationError(
            _("%(month)s is %(state)s: its scores can no longer be recomputed.")
            % {"month": assessment.month.strftime("%Y-%m"), "state": assessment.get_state_display()}
        )
    count = _compute(assessment, now=now)
    if step is not None:
        step()
    return {
        "month": assessment.month.isoformat(),
        "company": assessment.company.code,
        "managers": count,
    }


@transaction.atomic
def month_start_review(
    *, month: date, company: OrgUnit | None = None, user=None, now=None
) -> AssessmentMonth:
    """draft → review: managers may appeal deductions for the scheme's appeal days.

    Months are closed in order: refused while an earlier month of the city that has data is
    still a draft or missing (DOMAIN §4)."""
    assessment = _lock_month(month_start(month), city(company))
    if assessment.state != MonthState.DRAFT or assessment.closed_at is None:
        raise ValidationError(_("Only a computed draft month can go to review."))
    blocking = months_blocking_review(assessment.month, assessment.company)
    if blocking:
        raise ValidationError(
            _(
                "Months are closed in order: %(months)s of %(company)s has data and is not "
                "in review or published yet."
            )
            % {
                "months": ", ".join(f"{m:%Y-%m}" for m in blocking),
                "company": assessment.company.name,
            }
        )
    assessment.state = MonthState.REVIEW
    assessment.review_from = now or timezone.now()
    assessment.save(update_fields=["state", "review_from"])
    return assessment


def _pending_appeals(assessment: AssessmentMonth):
    """The month's pending appeals, whatever their target (deduction, visit, item)."""
    return Appeal.objects.pending().filter(
        month=assessment.month, manager__org_unit__company=assessment.company
    )


def publish_refusal(assessment: AssessmentMonth, *, now=None) -> str | None:
    """Why ``assessment`` cannot be published at ``now`` (None: it can): not in review, still
    inside its appeal window (it says from when), or appeals pending (DOMAIN §4). The months
    page asks before it offers the confirmation step; ``month_publish`` refuses with it."""
    now = now or timezone.now()
    if assessment.state != MonthState.REVIEW:
        return _("Only a month in review can be published.")
    window_end = assessment.appeal_window_end
    if window_end is not None and now <= window_end:
        return _("Managers may appeal until %(end)s: the month can be published after that.") % {
            "end": timezone.localtime(window_end).strftime("%Y-%m-%d %H:%M:%S")
        }
    pending = _pending_appeals(assessment).count()
    if pending:
        return _("%(n)s appeals are still pending; decide them before publishing.") % {"n": pending}
    return None


@transaction.atomic
def month_publish(
    *, month: date, company: OrgUnit | None = None, user=None, now=None
) -> AssessmentMonth:
    """review → published: the scores are locked; later data goes to the next open month.

    Refused until strictly after the appeal window ends (at its very end it is still
    refused) and while any appeal of the month is pending (DOMAIN §4)."""
    now = now or timezone.now()
    assessment = _lock_month(month_start(month), city(company))
    refusal = publish_refusal(assessment, now=now)
    if refusal:
        raise ValidationError(refusal)
    assessment.state = MonthState.PUBLISHED
    assessment.published_at = now
    assessment.published_by = user
    assessment.save(update_fields=["state", "published_at", "published_by"])
    return assessment


@transaction.atomic
def month_send_back(
    *, month: date, company: OrgUnit | None = None, user, reason: str, now=None
) -> AssessmentMonth:
    """review → draft, by the assessment center (or an admin), with a written reason: the
    month can be recomputed; its pending appeals are withdrawn (the managers may file them
    again when the month is back in review). Audited like every month change."""
    if not (user.role in (Role.ASSESSMENT_CENTER, Role.ADMIN) or user.is_superuser):
        raise PermissionDenied(_("Only the assessment center sends a month back to draft."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for sending the month back.")})
    now = now or timezone.now()
    assessment = _lock_month(month_start(month), city(company))
    if assessment.state != MonthState.REVIEW:
        raise ValidationError(_("Only a month in review can be sent back to draft."))
    for appeal in _pending_appeals(assessment).select_for_update():
        appeal.status = AppealStatus.WITHDRAWN
        appeal.decided_by = user
        appeal.decided_at = now
        appeal.decision_reason = reason
        appeal.save()  # one by one, so that each withdrawal is in the audit trail
    assessment.state = MonthState.DRAFT
    assessment.review_from = None
    assessment.sent_back_at = now
    assessment.sent_back_by = user
    assessment.sent_back_reason = reason
    assessment.save(
        update_fields=["state", "review_from", "sent_back_at", "sent_back_by", "sent_back_reason"]
    )
    return assessment


def _inspector_level(user) -> int:
    level = ROLE_LEVEL.get(user.role)
    if level is None:
        raise PermissionDenied(_("Only supervisors of the three levels inspect managers."))
    return level


@transaction.atomic
def inspection_record(
    *,
    inspector,
    manager_id: int,
    inspected_on: date,
    item_code: str,
    points: Decimal,
    reason: str,
    visit=None,
    retailer=None,
    photo=None,
) -> Inspection:
    """A deduction against a manager in the inspector's subtree (else DoesNotExist → 404).

    It counts in the month of ``inspected_on``. When that month is in review or published it
    is late data of it (``inspection.late``): the next open month's close carries it as a
    调整 line (DOMAIN §4); the month itself is never rewritten."""
    level = _inspector_level(inspector)
    manager = User.objects.visible_to(inspector).get(pk=manager_id, role=Role.CUSTOMER_MANAGER)
    if inspected_on > timezone.localdate():
        raise ValidationError({"inspected_on": _("The date cannot be in the future.")})
    company = manager.company
    month = month_start(inspected_on)
    try:
        scheme = scheme_for(month, company)
    except AssessmentScheme.DoesNotExist as exc:  # a date before the first scheme
        raise ValidationError(
            {"inspected_on": _("No assessment scheme is in force in this month.")}
        ) from exc
    codes = set(scheme.items.values_list("code", flat=True))
    if item_code not in codes:
        raise ValidationError({"item_code": _("Unknown assessment item.")})
    inspection = Inspection(
        manager=manager,
        inspector=inspector,
        level=level,
        inspected_on=inspected_on,
        month=month,
        item_code=item_code,
        points=points,
        reason=(reason or "").strip(),
        visit=visit,
        retailer=retailer,
    )
    if photo:
        inspection.photo = photo
    inspection.full_clean()
    inspection.save()
    inspection.late = note_late(
        kind=LateKind.INSPECTION,
        company=company,
        day=inspected_on,
        manager_id=manager.pk,
        object_id=inspection.pk,
        note=f"督察扣分 {inspection.points} 分（{default_item_name(item_code)}）",
    )
    return inspection


@transaction.atomic
def bonus_grant(*, user, manager_id: int, day: date, points: Decimal, reason: str) -> BonusPoint:
    """Bonus points in the month of ``day``; in a month in review or published they are late
    data of it (``bonus.late``), carried as a 调整 line with the month's cap applied."""
    _inspector_level(user)
    manager = User.objects.visible_to(user).get(pk=manager_id, role=Role.CUSTOMER_MANAGER)
    if day > timezone.localdate():
        raise ValidationError({"day": _("The date cannot be in the future.")})
    bonus = BonusPoint(
        manager=manager,
        granted_by=user,
        month=month_start(day),
        points=points,
        reason=(reason or "").strip(),
    )
    bonus.full_clean()
    bonus.save()
    bonus.late = note_late(
        kind=LateKind.BONUS,
        company=manager.company,
        day=day,
        manager_id=manager.pk,
        object_id=bonus.pk,
        note=f"加分 {bonus.points} 分",
    )
    return bonus


def _month_open_for_appeal(month: date, company, now) -> AssessmentMonth:
    """The month an appeal is filed in: in review, until the end of its appeal window
    (inclusive, DOMAIN §10.11); refused with the reason otherwise."""
    assessment = AssessmentMonth.objects.filter(month=month, company=company).first()
    if assessment is None or assessment.state != MonthState.REVIEW:
        raise ValidationError(_("Appeals are filed while the month is in review."))
    days = assessment.scheme.appeal_days if assessment.scheme else 5
    if now > assessment.appeal_window_end:
        raise ValidationError(_("The %(days)s days to appeal have passed.") % {"days": days})
    return assessment


def _check_target(*, inspection, visit, info_item, user) -> None:
    """The manager concerned appeals, and only a visit or an item that is marked invalid."""
    if inspection is not None:
        if inspection.manager_id != user.pk:
            raise PermissionDenied(_("Only the manager concerned can appeal a deduction."))
    elif visit is not None:
        if visit.manager_id != user.pk:
            raise PermissionDenied(_("Only the manager who made the visit can appeal it."))
        if visit.status != VisitStatus.INVALID:
            raise ValidationError(_("Only a visit marked invalid can be appealed."))
    else:
        if info_item.reported_by_id != user.pk:
            raise PermissionDenied(_("Only the manager who reported the item can appeal it."))
        if info_item.validity != Validity.INVALID:
            raise ValidationError(_("Only an information item marked invalid can be appealed."))


def _earlier_appeal(*, inspection, visit, info_item) -> Appeal | None:
    """The latest appeal of the same target (locked) when it is to be filed again (it was
    withdrawn with its month), else None; refused while it stands (``blocks_new_appeal``)."""
    target = {"inspection": inspection, "visit": visit, "info_item": info_item}
    earlier = (
        Appeal.objects.select_for_update()
        .filter(**{key: value for key, value in target.items() if value is not None})
        .order_by("-filed_at", "-pk")
        .first()
    )
    if blocks_new_appeal(earlier, inspection or visit or info_item):
        if inspection is not None:
            raise ValidationError(_("This deduction has already been appealed."))
        if visit is not None:
            raise ValidationError(_("This visit has already been appealed."))
        raise ValidationError(_("This information item has already been appealed."))
    if earlier is not None and earlier.status == AppealStatus.WITHDRAWN:
        return earlier
    return None


@transaction.atomic
def appeal_file(
    *, user, reason: str, inspection=None, visit=None, info_item=None, now=None
) -> Appeal:
    """The manager appeals a deduction, a visit marked invalid or an information item
    marked invalid (exactly one), while the month it counts in is in review, within the
    appeal days (DOMAIN §10.11)."""
    now = now or timezone.now()
    if sum(target is not None for target in (inspection, visit, info_item)) != 1:
        raise ValidationError(
            _("An appeal is against one deduction, one visit or one information item.")
        )
    _check_target(inspection=inspection, visit=visit, info_item=info_item, user=user)
    fields = Appeal.target_fields(inspection=inspection, visit=visit, info_item=info_item)
    _month_open_for_appeal(fields["month"], user.company, now)
    earlier = _earlier_appeal(inspection=inspection, visit=visit, info_item=info_item)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the appeal.")})
    # An appeal withdrawn when the month went back to draft is filed again (the same row,
    # so the audit trail keeps its history).
    appeal = earlier or Appeal()
    for name, value in fields.items():
        setattr(appeal, name, value)
    appeal.reason = reason.strip()
    appeal.status = AppealStatus.PENDING
    appeal.decided_by, appeal.decided_at, appeal.decision_reason = None, None, ""
    if earlier is not None:
        appeal.filed_at = now
    appeal.full_clean()
    appeal.save()
    return appeal


def _restore(appeal: Appeal, *, user, reason: str, now) -> None:
    """What an accepted appeal undoes: the deduction is withdrawn; the visit is valid again
    and the item counted, recorded as reviewed by the decider with the decision's reason."""
    if appeal.inspection_id:
        appeal.inspection.withdrawn = True
        appeal.inspection.save(update_fields=["withdrawn"])
    elif appeal.visit_id:
        visit = appeal.visit
        longest = Visit._meta.get_field("review_note").max_length
        visit.status = VisitStatus.VALID
        visit.reviewed_by = user
        visit.reviewed_at = now
        visit.review_note = (_("Appeal accepted: %(reason)s") % {"reason": reason})[:longest]
        visit.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    else:
        item = appeal.info_item
        item.validity = Validity.VALID
        item.reviewed_by = user
        item.reviewed_at = now
        item.save(update_fields=["validity", "reviewed_by", "reviewed_at"])


@transaction.atomic
def appeal_decide(*, appeal: Appeal, user, accept: bool, reason: str, now=None) -> Appeal:
    """A supervisor one level above the person whose decision is appealed (or higher;
    level 1 for level-1 decisions, by another person; or an admin) accepts or rejects with
    a reason. Accepted: the deduction is withdrawn, or the visit or item counts again, and
    the manager's score of the month in review is recomputed."""
    now = now or timezone.now()
    level = 0 if (user.role == Role.ADMIN or user.is_superuser) else _inspector_level(user)
    if level > max(1, appeal.level - 1) or user.pk == appeal.marked_by_id:
        if appeal.inspection_id:
            raise PermissionDenied(_("An appeal is decided one level above the inspector."))
        raise PermissionDenied(
            _("An appeal is decided one level above the supervisor who marked it invalid.")
        )
    if appeal.status != AppealStatus.PENDING:
        raise ValidationError(_("This appeal has already been decided."))
    if not (reason or "").strip():
        raise ValidationError({"decision_reason": _("Give the reason for the decision.")})
    assessment = AssessmentMonth.objects.select_for_update().get(
        month=appeal.month, company=appeal.manager.company
    )
    if assessment.state == MonthState.PUBLISHED:
        raise ValidationError(_("The month is published: its scores are locked."))
    appeal.status = AppealStatus.ACCEPTED if accept else AppealStatus.REJECTED
    appeal.decided_by = user
    appeal.decided_at = now
    appeal.decision_reason = reason.strip()
    appeal.save()
    if accept:
        _restore(appeal, user=user, reason=appeal.decision_reason, now=now)
        _compute(assessment, manager_ids=[appeal.manager_id], now=assessment.closed_at)
    return appeal
