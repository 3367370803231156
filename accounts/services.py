"""Writes to the org tree, users and territories."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from .models import OrgKind, OrgUnit, Role, Territory, User


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
        subtree.update(path=Concat(Value(unit.path), Substr(F("path"), len(old_path) + 1)))
        if unit.kind != OrgKind.COMPANY:
            # A center moved to another city takes its departments along.
            subtree.update(company=unit.company)
    return unit


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
