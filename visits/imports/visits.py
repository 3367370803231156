"""Historical visits from a previous system, with their shelf observations (DOMAIN.md §9).

One row per visit × brand observation: the rows of one visit share its source id (来源编号),
the visit's natural key (``Visit.external_id``), and repeat the visit's fields; a visit
without observations is one row with an empty brand. Observations are unique per (visit,
brand). Imported visits come in already reviewed: valid unless 有效 says 否 (then invalid,
"imported as invalid"), with no review flags, so the flagged-visit queue never shows them;
the phone API's 31-day limit does not apply to them. Coordinates name their datum (column
坐标系 or the ``datum`` option) and are stored in WGS-84.

They count like phone visits: plan completion and the visit lists use the manager of the
file (the manager assigned to the retailer on the check-in date) and the territory the
retailer belonged to that day; 上柜率 uses the latest valid observation. After the import,
the 上柜率 rollup of every month the file touched is refreshed (queued on commit).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, Territory, User
from assessment.adjustments import note_late
from assessment.models import LateKind
from assessment.selectors import locked_months
from imports.datum import coordinate_errors, parse_datum, to_wgs84
from imports.engine import RowImporter
from imports.kinds import ImportKind
from imports.parsing import (
    CellError,
    Column,
    parse_choice,
    parse_datetime,
    parse_decimal,
    parse_flag,
    parse_licence,
    parse_text,
)
from imports.reading import FileError
from imports.report import LATE_LABEL
from retailers.models import Brand, Retailer, RetailerAssignment, month_start

from ..models import LocationStatus, ShelfObservation, StockLevel, Visit, VisitSource, VisitStatus
from ..services.visits import distance_m
from ..tasks import refresh_shelf_rates

# DOMAIN.md §9: coordinates in a file must lie inside China's box.

STOCK_WORDS = {
    StockLevel.NONE: ["缺货", "无货", "断货", "无"],
    StockLevel.LOW: ["偏少", "少"],
    StockLevel.NORMAL: ["正常", "适中"],
    StockLevel.HIGH: ["充足", "偏多", "多"],
}

parse_coordinate = parse_decimal(
    max_digits=9, places=6, minimum=Decimal(-180), maximum=Decimal(180), round_extra=True
)

# The visit's own fields, which every row of one source id repeats.
VISIT_COLUMNS = (
    "license_no",
    "employee_no",
    "checked_in_at",
    "checked_out_at",
    "latitude",
    "longitude",
    "datum",
    "valid",
    "note",
)
# An empty cell means the same as these (rows of one visit may leave them empty or not).
VISIT_DEFAULTS = {"valid": True, "note": ""}
OBSERVATION_COLUMNS = ("on_shelf", "price", "stock")


def _shown(value) -> str:
    """A parsed cell as the file would write it (for error messages)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return timezone.localtime(value, timezone.get_default_timezone()).strftime(
            "%Y-%m-%d %H:%M:%S"
        )
    return str(value)


