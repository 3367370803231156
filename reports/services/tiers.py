"""Writes of the quarterly tier review: proposals, an admin's decision, an admin's assignment.

Proposals are made only where the review changes something: a new tier or a flag
(training, probation extended). A "no change" outcome leaves no row, so the admin's list
holds only what needs a decision. Running the review again is idempotent: PROPOSED rows
are brought up to date (and removed when the outcome became "no change"); approved and
rejected rows are left alone.

An approved change takes effect from the first day of the month after the decision (the
next month's pay). Proposals and tiers are audited (django-auditlog, ``assessment.audit``);
the review writes its proposals in bulk, so their audit trail starts at the decision.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrgUnit, Role, User
from assessment.models import AssessmentMonth
from retailers.models import add_months

from ..models import ManagerTier, ProposalStatus, Tier, TierProposal
from ..selectors.tiers import check_quarter, review_inputs
from ..tiers import TIER_NAMES_ZH, quarter_label, quarter_months, review

PROPOSAL_FIELDS = ("current_tier", "proposed_tier", "flag", "reasons")


def is_tier_admin(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role == Role.ADMIN))


def _require_admin(user) -> None:
    if not is_tier_admin(user):
        raise PermissionDenied(_("Only an administrator manages tiers."))


@transaction.atomic
def tiers_review(*, quarter_start: date, company: OrgUnit | None = None) -> dict:
    """Review every manager of a city company (the only one, when none is named) scored in
    the quarter; create or refresh the proposals."""
    check_quarter(quarter_start)
    company = company or OrgUnit.objects.sole_company()
    # Serialise concurrent runs of the same quarter on its month rows (PostgreSQL).
    list(
        AssessmentMonth.objects.select_for_update()
        .filter(company=company, month__in=quarter_months(quarter_start))
        .values_list("pk", flat=True)
    )
    inputs = review_inputs(quarter_start, company)
    existing = {
        p.manager_id: p
        for p in TierProposal.objects.select_for_update().filter(
            quarter_start=quarter_start, manager__org_unit__company=company
        )
    }
    create, update, remove = [], [], []
    unchanged = decided = 0
    for pk, manager_inputs in inputs.items():
        decision = review(manager_inputs)
        values = {
            "current_tier": manager_inputs.current_tier,
            "proposed_tier": decision.proposed_tier,
            "flag": decision.flag,
            "reasons": decision.reasons,
        }
        wanted = decision.changes(manager_inputs.current_tier)
        proposal = existing.get(pk)
        if proposal is None:
            if wanted:
                create.append(TierProposal(quarter_start=quarter_start, manager_id=pk, **values))
        elif proposal.status != ProposalStatus.PROPOSED:
            decided += 1
        elif not wanted:
            remove.append(proposal.pk)
        elif any(getattr(proposal, field) != value for field, value in values.items()):
            for field, value in values.items():
                setattr(proposal, field, value)
            update.append(proposal)
        else:
            unchanged += 1
    TierProposal.objects.bulk_create(create)
    TierProposal.objects.bulk_update(update, PROPOSAL_FIELDS)
    if remove:
        TierProposal.objects.filter(pk__in=remove).delete()
    return {
        "quarter": quarter_label(quarter_start),
        "company": company.code,
        "managers": len(inputs),
        "created": len(create),
        "updated": len(update),
        "unchanged": unchanged,
        "removed": len(remove),
        "decided": decided,
    }


def _record_tier(*, manager_id, tier, effective_from, user, reason) -> ManagerTier:
    """The manager's tier from ``effective_from`` (replacing one that starts that month)."""
    row = ManagerTier.objects.filter(manager_id=manager_id, effective_from=effective_from).first()
    if row is None:
        row = ManagerTier(manager_id=manager_id, effective_from=effective_from)
    row.tier = tier
    row.reason = reason[:300]
    row.created_by = user
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def proposal_decide(
    *, proposal: TierProposal, user, approve: bool, note: str = "", now=None
) -> TierProposal:
    """An admin approves or rejects a proposal. Approving a change of tier records the new
    tier from the first day of the month after the decision; a flag alone records none."""
    _require_admin(user)
    proposal = TierProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != ProposalStatus.PROPOSED:
        raise ValidationError(_("This proposal has already been decided."))
    now = now or timezone.now()
    proposal.status = ProposalStatus.APPROVED if approve else ProposalStatus.REJECTED
    proposal.decided_by = user
    proposal.decided_at = now
    proposal.decision_note = (note or "").strip()[:300]
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if approve and proposal.proposed_tier != proposal.current_tier:
        quarter = quarter_label(proposal.quarter_start)
        old, new = TIER_NAMES_ZH[proposal.current_tier], TIER_NAMES_ZH[proposal.proposed_tier]
        _record_tier(
            manager_id=proposal.manager_id,
            tier=proposal.proposed_tier,
            effective_from=add_months(timezone.localdate(now), 1),
            user=user,
            reason=f"{quarter} 季度评审：{old} → {new}",
        )
    return proposal


@transaction.atomic
def tier_set(*, manager: User, tier: str, effective_from: date, user, reason: str) -> ManagerTier:
    """An admin assigns a manager's tier (e.g. the initial one) from a month on."""
    _require_admin(user)
    if manager.role != Role.CUSTOMER_MANAGER:
        raise ValidationError(_("Only customer managers have a tier."))
    if tier not in Tier.values:
        raise ValidationError({"tier": _("Unknown tier.")})
    if effective_from.day != 1:
        raise ValidationError({"effective_from": _("A tier takes effect on the first of a month.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give a reason.")})
    return _record_tier(
        manager_id=manager.pk,
        tier=tier,
        effective_from=effective_from,
        user=user,
        reason=reason.strip(),
    )


INITIAL_TIER_REASON = "初始等级（人员导入）"


@transaction.atomic
def initial_tiers_record(*, tiers: dict[int, tuple[str, date]]) -> dict[int, str]:
    """Record each manager's initial tier from a month on: ``{manager id: (tier, month)}``.

    Set-wise (one read, one insert, one update). A manager with no tier on record gets the
    row; a manager whose only row is an earlier initial tier has it corrected; a manager
    with a tier history (reviews, an admin's assignment) keeps it. Returns ``{manager id:
    "created" | "updated" | "unchanged" | "kept"}``.
    """
    for tier, month in tiers.values():
        if tier not in Tier.values or month.day != 1:
            raise ValidationError(_("Unknown tier."))
    rows: dict[int, list[ManagerTier]] = {}
    for row in ManagerTier.objects.filter(manager_id__in=list(tiers)).order_by("effective_from"):
        rows.setdefault(row.manager_id, []).append(row)
    outcome, create, update = {}, [], []
    for manager_id, (tier, month) in tiers.items():
        history = rows.get(manager_id, [])
        if not history:
            create.append(
                ManagerTier(
                    manager_id=manager_id,
                    tier=tier,
                    effective_from=month,
                    reason=INITIAL_TIER_REASON,
                )
            )
            outcome[manager_id] = "created"
        elif (history[0].tier, history[0].effective_from) == (tier, month):
            outcome[manager_id] = "unchanged"
        elif len(history) == 1 and history[0].reason == INITIAL_TIER_REASON:
            history[0].tier, history[0].effective_from = tier, month
            update.append(history[0])
            outcome[manager_id] = "updated"
        else:
            outcome[manager_id] = "kept"
    ManagerTier.objects.bulk_create(create)
    if update:
        ManagerTier.objects.bulk_update(update, ["tier", "effective_from"])
    return outcome
