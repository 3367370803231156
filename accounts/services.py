"""Writes to the org tree, users and territories."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import OrgKind, OrgUnit, OrgUnitMove, Role, Territory, User


def _path_for(unit: OrgUnit) -> str:
    prefix = unit.parent.path if unit.parent_id else "/"
    return f"{prefix}{unit.pk}/"


def _company_for(unit: OrgUnit) -> OrgUnit | None:
    """The city company a unit belongs to: itself, its parent's, or none (a province)."""
    if unit.kind == OrgKind.PROVINCE:
        return None
    if unit.kind == OrgKind.COMPANY:
        return unit
    return unit.parent.company if unit.parent_id else None


@transaction.atomic
def org_unit_create(
    *, name: str, code: str, kind: str, parent: OrgUnit | None = None, address: str = ""
) -> OrgUnit:
    unit = OrgUnit(name=name, code=code, kind=kind, parent=parent, address=address)
    unit.full_clean(exclude=["path", "company"])
    if kind != OrgKind.COMPANY:  # a company is its own, known once it has a primary key
        unit.company = _company_for(unit)
    unit.save()
    unit.path = _path_for(unit)
    unit.company = _company_for(unit)
    unit.save(update_fields=["path", "company"])
    return unit


@transaction.atomic
def org_unit_update(*, unit: OrgUnit, **fields) -> OrgUnit:
    """Change a unit's fields; a new parent moves its whole subtree in one UPDATE."""
    old_path = unit.path
    for name, value in fields.items():
        setattr(unit, name, value)
    unit.full_clean(exclude=["path", "company"])
    if unit.parent_id and unit.parent.is_within(unit):
        raise ValidationError({"parent": _("A unit cannot be moved under itself.")})
    unit.path = _path_for(unit)
    unit.company = _company_for(unit)
    unit.save()
    if unit.path != old_path:
        subtree = OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk)
        changes = {"path": Concat(Value(unit.path), Substr(F("path"), len(old_path) + 1))}
        if unit.kind != OrgKind.COMPANY:
            # A center moved to another city takes its departments along (in the same
            # UPDATE: once the paths changed, the old prefix no longer finds the subtree).
            changes["company"] = unit.company
        subtree.update(**changes)
    return unit


def city_of(unit: OrgUnit | None) -> OrgUnit | None:
    """The city company a unit is in: itself for a company, none for a province."""
    if unit is None:
        return None
    return unit if unit.kind == OrgKind.COMPANY else unit.company


def move_date_error(
    effective_from: date,
    *,
    city_ids,
    last_move: date | None = None,
    locked: dict | None = None,
    today: date | None = None,
) -> str | None:
    """Why a move of an org unit may not take effect on ``effective_from``, or None.

    A move is recorded on or after its date (never in advance), not before the unit's last
    move (the current tree is the latest move), and it may not take effect inside a month in
    review or published of the old or the new city (``city_ids``): the month of its date and
    every month from there to today, which the move changes as well.
    """
    from assessment.selectors import locked_month_reason, locked_months  # above accounts

    today = today or timezone.localdate()
    if effective_from > today:
        return _(
            "A move cannot be dated in the future (after %(today)s); record it on or after "
            "the day it takes effect."
        ) % {"today": today.isoformat()}
    if last_move is not None and effective_from < last_move:
        return _(
            "The unit's last move took effect on %(date)s; a later move cannot be dated before it."
        ) % {"date": last_move.isoformat()}
    city_ids = [pk for pk in dict.fromkeys(city_ids) if pk is not None]
    if locked is None:
        locked = locked_months(city_ids)
    month = effective_from.replace(day=1)
    while month <= today:
        for city_id in city_ids:
            if reason := locked_month_reason(month, city_id, locked):
                return reason
        month = (month + timedelta(days=31)).replace(day=1)
    return None


@transaction.atomic
def org_unit_move(
    *,
    unit: OrgUnit,
    parent: OrgUnit | None,
    effective_from: date,
    recorded_by: User | None = None,
    locked: dict | None = None,
) -> OrgUnitMove:
    """Move ``unit`` (with its subtree) under ``parent`` from ``effective_from``; the move is
    kept as history and the current tree follows it (``org_unit_update``)."""
    if parent == unit.parent:
        raise ValidationError({"parent": _("The unit already sits under this parent.")})
    last = unit.moves.order_by("-effective_from").values_list("effective_from", flat=True).first()
    new_city = unit if unit.kind == OrgKind.COMPANY else city_of(parent)
    error = move_date_error(
        effective_from,
        city_ids=[getattr(city_of(unit), "pk", None), getattr(new_city, "pk", None)],
        last_move=last,
        locked=locked,
    )
    if error:
        raise ValidationError({"effective_from": error})
    from_parent = unit.parent
    org_unit_update(unit=unit, parent=parent)
    move = OrgUnitMove(
        unit=unit,
        from_parent=from_parent,
        to_parent=parent,
        effective_from=effective_from,
        recorded_by=recorded_by,
    )
    move.full_clean()
    move.save()
    return move


@transaction.atomic
def user_create(
    *,
    employee_no: str,
    name: str,
    role: str,
    org_unit: OrgUnit | None,
    password: str | None = None,
    phone: str = "",
    hire_date=None,
) -> User:
    # The admin site is unscoped, so only an admin at the deployment's root (the province,
    # or a single city company) gets it; a city admin under a province works in the
    # product's pages, which are scoped to the city.
    root_admin = role == Role.ADMIN and org_unit is not None and org_unit.parent_id is None
    user = User(
        employee_no=employee_no,
        name=name,
        role=role,
        org_unit=org_unit,
        phone=phone,
        hire_date=hire_date,
        is_staff=root_admin,
        is_superuser=root_admin,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def territory_create(
    *,
    code: str,
    name: str,
    department: OrgUnit,
    manager: User | None = None,
    latitude=None,
    longitude=None,
) -> Territory:
    territory = Territory(
        code=code,
        name=name,
        department=department,
        manager=manager,
        latitude=latitude,
        longitude=longitude,
    )
    territory.full_clean()
    territory.save()
    return territory


TERRITORY_FIELDS = ("name", "department", "latitude", "longitude", "is_active")


@transaction.atomic
def territory_update(*, territory: Territory, **fields) -> Territory:
    """Change a territory's name, department, centre or active flag.

    Its manager is not among them: a change of manager is a handover, dated, which closes the
    old manager's assignments and opens the new one's.
    """
    unknown = set(fields) - set(TERRITORY_FIELDS)
    if unknown:
        raise ValueError(f"territory_update cannot change {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(territory, name, value)
    territory.full_clean()
    territory.save()
    return territory
