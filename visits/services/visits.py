"""Visit submission from the phone, photos, and supervisors' review of flagged visits."""

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SUPERVISOR_ROLES, Role
from assessment.adjustments import LOCKED, locked_territory_month, note_late
from assessment.models import AssessmentMonth, LateKind, MonthState
from retailers.models import Brand, Retailer, month_start

from ..models import (
    Complaint,
    InformationItem,
    InfoType,
    LocationStatus,
    ShelfObservation,
    ShelfShortcut,
    StockLevel,
    Visit,
    VisitPhoto,
    VisitPlan,
    VisitRules,
    VisitSource,
    VisitStatus,
)
from .feedback import note_late_complaint

# A phone's clock may be a little ahead; a queued offline visit may be some days old.
CLOCK_SKEW = timedelta(minutes=10)
OLDEST_ACCEPTED = timedelta(days=31)


@dataclass
class ShelfLine:
    brand_id: int
    on_shelf: bool
    retail_price: Decimal | None = None
    stock_level: str = ""


@dataclass
class InfoLine:
    kind: str
    content: str


@dataclass
class VisitInput:
    """What the phone sends for one visit (validated by the API serializer)."""

    client_id: object
    retailer_id: int
    checked_in_at: datetime
    checked_out_at: datetime | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    accuracy_m: int | None = None
    location_status: str = LocationStatus.OK
    plan_id: int | None = None
    notes: str = ""
    shelf: list[ShelfLine] = field(default_factory=list)
    information: list[InfoLine] = field(default_factory=list)
    complaint: str = ""
    shelf_shortcut: str = ShelfShortcut.NONE


class VisitConflict(Exception):
    """A visit id already recorded with other content: the stored visit stands (API: 409)."""

    def __init__(self, visit: Visit):
        super().__init__(str(visit.client_id))
        self.visit = visit


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def visit_content_hash(data: VisitInput) -> str:
    """SHA-256 over the named fields of a visit, in a fixed order (not over raw JSON, so
    formatting and key order do not matter)."""
    fields = {
        "retailer": _text(data.retailer_id),
        "checked_in_at": _text(data.checked_in_at),
        "checked_out_at": _text(data.checked_out_at),
        "latitude": _text(data.latitude),
        "longitude": _text(data.longitude),
        "location_status": _text(data.location_status),
        "plan": _text(data.plan_id),
        "notes": data.notes or "",
        "complaint": data.complaint or "",
        "shelf": sorted(
            [
                _text(line.brand_id),
                _text(line.on_shelf),
                _text(line.retail_price),
                line.stock_level or "",
            ]
            for line in data.shelf
        ),
        "information": sorted([line.kind, line.content] for line in data.information),
    }
    if data.shelf_shortcut and data.shelf_shortcut != ShelfShortcut.NONE:
        # Only when used, so the hashes of visits recorded before the field stay the same.
        fields["shelf_shortcut"] = data.shelf_shortcut
    text = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def distance_m(a_lat, a_lng, b_lat, b_lng) -> int:
    """Great-circle distance in metres (haversine)."""
    lat1, lng1, lat2, lng2 = (math.radians(float(v)) for v in (a_lat, a_lng, b_lat, b_lng))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return round(2 * 6371000 * math.asin(math.sqrt(h)))


def visit_flags(*, data: VisitInput, retailer: Retailer, rules: VisitRules, rapid: bool) -> dict:
    """The review flags of a visit (flags never block a visit; DOMAIN.md §3)."""
    distance = None
    located = data.location_status == LocationStatus.OK and data.latitude is not None
    if located and retailer.latitude is not None and retailer.longitude is not None:
        distance = distance_m(data.latitude, data.longitude, retailer.latitude, retailer.longitude)
    short = False
    if data.checked_out_at is not None:
        short = data.checked_out_at - data.checked_in_at < timedelta(
            minutes=rules.short_visit_minutes
        )
    return {
        "distance_m": distance,
        "flag_far": distance is not None and distance > rules.far_distance_m,
        "flag_short": short,
        "flag_rapid": rapid,
        "flag_no_location": not located,
    }


