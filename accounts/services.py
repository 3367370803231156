"""Writes to the org tree, users and territories, and people's passwords."""

import secrets
from datetime import date, timedelta

from django.contrib.auth.hashers import get_hasher, make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import InitialCodeSheet, OrgKind, OrgUnit, OrgUnitMove, Role, Territory, User


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


def _is_root_admin(role: str, org_unit: OrgUnit | None) -> bool:
    # The admin site is unscoped, so only an admin at the deployment's root (the province,
    # or a single city company) gets it; a city admin under a province works in the
    # product's pages, which are scoped to the city.
    return role == Role.ADMIN and org_unit is not None and org_unit.parent_id is None


@transaction.atomic
def user_create(
    *,
    employee_no: str,
    name: str,
    role: str,
    org_unit: OrgUnit | None,
    password: str | None = None,
    initial_code: str | None = None,
    phone: str = "",
    hire_date=None,
    is_active: bool = True,
) -> User:
    """A new person. ``password``: one they chose (tests, the demo); ``initial_code``: a
    one-time code they must replace at the first login; neither: no usable password."""
    root_admin = _is_root_admin(role, org_unit)
    user = User(
        employee_no=employee_no,
        name=name,
        role=role,
        org_unit=org_unit,
        phone=phone,
        hire_date=hire_date,
        is_active=is_active,
        is_staff=root_admin,
        is_superuser=root_admin,
    )
    if initial_code:
        user.password = initial_code_hash(initial_code)
        user.must_change_password = True
    elif password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


USER_UPDATE_FIELDS = ("name", "role", "org_unit", "phone", "hire_date", "is_active")


@transaction.atomic
def user_update(*, user: User, **fields) -> list[str]:
    """Change a person's fields (``USER_UPDATE_FIELDS``); return the names that changed.

    A new role or unit recomputes the admin-site flags as ``user_create`` sets them. A
    customer manager who holds a territory keeps the role, the department and stays active
    until the territory is handed over.
    """
    unknown = set(fields) - set(USER_UPDATE_FIELDS)
    if unknown:
        raise TypeError(f"user_update() cannot change {sorted(unknown)}")
    changed = []
    for name, value in fields.items():
        current = user.org_unit_id if name == "org_unit" else getattr(user, name)
        wanted = value.pk if name == "org_unit" and value is not None else value
        if current != wanted:
            setattr(user, name, value)
            changed.append(name)
    if not changed:
        return []
    if {"role", "org_unit", "is_active"} & set(changed):
        territory = Territory.objects.filter(manager=user).first()
        if territory is not None and (
            not user.is_active
            or user.role != Role.CUSTOMER_MANAGER
            or user.org_unit_id != territory.department_id
        ):
            raise ValidationError(territory_held_message(territory))
    if {"role", "org_unit"} & set(changed) and not (user.is_superuser and not user.org_unit_id):
        root_admin = _is_root_admin(user.role, user.org_unit)
        if (user.is_staff, user.is_superuser) != (root_admin, root_admin):
            user.is_staff = user.is_superuser = root_admin
            changed += ["is_staff", "is_superuser"]
    user.full_clean()
    user.save(update_fields=changed)
    return changed


def territory_held_message(territory: Territory) -> str:
    return _(
        "This customer manager still holds territory %(code)s: hand it over first "
        "(the handovers file or manager_leave), then deactivate or move them."
    ) % {"code": territory.code}


# --- Passwords ---------------------------------------------------------------------------

# No 0/O, 1/l/I: a code is read off a sheet and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
CODE_LENGTH = 10
# A one-time code is random (about 58 bits) and replaced at the first login, where Django
# re-hashes it with the full work factor; a lighter PBKDF2 lets an import of a few thousand
# people finish in seconds instead of minutes.
INITIAL_CODE_ITERATIONS = 20_000


def one_time_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def initial_code_hash(code: str) -> str:
    hasher = get_hasher()
    if hasher.algorithm.startswith("pbkdf2"):
        return hasher.encode(code, hasher.salt(), iterations=INITIAL_CODE_ITERATIONS)
    return make_password(code)


def can_manage_people(user) -> bool:
    """Admins reset passwords and take the initial-codes sheets of their subtree."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role == Role.ADMIN)
    )


@transaction.atomic
def password_change(*, user: User, password: str) -> User:
    """The person sets their own password (validated by the form's password validators)."""
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    return user


@transaction.atomic
def password_reset(*, user: User, by: User) -> str:
    """An admin gives a person a new one-time code; return it (shown once, never stored)."""
    if not can_manage_people(by) or not User.objects.visible_to(by).filter(pk=user.pk).exists():
        raise PermissionDenied(_("Only an administrator of this person's unit resets passwords."))
    code = one_time_code()
    user.set_password(code)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    return code


def _common_unit(units: list[OrgUnit]) -> OrgUnit:
    """The lowest unit containing all of ``units``."""
    parts = [unit.path.strip("/").split("/") for unit in units]
    common = []
    for level in zip(*parts, strict=False):
        if len(set(level)) > 1:
            break
        common.append(level[0])
    return OrgUnit.objects.get(pk=common[-1])


@transaction.atomic
def initial_code_sheet_create(*, codes: list[dict], units: list[OrgUnit], created_by=None):
    """Keep the one-time codes of the people an import created until an admin takes them.

    ``codes``: one dict per person with ``employee_no``, ``name``, ``unit`` and ``code``.
    """
    sheet = InitialCodeSheet(
        org_unit=_common_unit(units),
        people=len(codes),
        codes=codes,
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    sheet.full_clean()
    sheet.save()
    return sheet


@transaction.atomic
def initial_code_sheet_take(*, sheet: InitialCodeSheet, user=None) -> list[dict]:
    """Return the sheet's codes once and erase them; a second call is refused."""
    sheet = InitialCodeSheet.objects.select_for_update().get(pk=sheet.pk)
    if sheet.downloaded_at is not None:
        raise ValidationError(
            _(
                "This sheet was already downloaded on %(when)s; its codes are gone. "
                "Reset the password of anyone who did not receive theirs."
            )
            % {"when": timezone.localtime(sheet.downloaded_at).strftime("%Y-%m-%d %H:%M")}
        )
    codes = sheet.codes
    sheet.codes = []
    sheet.downloaded_at = timezone.now()
    sheet.downloaded_by = user if getattr(user, "pk", None) else None
    sheet.save(update_fields=["codes", "downloaded_at", "downloaded_by"])
    return codes


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
