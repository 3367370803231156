"""Sales targets per manager and month, shelf targets per brand, month and unit."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import OrgUnit, Role, Territory, User
from imports.engine import RowImporter
from imports.kinds import ImportKind
from imports.parsing import (
    Column,
    normalize_word,
    parse_decimal,
    parse_month,
    parse_rate,
    parse_text,
)
from imports.reading import FileError
from retailers.models import (
    Brand,
    SalesTarget,
    ShelfTarget,
)

parse_boxes = parse_decimal(max_digits=10, places=2)


class SalesTargetImporter(RowImporter):
    kind = ImportKind.TARGETS
    key_columns = ("employee_no", "month")
    columns = (
        Column("employee_no", "工号", parse_text(20), True, ("员工编号",)),
        Column("month", "月份", parse_month, True),
        Column("total_boxes", "销量目标（箱）", parse_boxes, True, ("销量目标", "total_target")),
        Column(
            "key_brand_boxes",
            "重点品牌目标（箱）",
            parse_boxes,
            False,
            ("重点品牌目标", "key_brand_target"),
        ),
    )

    def prepare(self):
        self.users = {
            no: (pk, role) for no, pk, role in User.objects.values_list("employee_no", "pk", "role")
        }

    def natural_key(self, fields):
        return (fields["manager_id"], fields["month"])

    def check(self, row, values, report):
        number = values.pop("employee_no")
        user = self.users.get(number)
        header = self.header_of("employee_no")
        if user is None:
            report.add_error(row, header, number, _("No user has this employee number."))
            return None
        if user[1] != Role.CUSTOMER_MANAGER:
            report.add_error(row, header, number, _("This user is not a customer manager."))
            return None
        values["manager_id"] = user[0]
        total, key = values.get("total_boxes"), values.get("key_brand_boxes")
        if key is not None and key > total:
            report.add_error(
                row,
                self.header_of("key_brand_boxes"),
                key,
                _("The key-brand target cannot exceed the total target."),
            )
            return None
        return values

    def flush(self, batch, report):
        managers = {fields["manager_id"] for _row, fields in batch}
        months = {fields["month"] for _row, fields in batch}
        existing = {
            (t.manager_id, t.month): t
            for t in SalesTarget.objects.filter(manager_id__in=managers, month__in=months)
        }
        new, changed, changed_fields = [], [], set()
        for _row, fields in batch:
            target = existing.get((fields["manager_id"], fields["month"]))
            if target is None:
                new.append(SalesTarget(**fields))
                report.created += 1
            elif names := self.apply(target, fields):
                changed.append(target)
                changed_fields.update(names)
                report.updated += 1
            else:
                report.unchanged += 1
        SalesTarget.objects.bulk_create(new)
        if changed:
            SalesTarget.objects.bulk_update(changed, sorted(changed_fields))


class ShelfTargetImporter(RowImporter):
    kind = ImportKind.TARGETS
    key_columns = ("brand_code", "month", "org_unit_code", "territory_code")
    columns = (
        Column("brand_code", "规格编码", parse_text(20), True, ("code", "卷烟编码")),
        Column("month", "月份", parse_month, True),
        Column("org_unit_code", "单位编码", parse_text(32), False, ("org_unit",)),
        Column("territory_code", "片区编码", parse_text(32), False, ("territory",)),
        Column("rate", "目标上柜率", parse_rate, True, ("上柜率目标", "target_rate")),
    )

    def prepare(self):
        self.brands = {
            code: (pk, launch)
            for code, pk, launch in Brand.objects.values_list("code", "pk", "launch_date")
        }
        self.units = dict(OrgUnit.objects.values_list("code", "pk"))
        self.territories = dict(Territory.objects.values_list("code", "pk"))
        if "org_unit_code" not in self.bound and "territory_code" not in self.bound:
            raise FileError(
                _("Missing required columns: %(columns)s.")
                % {"columns": "单位编码 (org_unit_code) / 片区编码 (territory_code)"},
                row=1,
            )

    def natural_key(self, fields):
        return (fields["brand_id"], fields["month"], fields["org_unit_id"], fields["territory_id"])

    def check(self, row, values, report):
        code = values["brand_code"]
        brand = self.brands.get(code)
        ok = True
        if brand is None:
            report.add_error(row, self.header_of("brand_code"), code, _("No brand has this code."))
            ok = False
        else:
            pk, launch = brand
            probe = Brand(launch_date=launch)
            if "month" in values and not probe.is_new_in(values["month"]):
                report.add_error(
                    row,
                    self.header_of("month"),
                    values["month"].strftime("%Y-%m"),
                    _("This brand is not a new product in that month (launch date: %(launch)s).")
                    % {"launch": launch.isoformat() if launch else "-"},
                )
                ok = False
        unit_code, territory_code = values.get("org_unit_code"), values.get("territory_code")
        unit_id = territory_id = None
        if bool(unit_code) == bool(territory_code):
            column = "org_unit_code" if "org_unit_code" in self.bound else "territory_code"
            report.add_error(
                row,
                self.header_of(column),
                unit_code or territory_code or "",
                _("Fill in either the org unit code or the territory code, not both."),
            )
            ok = False
        elif unit_code:
            unit_id = self.units.get(unit_code)
            if unit_id is None:
                report.add_error(
                    row, self.header_of("org_unit_code"), unit_code, _("No org unit has this code.")
                )
                ok = False
        else:
            territory_id = self.territories.get(territory_code)
            if territory_id is None:
                report.add_error(
                    row, self.header_of("territory_code"), territory_code, _("No such territory.")
                )
                ok = False
        if not ok:
            return None
        return {
            "brand_id": brand[0],
            "month": values["month"],
            "org_unit_id": unit_id,
            "territory_id": territory_id,
            "rate": values["rate"],
        }

    def flush(self, batch, report):
        brands = {fields["brand_id"] for _row, fields in batch}
        months = {fields["month"] for _row, fields in batch}
        existing = {
            (t.brand_id, t.month, t.org_unit_id, t.territory_id): t
            for t in ShelfTarget.objects.filter(brand_id__in=brands, month__in=months)
        }
        new, changed = [], []
        for _row, fields in batch:
            target = existing.get(self.natural_key(fields))
            if target is None:
                new.append(ShelfTarget(**fields))
                report.created += 1
            elif self.apply(target, {"rate": fields["rate"]}):
                changed.append(target)
                report.updated += 1
            else:
                report.unchanged += 1
        ShelfTarget.objects.bulk_create(new)
        if changed:
            ShelfTarget.objects.bulk_update(changed, ["rate"])


def target_importer_for(header: list[str], **options) -> RowImporter:
    """Sales targets have a 工号 (employee_no) column, shelf targets a 规格编码 (brand_code)."""
    words = {normalize_word(h) for h in header if h}

    def has(columns, key):
        column = next(c for c in columns if c.key == key)
        return any(normalize_word(n) in words for n in (column.header, column.key, *column.aliases))

    sales = has(SalesTargetImporter.columns, "employee_no")
    shelf = has(ShelfTargetImporter.columns, "brand_code")
    if sales == shelf:
        raise FileError(
            _(
                "Cannot tell the kind of targets: a sales-target file has a 工号 (employee_no) "
                "column, a shelf-target file a 规格编码 (brand_code) column, not both."
            ),
            row=1,
        )
    return SalesTargetImporter(**options) if sales else ShelfTargetImporter(**options)


# --- Order lines: staging table and set-based checks ---------------------------------------