def _validate(data: VisitInput, now: datetime) -> None:
    errors = {}
    if data.checked_in_at > now + CLOCK_SKEW:
        errors["checked_in_at"] = _("The check-in time is in the future; check the phone's clock.")
    elif data.checked_in_at < now - OLDEST_ACCEPTED:
        errors["checked_in_at"] = _("Visits older than 31 days cannot be submitted.")
    if data.checked_out_at is not None and data.checked_out_at < data.checked_in_at:
        errors["checked_out_at"] = _("The check-out is before the check-in.")
    brands = [line.brand_id for line in data.shelf]
    if len(brands) != len(set(brands)):
        errors["shelf"] = _("A brand appears twice in the shelf check.")
    for line in data.shelf:
        if line.retail_price is not None and line.retail_price <= 0:
            errors["shelf"] = _("Prices must be positive.")
        if line.stock_level and line.stock_level not in StockLevel.values:
            errors["shelf"] = _("Unknown stock level.")
    for line in data.information:
        if line.kind not in InfoType.values:
            errors["information"] = _("Unknown information type.")
        if not line.content.strip():
            errors["information"] = _("An information item needs some text.")
    if data.location_status not in LocationStatus.values:
        errors["location_status"] = _("Unknown location status.")
    if data.shelf_shortcut not in ShelfShortcut.values:
        errors["shelf_shortcut"] = _("Unknown shelf check shortcut.")
    if errors:
        raise ValidationError(errors)


def visit_submit(*, user, data: VisitInput, now: datetime | None = None) -> tuple[Visit, bool]:
    """Record a visit with its shelf check, information and complaint: all or nothing.

    Idempotent on ``data.client_id``: a retry returns the visit already recorded (and
    ``False``); the same id with other content raises VisitConflict with the stored visit.

    The number of queries does not depend on the number of shelf lines or information
    items: the rules, the retailer (with its plan and any rapid neighbour), the brands,
    then one INSERT each for the visit, its shelf lines and its information (a complaint
    adds one; a rapid check-in one UPDATE of its neighbours). The client id is not looked
    up first: the unique index finds a retry, and any refusal looks the id up before it
    stands, so a known visit is answered as before whatever changed since.
    The new visit comes back with its retailer and shelf lines (brands included) in memory,
    so the caller can answer without reading it back.
    """
    now = now or timezone.now()
    content_hash = visit_content_hash(data)
    try:
        with transaction.atomic():
            visit = _create(user=user, data=data, now=now, content_hash=content_hash)
    except (IntegrityError, PermissionDenied, ValidationError, Retailer.DoesNotExist):
        # A retry (or the same visit arriving twice at once): the stored visit answers.
        existing = Visit.objects.filter(client_id=data.client_id).first()
        if existing is None:
            raise
        return _replayed(existing, user=user, content_hash=content_hash), False
    return visit, True


def _replayed(existing: Visit, *, user, content_hash: str) -> Visit:
    if existing.manager_id != user.pk:
        raise ValidationError({"client_id": _("This visit id belongs to another user.")})
    if existing.content_hash and existing.content_hash != content_hash:
        raise VisitConflict(existing)
    return existing


