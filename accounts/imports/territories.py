"""Territories (片区), natural key the territory code, with their manager and centre.

A new territory is created with its manager. An existing one takes a new name, department or
centre; its manager is never changed here: a file naming another manager is refused and points
to the handover file (``import_handovers``), which dates the change. Coordinates name their
datum (a 坐标系 column or the ``datum`` option) and are stored in WGS-84.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts import services
from accounts.models import OrgKind, OrgUnit, Role, Territory, User
from imports.datum import coordinate_errors, parse_datum, to_wgs84
from imports.engine import RowImporter
from imports.kinds import ImportKind
from imports.parsing import CellError, Column, parse_decimal, parse_text
from imports.reading import FileError

# Degrees; the range of DOMAIN §9 (3–54° N, 73–136° E) is data: FileLimits, checked in check_centre.
LATITUDE = parse_decimal(
    max_digits=9, places=6, minimum=Decimal(-90), maximum=Decimal(90), round_extra=True
)
LONGITUDE = parse_decimal(
    max_digits=9, places=6, minimum=Decimal(-180), maximum=Decimal(180), round_extra=True
)


class TerritoryImporter(RowImporter):
    kind = ImportKind.TERRITORIES
    key_columns = ("code",)
    columns = (
        Column("code", "片区编码", parse_text(32), True, ("territory_code", "片区代码")),
        Column("name", "片区名称", parse_text(100), True, ("名称",)),
        Column(
            "department_code",
            "市场部编码",
            parse_text(32),
            True,
            ("department", "客户服务部编码", "部门编码"),
        ),
        Column("manager_no", "客户经理工号", parse_text(20), False, ("manager", "工号")),
        Column("latitude", "中心纬度", LATITUDE, False, ("纬度", "lat")),
        Column("longitude", "中心经度", LONGITUDE, False, ("经度", "lng", "lon")),
        Column("datum", "坐标系", parse_datum, False, ("坐标类型",)),
    )

    def __init__(self, *, datum: str | None = None, **options):
        super().__init__(**options)
        # The file-wide datum (an import option); a 坐标系 cell overrides it for its row.
        try:
            self.datum = parse_datum(datum) if datum else None
        except CellError as exc:
            raise FileError(
                _("The datum option “%(datum)s”: %(reason)s")
                % {"datum": datum, "reason": exc.reason}
            ) from exc

    def prepare(self):
        self.departments = {
            code: (pk, kind) for pk, code, kind in OrgUnit.objects.values_list("pk", "code", "kind")
        }
        self.department_code = {pk: code for code, (pk, _kind) in self.departments.items()}
        # People: a city has a few hundred, a province a few thousand; read once.
        self.people = {
            row[0]: row
            for row in User.objects.values_list(
                "employee_no", "pk", "name", "role", "org_unit_id", "is_active"
            )
        }
        self.employee_no = {row[1]: no for no, row in self.people.items()}
        self.existing = {t.code: t for t in Territory.objects.select_related("manager").order_by()}
        self.code_of_manager = {
            t.manager_id: t.code for t in self.existing.values() if t.manager_id is not None
        }
        self.row_of: dict[str, int] = {}
        self.row_of_manager: dict[str, tuple[int, str]] = {}

    def natural_key(self, fields):
        return (fields["code"],)

    def error(self, report, row, key, value, reason):
        report.add_error(row, self.header_of(key), value, reason)

    def check(self, row, values, report):
        code = values["code"]
        if code in self.row_of:
            self.error(
                report,
                row,
                "code",
                code,
                _("Duplicate of row %(row)s.") % {"row": self.row_of[code]},
            )
            return None
        self.row_of[code] = row
        ok = True
        territory = self.existing.get(code)
        department_id = self.check_department(row, values["department_code"], report)
        ok &= department_id is not None
        manager_id = None
        if "manager_no" in values:
            manager_id = self.check_manager(row, code, values["manager_no"], department_id, report)
            ok &= manager_id is not None
            if (
                territory is not None
                and manager_id is not None
                and manager_id != territory.manager_id
            ):
                current = territory.manager
                self.error(
                    report,
                    row,
                    "manager_no",
                    values["manager_no"],
                    _(
                        "The territory's manager is %(current)s; a change of manager is a "
                        "handover from a date: use the handover file (import_handovers)."
                    )
                    % {"current": str(current) if current else _("nobody")},
                )
                ok = False
        elif (
            territory is not None
            and department_id is not None
            and territory.manager_id
            and territory.manager.org_unit_id != department_id
        ):
            self.error(
                report,
                row,
                "department_code",
                values["department_code"],
                _(
                    "The territory's manager %(name)s belongs to another department; move "
                    "them with the staff file first."
                )
                % {"name": str(territory.manager)},
            )
            ok = False
        centre = self.check_centre(row, values, report)
        ok &= centre is not False
        if not ok:
            return None
        fields = {"code": code, "name": values["name"], "department_id": department_id}
        if centre:
            fields["latitude"], fields["longitude"] = centre
        if territory is None:
            fields["manager_id"] = manager_id
        return fields

    def check_department(self, row, department_code, report):
        unit = self.departments.get(department_code)
        if unit is None:
            self.error(report, row, "department_code", department_code, _("No such department."))
            return None
        if unit[1] != OrgKind.SERVICE_DEPARTMENT:
            self.error(
                report,
                row,
                "department_code",
                department_code,
                _("A territory belongs to a service department, not to a %(kind)s.")
                % {"kind": OrgKind(unit[1]).label},
            )
            return None
        return unit[0]

    def check_manager(self, row, code, employee_no, department_id, report):
        person = self.people.get(employee_no)
        if person is None:
            self.error(
                report, row, "manager_no", employee_no, _("No user with this employee number.")
            )
            return None
        _no, pk, name, role, org_unit_id, is_active = person
        reason = None
        if role != Role.CUSTOMER_MANAGER:
            reason = _("%(name)s is a %(role)s, not a customer manager.") % {
                "name": name,
                "role": Role(role).label,
            }
        elif not is_active:
            reason = _("%(name)s is inactive.") % {"name": name}
        elif department_id is not None and org_unit_id != department_id:
            reason = _(
                "%(name)s belongs to %(unit)s, not to the territory's department; move them "
                "with the staff file first."
            ) % {"name": name, "unit": self.department_code.get(org_unit_id, "—")}
        elif employee_no in self.row_of_manager:
            first_row, first_code = self.row_of_manager[employee_no]
            reason = _("%(name)s already holds territory %(code)s on row %(row)s.") % {
                "name": name,
                "code": first_code,
                "row": first_row,
            }
        elif self.code_of_manager.get(pk, code) != code:
            reason = _("%(name)s already holds territory %(code)s.") % {
                "name": name,
                "code": self.code_of_manager[pk],
            }
        self.row_of_manager.setdefault(employee_no, (row, code))
        if reason:
            self.error(report, row, "manager_no", employee_no, reason)
            return None
        return pk

    def check_centre(self, row, values, report):
        """(latitude, longitude) in WGS-84, None without coordinates, False on an error."""
        has_lat, has_lng = "latitude" in values, "longitude" in values
        if not has_lat and not has_lng:
            return None
        if has_lat != has_lng:
            missing = "longitude" if has_lat else "latitude"
            self.error(report, row, missing, "", _("Give both latitude and longitude, or neither."))
            return False
        datum = values.get("datum") or self.datum
        if datum is None:
            self.error(
                report,
                row,
                "datum",
                "",
                _(
                    "Coordinates need their datum: a 坐标系 column or the datum option "
                    "(WGS-84, GCJ-02 or BD-09)."
                ),
            )
            return False
        if errors := coordinate_errors(values["latitude"], values["longitude"], self.limits):
            for key, value, reason in errors:
                self.error(report, row, key, value, reason)
            return False
        return to_wgs84(values["latitude"], values["longitude"], datum)

    def flush(self, batch, report):
        departments = OrgUnit.objects.in_bulk({fields["department_id"] for _row, fields in batch})
        managers = User.objects.in_bulk(
            {fields["manager_id"] for _row, fields in batch if fields.get("manager_id")}
        )
        for row, fields in batch:
            territory = self.existing.get(fields["code"])
            try:
                if territory is None:
                    services.territory_create(
                        code=fields["code"],
                        name=fields["name"],
                        department=departments[fields["department_id"]],
                        manager=managers.get(fields["manager_id"]),
                        latitude=fields.get("latitude"),
                        longitude=fields.get("longitude"),
                    )
                    report.created += 1
                    continue
                changed = {
                    name.removesuffix("_id"): value
                    for name, value in fields.items()
                    if name != "code" and getattr(territory, name) != value
                }
                if not changed:
                    report.unchanged += 1
                    continue
                if "department" in changed:
                    changed["department"] = departments[changed["department"]]
                services.territory_update(territory=territory, **changed)
                report.updated += 1
            except ValidationError as exc:  # the checks above should have caught it
                for messages in exc.message_dict.values():
                    report.add_error(row, "", fields["code"], " ".join(messages))
                return
