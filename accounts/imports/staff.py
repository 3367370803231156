"""Staff (人员): natural key the employee number (工号). DOMAIN.md §9.

Creates or updates people through ``accounts.services``. Nobody is ever deleted: a person
missing from a later file stays as they are, and is deactivated only when the file says
在职=否 (a customer manager who still holds a territory is handed over first). Each person the
import creates gets a one-time initial code, kept on an initial-codes sheet that an admin
downloads once. An initial tier (customer managers) is recorded from the month of the hire
date (or of the import); probation wins: someone hired less than 12 months before the import
date is 见习 whatever the file says.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts import services
from accounts.models import ROLE_ORG_KINDS, OrgKind, OrgUnit, Role, Territory, User
from imports.engine import RowImporter
from imports.kinds import ImportKind
from imports.parsing import Column, parse_choice, parse_date, parse_flag, parse_text
from reports.models import Tier
from reports.services.tiers import initial_tiers_record
from reports.tiers import TIER_NAMES_ZH, probation_ends

ROLE_WORDS = {
    Role.CUSTOMER_MANAGER: ["客户经理"],
    Role.SERVICE_DEPT_SUPERVISOR: ["市场部督察", "客户服务部督察", "市场部(客户服务部)督察"],
    Role.MARKETING_CENTER_SUPERVISOR: ["营销中心督察", "营销部督察", "营销中心(县、区营销部)督察"],
    Role.ASSESSMENT_CENTER: ["考评管理中心", "考评管理中心督察"],
    Role.HR: ["人力资源", "人事"],
    Role.ADMIN: ["系统管理员", "管理员"],
    Role.LEADER: ["领导"],
}
TIER_WORDS = {tier: [name] for tier, name in TIER_NAMES_ZH.items()}
ROLE_NAMES_ZH = {role: words[0] for role, words in ROLE_WORDS.items()}
ORG_KIND_NAMES_ZH = {
    OrgKind.PROVINCE: "省公司",
    OrgKind.COMPANY: "市公司",
    OrgKind.MARKETING_CENTER: "营销中心",
    OrgKind.SERVICE_DEPARTMENT: "市场部",
}


def first_of_month(day: date) -> date:
    return day.replace(day=1)


class StaffImporter(RowImporter):
    kind = ImportKind.STAFF
    key_columns = ("employee_no",)
    columns = (
        Column("employee_no", "工号", parse_text(20), True, ("员工编号",)),
        Column("name", "姓名", parse_text(50), True),
        Column("role", "角色", parse_choice(ROLE_WORDS), True),
        Column("org_unit_code", "单位编码", parse_text(32), True, ("org_unit", "单位")),
        Column("hire_date", "入职日期", parse_date, False),
        Column("phone", "联系电话", parse_text(20), False, ("电话", "手机")),
        Column("active", "在职", parse_flag, False, ("is_active",)),
        Column("initial_tier", "初始等级", parse_choice(TIER_WORDS), False, ("tier", "等级")),
    )

    def run(self, table, report, *, dry_run=False):
        self.dry_run = dry_run
        super().run(table, report, dry_run=dry_run)

    def prepare(self):
        self.units = {unit.code: unit for unit in OrgUnit.objects.all()}
        self.users = {
            row["employee_no"]: row
            for row in User.objects.values(
                "employee_no", "pk", "role", "org_unit_id", "is_active", "hire_date"
            )
        }
        self.held = {
            manager_id: (code, department_id)
            for manager_id, code, department_id in Territory.objects.filter(
                manager__isnull=False
            ).values_list("manager_id", "code", "department_id")
        }
        self.status: dict[str, str] = {}
        self.tiers: dict[str, tuple[str, date]] = {}  # employee_no → (tier, from month)
        self.probation_overrides = 0
        self.codes: list[dict] = []
        self.code_units: list[OrgUnit] = []

    def natural_key(self, fields):
        return (fields["employee_no"],)

    def check(self, row, values, report):
        ok = True
        unit = self.units.get(values["org_unit_code"])
        role = values["role"]
        if unit is None:
            report.add_error(
                row,
                self.header_of("org_unit_code"),
                values["org_unit_code"],
                _("No org unit has this code."),
            )
            ok = False
        elif unit.kind not in ROLE_ORG_KINDS[role]:
            report.add_error(
                row,
                self.header_of("role"),
                ROLE_NAMES_ZH[role],
                _("A %(role)s belongs to a %(kinds)s; %(unit)s is a %(kind)s.")
                % {
                    "role": ROLE_NAMES_ZH[role],
                    "kinds": " / ".join(ORG_KIND_NAMES_ZH[k] for k in ROLE_ORG_KINDS[role]),
                    "unit": unit.code,
                    "kind": ORG_KIND_NAMES_ZH[unit.kind],
                },
            )
            ok = False
        existing = self.users.get(values["employee_no"])
        held = self.held.get(existing["pk"]) if existing else None
        active = values.get("active", existing["is_active"] if existing else True)
        if held and unit is not None:
            code, department_id = held
            if not active:
                report.add_error(
                    row,
                    self.header_of("active"),
                    "否",
                    _(
                        "This customer manager still holds territory %(code)s: hand it over "
                        "first (the handovers file or manager_leave), then deactivate them."
                    )
                    % {"code": code},
                )
                ok = False
            elif role != Role.CUSTOMER_MANAGER or unit.pk != department_id:
                report.add_error(
                    row,
                    self.header_of("org_unit_code" if role == Role.CUSTOMER_MANAGER else "role"),
                    unit.code if role == Role.CUSTOMER_MANAGER else ROLE_NAMES_ZH[role],
                    _(
                        "This customer manager still holds territory %(code)s: hand it over "
                        "first (the handovers file or manager_leave), then move them."
                    )
                    % {"code": code},
                )
                ok = False
        tier = values.get("initial_tier")
        if tier and role != Role.CUSTOMER_MANAGER:
            report.add_error(
                row,
                self.header_of("initial_tier"),
                TIER_NAMES_ZH[tier],
                _("Only customer managers have a tier; leave this cell empty."),
            )
            ok = False
        if not ok:
            return None
        fields = {
            "employee_no": values["employee_no"],
            "name": values["name"],
            "role": role,
            "org_unit": unit,
        }
        for key, name in (("hire_date", "hire_date"), ("phone", "phone"), ("active", "is_active")):
            if key in values:
                fields[name] = values[key]
        if role == Role.CUSTOMER_MANAGER:
            self._initial_tier(values, existing)
        return fields

    def _initial_tier(self, values, existing):
        """The tier in force from the hire month (or the import month): probation wins."""
        hire_date = values.get("hire_date") or (existing and existing["hire_date"])
        wanted = values.get("initial_tier")
        in_probation = hire_date is not None and probation_ends(hire_date) > self.on
        if in_probation:
            if wanted and wanted != Tier.PROBATION:
                self.probation_overrides += 1
            wanted = Tier.PROBATION
        if wanted:
            month = first_of_month(hire_date or self.on)
            self.tiers[values["employee_no"]] = (wanted, month)

    def flush(self, batch, report):
        numbers = [fields["employee_no"] for _row, fields in batch]
        existing = {u.employee_no: u for u in User.objects.filter(employee_no__in=numbers)}
        for row, fields in batch:
            user = existing.get(fields["employee_no"])
            try:
                if user is None:
                    self._create(fields)
                else:
                    changes = {k: v for k, v in fields.items() if k != "employee_no"}
                    changed = services.user_update(user=user, **changes)
                    self.status[user.employee_no] = "updated" if changed else "unchanged"
            except ValidationError as exc:
                header = self.header_of("employee_no")
                for message in exc.messages:
                    report.add_error(row, header, fields["employee_no"], message)

    def _create(self, fields):
        active = fields.pop("is_active", True)
        code = services.one_time_code() if active else None
        services.user_create(**fields, initial_code=code, is_active=active)
        self.status[fields["employee_no"]] = "created"
        if code:
            unit = fields["org_unit"]
            self.codes.append(
                {
                    "employee_no": fields["employee_no"],
                    "name": fields["name"],
                    "unit": unit.name,
                    "code": code,
                }
            )
            self.code_units.append(unit)

    def finish(self, report):
        if self.tiers:
            ids = dict(
                User.objects.filter(employee_no__in=list(self.tiers)).values_list(
                    "employee_no", "pk"
                )
            )
            outcome = initial_tiers_record(
                tiers={ids[number]: tier for number, tier in self.tiers.items()}
            )
            number_of = {pk: number for number, pk in ids.items()}
            kept = 0
            for pk, result in outcome.items():
                number = number_of[pk]
                if result in ("created", "updated") and self.status.get(number) == "unchanged":
                    self.status[number] = "updated"
                kept += result == "kept"
            recorded = sum(result in ("created", "updated") for result in outcome.values())
            report.details.append((_("Initial tiers recorded"), recorded))
            if kept:
                report.details.append(
                    (_("Initial tiers not applied: the manager already has a tier history"), kept)
                )
        if self.probation_overrides:
            report.details.append(
                (
                    _(
                        "Set to %(tier)s instead of the file's tier: hired less than 12 months "
                        "before %(day)s"
                    )
                    % {"tier": TIER_NAMES_ZH[Tier.PROBATION], "day": self.on.isoformat()},
                    self.probation_overrides,
                )
            )
        for state in self.status.values():
            setattr(report, state, getattr(report, state) + 1)
        if self.codes and not self.dry_run:
            sheet = services.initial_code_sheet_create(
                codes=self.codes, units=self.code_units, created_by=self.options.get("user")
            )
            report.results["code_sheet"] = sheet.pk
            label = _("One-time initial codes on a sheet for an admin to download once")
            report.details.append((label, len(self.codes)))
        elif self.codes:
            report.details.append((_("One-time initial codes to be issued"), len(self.codes)))
