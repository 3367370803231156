"""Writes for retailers, their assignment history, violations and class overrides."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrgUnit, Role, Territory, User

from .classification import Rules, classify
from .models import (
    ClassificationRecord,
    ClassificationRuleSet,
    ClassOverride,
    Retailer,
    RetailerAssignment,
    RetailerClass,
    RetailerStatus,
    RetailerStatusChange,
    Violation,
    month_start,
    status_on,
)
from .selectors import classification_inputs, rule_set_for


def assignments_sync(*, retailer_ids=None, on: date | None = None) -> int:
    """Make the open assignment of each retailer match its territory and that territory's manager.

    Set-based: one UPDATE closes every open assignment that no longer matches (from
    ``on``), one INSERT opens the new ones. Used after imports, transfers and changes of a
    territory's manager. Returns the number of assignments opened.
    """
    on = on or timezone.localdate()
    retailers = Retailer.objects.all()
    if retailer_ids is not None:
        retailers = retailers.filter(pk__in=retailer_ids)
    stale = RetailerAssignment.objects.filter(
        valid_to__isnull=True, retailer__in=retailers
    ).exclude(
        Q(territory_id=F("retailer__territory_id"))
        & (
            Q(manager_id=F("retailer__territory__manager_id"))
            | Q(manager__isnull=True, retailer__territory__manager__isnull=True)
        )
    )
    # An assignment that would end on or before its own start is simply replaced.
    stale.filter(valid_from__gte=on).delete()
    stale.update(valid_to=on)
    missing = retailers.exclude(
        Exists(RetailerAssignment.objects.filter(retailer=OuterRef("pk"), valid_to__isnull=True))
    ).values_list("pk", "territory_id", "territory__manager_id")
    new = [
        RetailerAssignment(
            retailer_id=pk, territory_id=territory_id, manager_id=manager_id, valid_from=on
        )
        for pk, territory_id, manager_id in missing.iterator(chunk_size=5000)
    ]
    RetailerAssignment.objects.bulk_create(new, batch_size=5000)
    return len(new)


def retailer_statuses_sync(*, retailer_ids=None, today: date | None = None) -> int:
    """Make each retailer's cached ``status`` the status in force ``today`` (set-based: one
    UPDATE per status). Run by the status service, the imports and nightly for future-dated
    changes that come into force. Returns the number of retailers whose status changed.
    """
    today = today or timezone.localdate()
    retailers = Retailer.objects.all()
    if retailer_ids is not None:
        retailers = retailers.filter(pk__in=retailer_ids)
    changed = 0
    for status in RetailerStatus.values:
        stale = retailers.status_on(today, status).exclude(status=status).values("pk")
        changed += Retailer.objects.filter(pk__in=stale).update(
            status=status, updated_at=timezone.now()
        )
    return changed


def status_change_refusal(*, day: date, company_id, locked=None) -> str | None:
    """Why a status change dated ``day`` may not be recorded in a city, or None."""
    from assessment.selectors import locked_month_reason  # assessment reads retailers

    return locked_month_reason(day, company_id, locked)


@transaction.atomic
def retailer_status_change(
    *,
    retailer: Retailer,
    status: str,
    effective_from: date,
    note: str = "",
    user: User | None = None,
) -> RetailerStatusChange:
    """Record that ``retailer`` has ``status`` from ``effective_from`` on (DOMAIN §9, §10.2).

    One change per retailer and day: a second change on the same day replaces the first.
    Refused inside a month in review or published of the retailer's city company. The
    cached status follows when the change is in force today.
    """
    if status not in RetailerStatus.values:
        raise ValidationError({"status": _("Choose a status: active, suspended or cancelled.")})
    company_id = (
        Territory.objects.filter(pk=retailer.territory_id)
        .values_list("department__company_id", flat=True)
        .first()
    )
    reason = status_change_refusal(day=effective_from, company_id=company_id)
    if reason:
        raise ValidationError({"effective_from": reason})
    change = RetailerStatusChange.objects.filter(
        retailer=retailer, effective_from=effective_from
    ).first() or RetailerStatusChange(retailer=retailer, effective_from=effective_from)
    change.status = status
    change.note = note or ""
    change.recorded_by = user
    change.full_clean()
    change.save()
    retailer_statuses_sync(retailer_ids=[retailer.pk])
    retailer.refresh_from_db(fields=["status", "updated_at"])
    return change


@transaction.atomic
def retailer_create(
    *, on: date | None = None, user: User | None = None, note: str = "", **fields
) -> Retailer:
    """Create a retailer assigned from ``on``; its status is recorded from ``on`` (the first
    recorded status also holds before it)."""
    on = on or timezone.localdate()
    retailer = Retailer(**fields)
    retailer.full_clean()
    retailer.save()
    RetailerStatusChange.objects.create(
        retailer=retailer, status=retailer.status, effective_from=on, note=note, recorded_by=user
    )
    assignments_sync(retailer_ids=[retailer.pk], on=on)
    return retailer


@transaction.atomic
def retailer_update(
    *, retailer: Retailer, on: date | None = None, user: User | None = None, **fields
) -> Retailer:
    """Change a retailer; a new territory starts a new assignment from ``on``, and a new
    status is a status change from ``on`` (refused inside a locked month)."""
    on = on or timezone.localdate()
    status = fields.pop("status", None)
    for name, value in fields.items():
        setattr(retailer, name, value)
    retailer.full_clean()
    retailer.save()
    if "territory" in fields or "territory_id" in fields:
        assignments_sync(retailer_ids=[retailer.pk], on=on)
    if status is not None:
        in_force = (
            Retailer.objects.filter(pk=retailer.pk)
            .annotate(in_force=status_on(on))
            .values_list("in_force", flat=True)
            .get()
        )
        if in_force != status:
            retailer_status_change(retailer=retailer, status=status, effective_from=on, user=user)
    return retailer


@transaction.atomic
def territory_set_manager(
    *, territory: Territory, manager: User | None, on: date | None = None
) -> Territory:
    """Hand a territory to another customer manager from ``on``; sales follow the date."""
    territory.manager = manager
    territory.full_clean()
    territory.save(update_fields=["manager"])
    assignments_sync(retailer_ids=territory.retailers.values("pk"), on=on)
    return territory


@transaction.atomic
def violation_record(
    *,
    retailer: Retailer,
    occurred_on: date,
    severity: str,
    description: str,
    recorded_by: User | None = None,
) -> Violation:
    violation = Violation(
        retailer=retailer,
        occurred_on=occurred_on,
        severity=severity,
        description=description,
        recorded_by=recorded_by,
    )
    violation.full_clean()
    violation.save()
    return violation


OVERRIDE_ROLES = (
    Role.SERVICE_DEPT_SUPERVISOR,
    Role.MARKETING_CENTER_SUPERVISOR,
    Role.ASSESSMENT_CENTER,
    Role.ADMIN,
)


@transaction.atomic
def class_override(
    *, retailer: Retailer, user: User, new_class: str, reason: str, pinned: bool = False
) -> ClassOverride:
    """A supervisor sets a retailer's class by hand, with a written reason.

    The override lasts until the next monthly classification unless it is pinned.
    The caller has already fetched ``retailer`` through ``visible_to(user)``.
    """
    if user.role not in OVERRIDE_ROLES and not user.is_superuser:
        raise ValidationError(_("Only supervisors can override a retailer's class."))
    if new_class not in RetailerClass.values:
        raise ValidationError({"new_class": _("Choose class A, B or C.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the override.")})
    retailer = Retailer.objects.select_for_update().get(pk=retailer.pk)
    record = ClassOverride.objects.create(
        retailer=retailer,
        old_class=retailer.abc_class,
        new_class=new_class,
        reason=reason,
        pinned=pinned,
        created_by=user,
    )
    retailer.abc_class = new_class
    retailer.class_pinned = pinned
    retailer.save(update_fields=["abc_class", "class_pinned", "updated_at"])
    return record


RECORD_FIELDS = [
    "rule_set",
    "scale_score",
    "environment_score",
    "potential_score",
    "compliance_score",
    "credit_score",
    "total_score",
    "average_monthly_cartons",
    "serious_violations",
    "computed_class",
    "previous_class",
    "final_class",
    "pinned",
    "created_at",
]


@transaction.atomic
def classification_run(
    *, month: date, company: OrgUnit | None = None, rule_set: ClassificationRuleSet | None = None
) -> dict:
    """Classify every active retailer for the run on the 1st of ``month``: of one city
    company, or of every city when ``company`` is None (each with the rules in force for
    it; scale ranks never mix cities).
    """
    if company is None:
        companies = list(OrgUnit.objects.companies())
        if len(companies) == 1:
            company = companies[0]
    if company is None:
        runs = [_classify_city(month=month, company=city, rule_set=rule_set) for city in companies]
        return {
            "month": month_start(month).isoformat(),
            "rule_set": ", ".join(sorted({f"v{run['rule_set']}" for run in runs})) or "—",
            "retailers": sum(run["retailers"] for run in runs),
            "changed": sum(run["changed"] for run in runs),
            "companies": runs,
        }
    return _classify_city(month=month, company=company, rule_set=rule_set)


def _classify_city(
    *, month: date, company: OrgUnit, rule_set: ClassificationRuleSet | None = None
) -> dict:
    """Classify the active retailers of one city company.

    Inputs are gathered in two aggregate queries; each retailer is scored by the pure
    ``classify`` function; results are upserted (one record per retailer and month, so a
    re-run changes nothing when the inputs have not changed) and retailers' classes are
    updated with one UPDATE per class. A pinned override keeps its class.
    """
    first = month_start(month)
    rule_set = rule_set or rule_set_for(first, company)
    rules = Rules.from_rule_set(rule_set)
    inputs = classification_inputs(first, rule_set, company)
    # On a re-run the class before this month's run is the one recorded the first time.
    earlier = dict(
        ClassificationRecord.objects.filter(
            month=first, retailer__territory__department__company=company
        ).values_list("retailer_id", "previous_class")
    )
    now = timezone.now()
    records = []
    for retailer_id, row in inputs.items():
        result = classify(row["inputs"], rules)
        previous = earlier.get(retailer_id, row["class"])
        final = row["class"] if row["pinned"] and row["class"] else result.klass
        records.append(
            ClassificationRecord(
                retailer_id=retailer_id,
                month=first,
                rule_set=rule_set,
                scale_score=result.scale,
                environment_score=result.environment,
                potential_score=result.potential,
                compliance_score=result.compliance,
                credit_score=result.credit,
                total_score=result.total,
                average_monthly_cartons=row["average"],
                serious_violations=row["inputs"].serious_violations,
                computed_class=result.klass,
                previous_class=previous,
                final_class=final,
                pinned=bool(row["pinned"] and row["class"]),
                created_at=now,
            )
        )
    ClassificationRecord.objects.bulk_create(
        records,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["retailer", "month"],
        update_fields=RECORD_FIELDS,
    )
    for klass in RetailerClass.values:
        Retailer.objects.filter(
            territory__department__company=company,
            classifications__month=first,
            classifications__final_class=klass,
            class_pinned=False,
        ).exclude(abc_class=klass).update(abc_class=klass)
    changed = sum(1 for r in records if r.previous_class != r.final_class)
    return {
        "month": first.isoformat(),
        "company": company.code,
        "rule_set": rule_set.version,
        "retailers": len(records),
        "changed": changed,
    }
