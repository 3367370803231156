"""Retailers, natural key the licence number; new or moved ones are assigned from a date.

The effective date ``on`` (option; default today) dates three things: new and moved
retailers' assignments, a status that differs from the one in force that day (a status
change, refused inside a month in review or published), and the first status of a new
retailer. Coordinates name their datum (column 坐标系 or the option ``datum``) and are stored
in WGS-84. A file whose new assignments start after existing order lines of its retailers
(so those lines are credited to nobody or to another manager) is refused unless the option
``allow_uncredited`` is given; the report says how many lines and for which manager.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Territory, User
from imports.datum import Datum, coordinate_errors, parse_datum, to_wgs84
from imports.engine import CHUNK_SIZE, RowImporter, chunks
from imports.kinds import ImportKind
from imports.parsing import (
    CellError,
    Column,
    parse_choice,
    parse_decimal,
    parse_int,
    parse_licence,
    parse_text,
)
from imports.reading import FileError
from retailers.models import (
    OrderLine,
    Retailer,
    RetailerAssignment,
    RetailerStatus,
    RetailerStatusChange,
    status_on,
)
from retailers.services import (
    assignments_sync,
    retailer_statuses_sync,
    status_change_refusal,
)

from .words import (
    ENVIRONMENT_WORDS,
    MARKET_TYPE_WORDS,
    RETAIL_FORMAT_WORDS,
    STATUS_WORDS,
)

# DOMAIN §9: coordinates of a file must lie in China's box.


class RetailerImporter(RowImporter):
    kind = ImportKind.RETAILERS
    analyze_models = (Retailer, RetailerStatusChange)
    key_columns = ("license_no",)
    columns = (
        Column("license_no", "许可证号", parse_licence, True, ("licence_no", "许可证编号")),
        Column("shop_name", "店铺名称", parse_text(100), True, ("店名", "零售户名称")),
        Column("owner_name", "负责人", parse_text(50), True, ("owner", "经营者", "法人")),
        Column("phone", "联系电话", parse_text(20), False, ("电话",)),
        Column("address", "经营地址", parse_text(200), True, ("地址",)),
        Column(
            "latitude",
            "纬度",
            parse_decimal(
                max_digits=9,
                places=6,
                minimum=Decimal(-90),
                maximum=Decimal(90),
                round_extra=True,
            ),
            False,
            ("lat",),
        ),
        Column(
            "longitude",
            "经度",
            parse_decimal(
                max_digits=9,
                places=6,
                minimum=Decimal(-180),
                maximum=Decimal(180),
                round_extra=True,
            ),
            False,
            ("lng", "lon"),
        ),
        Column("market_type", "市场类型", parse_choice(MARKET_TYPE_WORDS), True),
        Column("retail_format", "业态", parse_choice(RETAIL_FORMAT_WORDS), True, ("format",)),
        Column("environment", "所处环境", parse_choice(ENVIRONMENT_WORDS), True, ("环境",)),
        Column("potential", "发展潜力", parse_int(1, 5), False),
        Column("status", "状态", parse_choice(STATUS_WORDS), False),
        Column("territory_code", "片区编码", parse_text(32), True, ("territory", "片区代码")),
        Column("grade_tier", "档位", parse_int(1, 30), False),
        Column("datum", "坐标系", parse_datum, False, ("坐标类型",)),
    )
    defaults = {
        "phone": "",
        "latitude": None,
        "longitude": None,
        "potential": None,
        "status": RetailerStatus.ACTIVE,
        "grade_tier": None,
    }
    ID_TABLE = "import_retailer_ids"

    def prepare(self):
        from assessment.selectors import locked_months  # assessment reads retailers

        self.territories = {
            code: (pk, active, company_id)
            for code, pk, active, company_id in Territory.objects.values_list(
                "code", "pk", "is_active", "department__company_id"
            )
        }
        self.datum = self._option_datum(self.options.get("datum"))
        self.allow_uncredited = bool(self.options.get("allow_uncredited"))
        self.locked = locked_months()
        self.moved = 0
        self.status_changed: set[int] = set()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.ID_TABLE}")
            cursor.execute(f"CREATE TEMPORARY TABLE {self.ID_TABLE} (id bigint PRIMARY KEY)")

    def natural_key(self, fields):
        return (fields["license_no"],)

    def check(self, row, values, report):
        code = values.pop("territory_code")
        territory = self.territories.get(code)
        ok = True
        if territory is None:
            report.add_error(row, self.header_of("territory_code"), code, _("No such territory."))
            ok = False
        elif not territory[1]:
            report.add_error(
                row, self.header_of("territory_code"), code, _("This territory is inactive.")
            )
            ok = False
        else:
            values["territory_id"] = territory[0]
            values["company_id"] = territory[2]
        datum = values.pop("datum", None) or self.datum
        if ("latitude" in values) != ("longitude" in values):
            missing = "longitude" if "latitude" in values else "latitude"
            report.add_error(
                row, self.header_of(missing), "", _("Give both latitude and longitude, or neither.")
            )
            ok = False
        elif "latitude" in values:
            ok = self.check_coordinates(row, values, datum, report) and ok
        return values if ok else None

    @staticmethod
    def _option_datum(value) -> str | None:
        if not value:
            return None
        if value in Datum.values:
            return value
        try:
            return parse_datum(str(value))
        except CellError as exc:
            raise FileError(_("Unknown datum option: %(reason)s") % {"reason": exc.reason}) from exc

    def check_coordinates(self, row, values, datum, report) -> bool:
        """Coordinates name their datum and are stored in WGS-84 inside China's box."""
        if datum is None:
            report.add_error(
                row,
                self.header_of("datum"),
                "",
                _(
                    "Name the datum of the coordinates: a 坐标系 column or the datum option "
                    "(WGS-84, GCJ-02 or BD-09)."
                ),
            )
            return False
        lat, lng = to_wgs84(values["latitude"], values["longitude"], datum)
        if errors := coordinate_errors(lat, lng, self.limits):
            for key, _value, reason in errors:
                report.add_error(row, self.header_of(key), values[key], reason)
            return False
        values["latitude"], values["longitude"] = lat, lng
        return True

    def flush(self, batch, report):
        keys = [fields["license_no"] for _row, fields in batch]
        # The status in force on the effective date decides whether the file changes it.
        existing = {
            r.license_no: r
            for r in Retailer.objects.filter(license_no__in=keys).annotate(
                in_force=status_on(self.on)
            )
        }
        new, changed, changed_fields = [], [], set()
        new_statuses, status_updates = {}, []
        for row, fields in batch:
            company_id = fields.pop("company_id")
            retailer = existing.get(fields["license_no"])
            if retailer is None:
                new.append(Retailer(**(self.defaults | fields)))
                new_statuses[fields["license_no"]] = new[-1].status
                report.created += 1
                continue
            status = fields.pop("status", None)
            before = retailer.territory_id
            names = self.apply(retailer, fields)
            if status is not None and status != retailer.in_force:
                reason = status_change_refusal(
                    day=self.on, company_id=company_id, locked=self.locked
                )
                if reason:
                    report.add_error(row, self.header_of("status"), status, reason)
                    continue
                status_updates.append((retailer.pk, status))
            if names or (status is not None and status != retailer.in_force):
                changed.append(retailer)
                changed_fields.update(names)
                report.updated += 1
                self.moved += retailer.territory_id != before
            else:
                report.unchanged += 1
        if not report.ok:
            return
        Retailer.objects.bulk_create(new)
        if changed:
            now = timezone.now()
            for retailer in changed:
                retailer.updated_at = now
            Retailer.objects.bulk_update(changed, [*sorted(changed_fields), "updated_at"])
        self.record_statuses(new, new_statuses, status_updates)
        # Remember every retailer of the file for the assignment sync at the end.
        placeholders = ", ".join(["%s"] * len(keys))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {self.ID_TABLE} (id) SELECT id FROM {Retailer._meta.db_table} "
                f"WHERE license_no IN ({placeholders})",
                keys,
            )

    def record_statuses(self, new, new_statuses, status_updates):
        """A new retailer's first status, and each changed status, dated ``on``."""
        ids = dict(
            Retailer.objects.filter(license_no__in=list(new_statuses)).values_list(
                "license_no", "pk"
            )
        )
        changes = [
            RetailerStatusChange(retailer_id=ids[licence], status=status, effective_from=self.on)
            for licence, status in new_statuses.items()
        ]
        if status_updates:
            # A change already dated ``on`` is replaced (one change per retailer and day).
            RetailerStatusChange.objects.filter(
                retailer_id__in=[pk for pk, _status in status_updates], effective_from=self.on
            ).delete()
            changes += [
                RetailerStatusChange(retailer_id=pk, status=status, effective_from=self.on)
                for pk, status in status_updates
            ]
            self.status_changed.update(pk for pk, _status in status_updates)
        RetailerStatusChange.objects.bulk_create(changes)

    def uncredited_lines(self) -> list[dict]:
        """Order lines that this file leaves without credit for their retailer's manager.

        Retailers of the file that get a new assignment from ``on`` (new, moved, or whose
        territory changed hands) and have order lines dated before ``on``: those lines stay
        with whoever was assigned on their date (nobody, or another manager). One row per
        (manager named by the file, manager credited now) with the count; set-based.
        """
        ids = RawSQL(f"SELECT id FROM {self.ID_TABLE}", ())
        open_matching = RetailerAssignment.objects.filter(
            retailer_id=OuterRef("pk"), valid_to__isnull=True, territory_id=OuterRef("territory_id")
        ).filter(
            Q(manager_id=OuterRef("territory__manager_id"))
            | Q(manager__isnull=True, retailer__territory__manager__isnull=True)
        )
        reassigned = Retailer.objects.filter(pk__in=ids).exclude(Exists(open_matching))
        credited = RetailerAssignment.objects.filter(
            retailer_id=OuterRef("retailer_id"), valid_from__lte=OuterRef("order_date")
        ).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=OuterRef("order_date")))
        rows = (
            OrderLine.objects.filter(
                retailer_id__in=reassigned.values("pk"), order_date__lt=self.on
            )
            .annotate(credited_to=Subquery(credited.values("manager_id")[:1]))
            .values("retailer__territory__manager_id", "credited_to")
            .annotate(lines=Count("pk"))
            .order_by()
        )
        return [
            row
            for row in rows
            if row["credited_to"] is None
            or row["credited_to"] != row["retailer__territory__manager_id"]
        ]

    def report_uncredited(self, report) -> None:
        rows = self.uncredited_lines()
        if not rows:
            return
        per_manager = defaultdict(lambda: {"nobody": 0, "others": 0})
        for row in rows:
            key = "nobody" if row["credited_to"] is None else "others"
            per_manager[row["retailer__territory__manager_id"]][key] += row["lines"]
        names = {u.pk: str(u) for u in User.objects.filter(pk__in=[k for k in per_manager if k])}
        for manager_id, counts in sorted(per_manager.items(), key=lambda kv: kv[0] or 0):
            who = names.get(manager_id) or _("(no manager)")
            text = _(
                "%(count)s order lines dated before %(date)s of retailers now with %(manager)s "
                "will not be credited to them: %(nobody)s to nobody, %(others)s to other "
                "managers."
            ) % {
                "count": counts["nobody"] + counts["others"],
                "date": self.on.isoformat(),
                "manager": who,
                "nobody": counts["nobody"],
                "others": counts["others"],
            }
            if self.allow_uncredited:
                report.details.append((text, counts["nobody"] + counts["others"]))
            else:
                report.add_error(
                    None,
                    "",
                    "",
                    text
                    + " "
                    + _(
                        "Give an earlier effective date, or allow order lines not to be "
                        "credited (--allow-uncredited-orders)."
                    ),
                )

    def finish(self, report):
        self.report_uncredited(report)
        if not report.ok:
            return
        # One set-based sync for the whole file: new retailers get their first assignment
        # and moved ones a new one, both from the effective date.
        opened = assignments_sync(
            retailer_ids=RawSQL(f"SELECT id FROM {self.ID_TABLE}", ()), on=self.on
        )
        statuses = sum(
            retailer_statuses_sync(retailer_ids=ids)
            for ids in chunks(sorted(self.status_changed), CHUNK_SIZE)
        )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {self.ID_TABLE}")
        report.details.append((_("Moved to another territory"), self.moved))
        report.details.append((_("Assignments opened"), opened))
        report.details.append((_("Status changes recorded"), len(self.status_changed)))
        report.details.append((_("Retailers whose current status changed"), statuses))