def _create(*, user, data: VisitInput, now: datetime, content_hash: str = "") -> Visit:
    if user.role != Role.CUSTOMER_MANAGER:
        raise PermissionDenied(_("Only customer managers log visits."))
    _validate(data, now)
    day = timezone.localtime(data.checked_in_at).date()
    rules = VisitRules.for_unit_day(day, user.org_unit_id)

    plans = VisitPlan.objects.filter(
        manager=user, retailer=OuterRef("pk"), window_start__lte=day, window_end__gte=day
    )
    if data.plan_id:
        plans = plans.filter(pk=data.plan_id)
    window = timedelta(minutes=rules.rapid_checkin_minutes)
    around = Visit.objects.filter(
        manager=user,
        checked_in_at__gt=data.checked_in_at - window,
        checked_in_at__lt=data.checked_in_at + window,
    )
    # The state of the city's month of the visit, read with the retailer (no query of its
    # own): a visit dated in a month in review or published is late data of it.
    month_state = AssessmentMonth.objects.filter(
        company_id=OuterRef("territory__department__company_id"), month=month_start(day)
    ).values("state")[:1]
    retailer = (
        Retailer.objects.visible_to(user)
        .select_related("territory")
        .annotate(
            planned_id=Subquery(plans.order_by(*VisitPlan._meta.ordering).values("pk")[:1]),
            rapid=Exists(around.exclude(retailer=OuterRef("pk"))),
            city_id=F("territory__department__company_id"),
            month_state=Subquery(month_state),
        )
        .get(pk=data.retailer_id)  # DoesNotExist → 404 for a retailer outside the territory
    )
    brands = _shelf_brands(data.shelf)

    visit = Visit(
        client_id=data.client_id,
        content_hash=content_hash,
        manager=user,
        retailer=retailer,
        territory=retailer.territory,
        plan_id=retailer.planned_id,
        checked_in_at=data.checked_in_at,
        check_in_date=day,
        checked_out_at=data.checked_out_at,
        latitude=data.latitude,
        longitude=data.longitude,
        accuracy_m=data.accuracy_m,
        location_status=data.location_status,
        notes=data.notes,
        shelf_shortcut=data.shelf_shortcut,
        **visit_flags(data=data, retailer=retailer, rules=rules, rapid=retailer.rapid),
    )
    # The related rows were just read (or are checked by their foreign keys): no lookups.
    visit.clean_fields(exclude=["manager", "retailer", "territory", "plan"])
    visit.save()
    if retailer.rapid:
        # Imported visits were reviewed in the previous system and stay unflagged.
        around.filter(source=VisitSource.PHONE).exclude(retailer=retailer).update(flag_rapid=True)
    shelf = ShelfObservation.objects.bulk_create(
        ShelfObservation(
            visit=visit,
            retailer=retailer,
            observed_at=data.checked_in_at,
            brand=brands[line.brand_id],
            on_shelf=line.on_shelf,
            retail_price=line.retail_price,
            stock_level=line.stock_level,
        )
        for line in data.shelf
    )
    InformationItem.objects.bulk_create(
        InformationItem(
            kind=line.kind,
            content=line.content.strip(),
            reported_by=user,
            territory=retailer.territory,
            retailer=retailer,
            visit=visit,
            reported_at=data.checked_in_at,
        )
        for line in data.information
    )
    complaint = None
    if data.complaint.strip():
        respond_by, resolve_by = Complaint.deadlines(data.checked_in_at, rules)
        complaint = Complaint.objects.create(
            retailer=retailer,
            territory=retailer.territory,
            visit=visit,
            content=data.complaint.strip(),
            opened_at=data.checked_in_at,
            opened_by=user,
            respond_by=respond_by,
            resolve_by=resolve_by,
        )
    _note_late_visit(visit, retailer, items=len(data.information))
    if complaint is not None:
        # Its 72 h deadline may have passed already, in a month in review or published.
        same_month = month_start(timezone.localtime(complaint.resolve_by).date()) == month_start(
            day
        )
        note_late_complaint(
            complaint,
            company_id=retailer.city_id,
            now=now,
            state=(retailer.month_state or MonthState.DRAFT) if same_month else None,
        )
    # As prefetch_related("shelf") would leave it: visit.shelf.all() reads no rows.
    visit._prefetched_objects_cache = {"shelf": shelf}
    return visit


