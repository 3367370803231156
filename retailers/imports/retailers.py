"""Retailers, natural key the licence number; new or moved ones are assigned from a date."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Territory
from imports.engine import RowImporter
from imports.kinds import ImportKind
from imports.parsing import (
    Column,
    parse_choice,
    parse_decimal,
    parse_int,
    parse_licence,
    parse_text,
)
from retailers.models import (
    Retailer,
    RetailerStatus,
)
from retailers.services import assignments_sync

from .words import (
    ENVIRONMENT_WORDS,
    MARKET_TYPE_WORDS,
    RETAIL_FORMAT_WORDS,
    STATUS_WORDS,
)


class RetailerImporter(RowImporter):
    kind = ImportKind.RETAILERS
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
        self.territories = {
            code: (pk, active)
            for code, pk, active in Territory.objects.values_list("code", "pk", "is_active")
        }
        self.moved = 0
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
        if ("latitude" in values) != ("longitude" in values):
            missing = "longitude" if "latitude" in values else "latitude"
            report.add_error(
                row, self.header_of(missing), "", _("Give both latitude and longitude, or neither.")
            )
            ok = False
        return values if ok else None

    def flush(self, batch, report):
        keys = [fields["license_no"] for _row, fields in batch]
        existing = {r.license_no: r for r in Retailer.objects.filter(license_no__in=keys)}
        new, changed, changed_fields = [], [], set()
        for _row, fields in batch:
            retailer = existing.get(fields["license_no"])
            if retailer is None:
                new.append(Retailer(**(self.defaults | fields)))
                report.created += 1
                continue
            before = retailer.territory_id
            names = self.apply(retailer, fields)
            if names:
                changed.append(retailer)
                changed_fields.update(names)
                report.updated += 1
                self.moved += retailer.territory_id != before
            else:
                report.unchanged += 1
        Retailer.objects.bulk_create(new)
        if changed:
            now = timezone.now()
            for retailer in changed:
                retailer.updated_at = now
            Retailer.objects.bulk_update(changed, [*sorted(changed_fields), "updated_at"])
        # Remember every retailer of the file for the assignment sync at the end.
        placeholders = ", ".join(["%s"] * len(keys))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {self.ID_TABLE} (id) SELECT id FROM {Retailer._meta.db_table} "
                f"WHERE license_no IN ({placeholders})",
                keys,
            )

    def finish(self, report):
        # One set-based sync for the whole file: new retailers get their first assignment
        # and moved ones a new one, both from the effective date.
        opened = assignments_sync(
            retailer_ids=RawSQL(f"SELECT id FROM {self.ID_TABLE}", ()), on=self.on
        )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {self.ID_TABLE}")
        report.details.append((_("Moved to another territory"), self.moved))
        report.details.append((_("Assignments opened"), opened))
