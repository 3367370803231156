"""Writes for retailers, their assignment history, violations and class overrides."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, Territory, User

from .models import (
    ClassOverride,
    Retailer,
    RetailerAssignment,
    RetailerClass,
    Violation,
)


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


@transaction.atomic
def retailer_create(*, on: date | None = None, **fields) -> Retailer:
    retailer = Retailer(**fields)
    retailer.full_clean()
    retailer.save()
    assignments_sync(retailer_ids=[retailer.pk], on=on)
    return retailer


@transaction.atomic
def retailer_update(*, retailer: Retailer, on: date | None = None, **fields) -> Retailer:
    """Change a retailer; a new territory starts a new assignment from ``on``."""
    for name, value in fields.items():
        setattr(retailer, name, value)
    retailer.full_clean()
    retailer.save()
    if "territory" in fields or "territory_id" in fields:
        assignments_sync(retailer_ids=[retailer.pk], on=on)
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