class VisitImporter(RowImporter):
    kind = ImportKind.VISITS
    analyze_models = (Visit, ShelfObservation)
    key_columns = ("source_id", "brand_code")
    columns = (
        Column("source_id", "来源编号", parse_text(64), True, ("external_id", "原系统编号")),
        Column("license_no", "许可证号", parse_licence, True, ("licence_no",)),
        Column("employee_no", "客户经理工号", parse_text(20), True, ("工号", "manager")),
        Column("checked_in_at", "签到时间", parse_datetime, True, ("check_in",)),
        Column("checked_out_at", "签退时间", parse_datetime, False, ("check_out",)),
        Column("latitude", "纬度", parse_coordinate, False, ("lat",)),
        Column("longitude", "经度", parse_coordinate, False, ("lng", "lon")),
        Column("datum", "坐标系", parse_datum, False, ("坐标类型",)),
        Column("valid", "有效", parse_flag, False, ("是否有效",)),
        Column("note", "备注", parse_text(2000), False, ("notes",)),
        Column("brand_code", "规格编码", parse_text(20), False, ("卷烟编码", "brand")),
        Column("on_shelf", "上柜", parse_flag, False, ("是否上柜",)),
        Column(
            "price",
            "零售价",
            parse_decimal(max_digits=8, places=2, positive=True, round_extra=True),
            False,
            ("retail_price", "零售价（元/包）"),
        ),
        Column("stock", "库存", parse_choice(STOCK_WORDS), False, ("stock_level",)),
    )

    def __init__(self, *, datum: str | None = None, **options):
        super().__init__(**options)
        self.datum = None
        if datum:
            try:
                self.datum = parse_datum(str(datum))
            except CellError as exc:
                raise FileError(
                    _("Unknown datum option: %(reason)s") % {"reason": exc.reason}
                ) from exc

    def prepare(self):
        self.now = timezone.now()
        self.retailers = {
            licence: (pk, territory_id, lat, lng)
            for licence, pk, territory_id, lat, lng in Retailer.objects.values_list(
                "license_no", "pk", "territory_id", "latitude", "longitude"
            )
        }
        self.users = {
            no: (pk, role) for no, pk, role in User.objects.values_list("employee_no", "pk", "role")
        }
        self.brands = dict(Brand.objects.values_list("code", "pk"))
        self.visit_rows: dict[str, tuple[int, tuple]] = {}  # source id → (first row, fields)
        self.created_sources: set[str] = set()
        self.updated_sources: set[str] = set()
        self.months: set = set()
        self.observations_created = self.observations_updated = 0
        # Visits dated in a month in review or published are late data of it (DOMAIN §4):
        # the locked months and the territories' cities are read once.
        self.locked = locked_months()
        self.cities = (
            dict(Territory.objects.values_list("pk", "department__company_id"))
            if self.locked
            else {}
        )
        self.late = 0

    def natural_key(self, fields):
        return (fields["source_id"], fields["brand_id"])

    # --- Checking one row ---------------------------------------------------------------

    def check(self, row, values, report):
        ok = True

        def error(key, value, reason):
            nonlocal ok
            report.add_error(row, self.header_of(key), _shown(value), reason)
            ok = False

        source_id = values["source_id"]
        visit_values = tuple(values.get(key, VISIT_DEFAULTS.get(key)) for key in VISIT_COLUMNS)
        first = self.visit_rows.setdefault(source_id, (row, visit_values))
        if first[1] != visit_values:
            pairs = zip(VISIT_COLUMNS, first[1], visit_values, strict=True)
            key = next(k for k, a, b in pairs if a != b)
            error(
                key,
                values.get(key),
                _("Rows of one source id describe one visit; row %(row)s says “%(value)s”.")
                % {"row": first[0], "value": _shown(first[1][VISIT_COLUMNS.index(key)])},
            )
            return None

        licence = values["license_no"]
        retailer = self.retailers.get(licence)
        if retailer is None:
            error("license_no", licence, _("No retailer has this licence number."))
        number = values["employee_no"]
        user = self.users.get(number)
        if user is None:
            error("employee_no", number, _("No user has this employee number."))
        elif user[1] != Role.CUSTOMER_MANAGER:
            error("employee_no", number, _("This user is not a customer manager."))

        checked_in, checked_out = values["checked_in_at"], values.get("checked_out_at")
        if checked_in > self.now:
            error("checked_in_at", checked_in, _("The visit is in the future."))
        if checked_out is not None:
            if checked_out < checked_in:
                error("checked_out_at", checked_out, _("The check-out is before the check-in."))
            elif checked_out > self.now:
                error("checked_out_at", checked_out, _("The check-out is in the future."))

        latitude, longitude = values.get("latitude"), values.get("longitude")
        if (latitude is None) != (longitude is None):
            missing = "longitude" if latitude is not None else "latitude"
            error(missing, "", _("Give both latitude and longitude, or neither."))
        elif latitude is not None:
            for key, value, reason in coordinate_errors(latitude, longitude, self.limits):
                error(key, value, reason)
            datum = values.get("datum") or self.datum
            if datum is None:
                error(
                    "datum",
                    "",
                    _(
                        "Coordinates need a datum: fill in 坐标系 (WGS-84, GCJ-02 or BD-09) "
                        "or choose one for the whole file."
                    ),
                )
            elif ok:
                latitude, longitude = to_wgs84(latitude, longitude, datum)

        brand_code = values.get("brand_code")
        brand_id = None
        if brand_code:
            brand_id = self.brands.get(brand_code)
            if brand_id is None:
                error("brand_code", brand_code, _("No brand has this code."))
            if "on_shelf" not in values:
                error("on_shelf", "", _("Say whether the brand is on the shelf (是 or 否)."))
        elif present := [key for key in OBSERVATION_COLUMNS if key in values]:
            error(
                present[0],
                values[present[0]],
                _("A shelf observation needs the brand code (规格编码)."),
            )
        if not ok:
            return None

        retailer_id, territory_id, shop_lat, shop_lng = retailer
        distance = None
        if latitude is not None and shop_lat is not None and shop_lng is not None:
            distance = distance_m(latitude, longitude, shop_lat, shop_lng)
        valid = values.get("valid", True)
        return {
            "source_id": source_id,
            "brand_id": brand_id,
            "retailer_territory_id": territory_id,
            "visit": {
                "retailer_id": retailer_id,
                "manager_id": user[0],
                "checked_in_at": checked_in,
                "check_in_date": timezone.localtime(
                    checked_in, timezone.get_default_timezone()
                ).date(),
                "checked_out_at": checked_out,
                "latitude": latitude,
                "longitude": longitude,
                "location_status": (
                    LocationStatus.OK if latitude is not None else LocationStatus.UNAVAILABLE
                ),
                "distance_m": distance,
                "notes": values.get("note", ""),
                "status": VisitStatus.VALID if valid else VisitStatus.INVALID,
            },
            "observation": {
                "on_shelf": values.get("on_shelf"),
                "retail_price": values.get("price"),
                "stock_level": values.get("stock", ""),
            },
        }

    # --- Writing a batch --------------------------------------------------------------

    def _territories(self, retailer_ids) -> dict[int, list[tuple]]:
        """Per retailer, its assignments (territory, from, until exclusive): one query."""
        periods = defaultdict(list)
        for retailer_id, territory_id, start, end in RetailerAssignment.objects.filter(
            retailer_id__in=retailer_ids
        ).values_list("retailer_id", "territory_id", "valid_from", "valid_to"):
            periods[retailer_id].append((territory_id, start, end))
        return periods

    @staticmethod
    def _territory_on(periods, fields) -> int:
        """The retailer's territory on the check-in date (today's when no assignment says)."""
        day = fields["visit"]["check_in_date"]
        for territory_id, start, end in periods.get(fields["visit"]["retailer_id"], ()):
            if start <= day and (end is None or day < end):
                return territory_id
        return fields["retailer_territory_id"]

    def _review(self, visit: Visit) -> None:
        visit.reviewed_at = self.now
        visit.reviewed_by = None
        visit.review_note = "" if visit.status == VisitStatus.VALID else _("Imported as invalid")

    def flush(self, batch, report):
        first_rows = {}
        for _row, fields in batch:
            first_rows.setdefault(fields["source_id"], fields)
        existing = {
            v.external_id: v
            for v in Visit.objects.filter(external_id__in=list(first_rows)).exclude(external_id="")
        }
        periods = self._territories({f["visit"]["retailer_id"] for f in first_rows.values()})

        new_visits, changed_visits, changed_fields = [], [], set()
        for source_id, fields in first_rows.items():
            values = fields["visit"] | {"territory_id": self._territory_on(periods, fields)}
            visit = existing.get(source_id)
            if visit is None:
                visit = Visit(external_id=source_id, source=VisitSource.IMPORTED, **values)
                self._review(visit)
                existing[source_id] = visit
                new_visits.append(visit)
                self.created_sources.add(source_id)
                self.months.add(month_start(visit.check_in_date))
                continue
            before = month_start(visit.check_in_date)
            names = self.apply(visit, values)
            if not names:
                continue
            if "status" in names:
                self._review(visit)
                names += ["reviewed_at", "reviewed_by", "review_note"]
            changed_visits.append(visit)
            changed_fields.update(names)
            self.updated_sources.add(source_id)
            self.months |= {before, month_start(visit.check_in_date)}
        Visit.objects.bulk_create(new_visits)
        if changed_visits:
            Visit.objects.bulk_update(changed_visits, sorted(changed_fields))

        observations = {
            (o.visit_id, o.brand_id): o
            for o in ShelfObservation.objects.filter(
                visit_id__in=[existing[s].pk for s in first_rows]
            )
        }
        new_observations, changed_observations, observation_fields = [], [], set()
        for _row, fields in batch:
            source_id = fields["source_id"]
            visit = existing[source_id]
            if source_id in self.created_sources:
                visit_outcome = "created"
            elif source_id in self.updated_sources:
                visit_outcome = "updated"
            else:
                visit_outcome = "unchanged"
            if fields["brand_id"] is None:
                setattr(report, visit_outcome, getattr(report, visit_outcome) + 1)
                continue
            values = fields["observation"] | {
                "retailer_id": visit.retailer_id,
                "observed_at": visit.checked_in_at,
            }
            observation = observations.get((visit.pk, fields["brand_id"]))
            if observation is None:
                new_observations.append(
                    ShelfObservation(visit=visit, brand_id=fields["brand_id"], **values)
                )
                report.created += 1
                self.months.add(month_start(visit.check_in_date))
            elif names := self.apply(observation, values):
                changed_observations.append(observation)
                observation_fields.update(names)
                report.updated += 1
                self.months.add(month_start(visit.check_in_date))
            elif visit_outcome == "unchanged":
                report.unchanged += 1
            else:
                report.updated += 1
        ShelfObservation.objects.bulk_create(new_observations)
        if changed_observations:
            ShelfObservation.objects.bulk_update(changed_observations, sorted(observation_fields))
        self.observations_created += len(new_observations)
        self.observations_updated += len(changed_observations)
        if self.locked:
            written = {
                visit.pk
                for source_id, visit in existing.items()
                if source_id in self.created_sources or source_id in self.updated_sources
            }
            written |= {o.visit_id for o in new_observations + changed_observations}
            self._note_late([visit for visit in existing.values() if visit.pk in written])

    def _note_late(self, visits: list[Visit]) -> None:
        """Record each written visit dated in a locked month of its city (one row per visit,
        however often it is imported); nothing is queried for the others."""
        for visit in visits:
            company_id = self.cities.get(visit.territory_id)
            state = self.locked.get(company_id, {}).get(month_start(visit.check_in_date))
            if state is None:
                continue
            note_late(
                kind=LateKind.VISIT,
                company=company_id,
                day=visit.check_in_date,
                note=f"走访（{visit.check_in_date:%Y-%m-%d}，导入 {visit.external_id}）",
                manager_id=visit.manager_id,
                object_id=visit.pk,
                state=state,
                now=self.now,
            )
            self.late += 1

    def finish(self, report):
        report.details += [
            (_("Visits created"), len(self.created_sources)),
            (_("Visits updated"), len(self.updated_sources)),
            (_("Shelf observations created"), self.observations_created),
            (_("Shelf observations updated"), self.observations_updated),
            (_("Months whose shelf-placement rates are refreshed"), len(self.months)),
        ]
        if self.late:
            report.details.append((LATE_LABEL, self.late))
        # The 上柜率 rollup of every touched month, once the import has committed (a dry
        # run or a refused file rolls back, and the callbacks with it).
        for month in sorted(self.months):
            transaction.on_commit(partial(refresh_shelf_rates.delay, month.isoformat()))