def _note_late_visit(visit: Visit, retailer: Retailer, *, items: int = 0) -> None:
    """A visit dated in a month in review or published is late data of that month (DOMAIN
    §4): its state was read with the retailer (``month_state``), so nothing is queried
    unless it is late."""
    if retailer.month_state not in LOCKED:
        return
    note = f"走访 {retailer.shop_name}（{visit.check_in_date:%Y-%m-%d}）"
    if items:
        note += f"，信息 {items} 条"
    note_late(
        kind=LateKind.VISIT,
        company=retailer.city_id,
        day=visit.check_in_date,
        note=note,
        manager_id=visit.manager_id,
        object_id=visit.pk,
        state=retailer.month_state,
    )


def _shelf_brands(lines: list[ShelfLine]) -> dict[int, Brand]:
    """{brand id: brand} of the shelf lines, in one query; an unknown id is refused."""
    ids = {line.brand_id for line in lines}
    if not ids:
        return {}
    brands = Brand.objects.in_bulk(ids)
    if unknown := ids - brands.keys():
        raise ValidationError({"shelf": _("Unknown brand ids: %(ids)s") % {"ids": sorted(unknown)}})
    return brands


@transaction.atomic
def visit_photo_add(*, visit: Visit, user, client_id, image) -> tuple[VisitPhoto, bool]:
    """Attach a photo to one's own visit; idempotent on the photo's ``client_id``."""
    existing = VisitPhoto.objects.filter(client_id=client_id).first()
    if existing is not None:
        if existing.visit_id != visit.pk:
            raise ValidationError({"client_id": _("This photo id belongs to another visit.")})
        return existing, False
    if visit.manager_id != user.pk:
        raise PermissionDenied(_("Only the manager who made the visit can add photos."))
    limit = VisitRules.for_day(visit.check_in_date, user.company).photo_max_kb * 1024
    if image.size > limit:
        raise ValidationError(
            {"image": _("The photo is larger than %(kb)s KB.") % {"kb": limit // 1024}}
        )
    photo = VisitPhoto(visit=visit, client_id=client_id, image=image, size_bytes=image.size)
    photo.full_clean()  # ImageField: the file must be an image Pillow can read
    photo.save()
    return photo, True


REVIEWER_ROLES = (*SUPERVISOR_ROLES, Role.ADMIN)


@transaction.atomic
def visit_review(*, visit: Visit, user, valid: bool, note: str = "") -> Visit:
    """A supervisor marks a visit valid or invalid (invalid visits do not count). A change
    of a visit dated in a month in review or published is late data of that month."""
    if user.role not in REVIEWER_ROLES and not user.is_superuser:
        raise PermissionDenied(_("Only supervisors review visits."))
    if not valid and not note.strip():
        raise ValidationError({"review_note": _("Say why the visit is invalid.")})
    longest = Visit._meta.get_field("review_note").max_length
    if len(note.strip()) > longest:
        raise ValidationError(
            {"review_note": _("The note can be at most %(count)d characters.") % {"count": longest}}
        )
    before = visit.status
    visit.status = VisitStatus.VALID if valid else VisitStatus.INVALID
    visit.reviewed_by = user
    visit.reviewed_at = timezone.now()
    visit.review_note = note.strip()
    visit.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    if visit.status != before:
        note_late_review(visit)
    return visit


def note_late_review(visit: Visit) -> None:
    """A visit marked valid or invalid while its month is in review or published: late data
    of that month (DOMAIN §4), for the manager who made it."""
    late = locked_territory_month(visit.territory_id, visit.check_in_date)
    if late is None:
        return
    company_id, state = late
    verdict = "有效" if visit.status == VisitStatus.VALID else "无效"
    note_late(
        kind=LateKind.VISIT_REVIEW,
        company=company_id,
        day=visit.check_in_date,
        note=f"走访（{visit.check_in_date:%Y-%m-%d}）改判为{verdict}",
        manager_id=visit.manager_id,
        object_id=visit.pk,
        state=state,
    )
