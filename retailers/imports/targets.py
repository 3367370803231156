"""Sales targets per manager and month, shelf targets per brand, month and unit."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Exists, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrgUnit, Role, Territory, User
from assessment.adjustments import LOCKED, note_late
from assessment.models import AssessmentMonth, LateKind
from assessment.selectors import locked_months
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
from imports.report import LATE_LABEL
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
        # A target of a month in review or published is late data of it (DOMAIN §4).
        self.locked = locked_months()
        self.cities = (
            dict(
                User.objects.filter(role=Role.CUSTOMER_MANAGER).values_list(
                    "pk", "org_unit__company_id"
                )
            )
            if self.locked
            else {}
        )
        self.late = 0

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
        for target in new + changed:
            company_id = self.cities.get(target.manager_id)
            if state := self.locked.get(company_id, {}).get(target.month):
                note_late_sales_target(target, company_id=company_id, state=state)
                self.late += 1

    def finish(self, report):
        if self.late:
            report.details.append((LATE_LABEL, self.late))


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
        # Targets of a month in review or published are late data of it (DOMAIN §4): one
        # entry per city and month of an import (a shelf target has no manager of its own).
        self.locked = locked_months()
        self.late: dict[tuple[int, date], int] = defaultdict(int)
        if self.locked:
            self.unit_cities = dict(OrgUnit.objects.values_list("pk", "company_id"))
            self.territory_cities = dict(
                Territory.objects.values_list("pk", "department__company_id")
            )
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
        if self.locked:
            for target in new + changed:
                for company_id in self._cities(target):
                    if self.locked.get(company_id, {}).get(target.month):
                        self.late[company_id, target.month] += 1

    def _cities(self, target: ShelfTarget) -> list[int]:
        """The cities a target applies in: its unit's or territory's (a province-wide target,
        every city with a locked month)."""
        if target.territory_id is not None:
            return [self.territory_cities.get(target.territory_id)]
        company_id = self.unit_cities.get(target.org_unit_id)
        return [company_id] if company_id is not None else list(self.locked)

    def finish(self, report):
        now = timezone.now()
        for (company_id, month), count in sorted(self.late.items()):
            note_late(
                kind=LateKind.TARGET,
                company=company_id,
                day=month,
                note=f"新品上柜率目标 {count} 条",
                state=self.locked[company_id][month],
                now=now,
            )
        if self.late:
            report.details.append((LATE_LABEL, sum(self.late.values())))


def _locked_months_of(target) -> list[tuple[int, str]]:
    """(city, state) of the cities whose month of ``target`` (a sales or shelf target) is in
    review or published: its manager's, unit's or territory's city (a province-wide shelf
    target: every city). One query."""
    months = AssessmentMonth.objects.filter(month=target.month, state__in=LOCKED)
    if isinstance(target, SalesTarget):
        city = User.objects.filter(pk=target.manager_id).values("org_unit__company_id")
    elif target.territory_id is not None:
        city = Territory.objects.filter(pk=target.territory_id).values("department__company_id")
    else:
        city = OrgUnit.objects.filter(pk=target.org_unit_id, company__isnull=False).values(
            "company_id"
        )
        province = ~Exists(OrgUnit.objects.filter(pk=target.org_unit_id, company__isnull=False))
        return list(
            months.filter(Q(company_id=Subquery(city[:1])) | Q(province)).values_list(
                "company_id", "state"
            )
        )
    return list(months.filter(company_id=Subquery(city[:1])).values_list("company_id", "state"))


def note_late_shelf_target(target: ShelfTarget) -> None:
    """A shelf target written for a month in review or published (the admin's correction):
    one entry per city it applies in, with no manager (DOMAIN §4)."""
    for company_id, state in _locked_months_of(target):
        note_late(
            kind=LateKind.TARGET,
            company=company_id,
            day=target.month,
            note=f"新品上柜率目标 {target.rate:.2%}",
            state=state,
        )


def note_late_sales_target(target: SalesTarget, *, company_id=None, state=None) -> None:
    """A sales target written for a month in review or published is late data of it (DOMAIN
    §4), for its manager: imports and the admin's correction. ``company_id`` and ``state``
    when the caller has read them (else one query)."""
    if state is None:
        late = _locked_months_of(target)
        if not late:
            return
        company_id, state = late[0]
    note_late(
        kind=LateKind.TARGET,
        company=company_id,
        day=target.month,
        note=f"销量目标 {target.total_boxes} 箱（重点品牌 {target.key_brand_boxes} 箱）",
        manager_id=target.manager_id,
        object_id=target.pk,
        state=state,
    )


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
