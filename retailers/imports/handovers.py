"""Territory handovers (交接) and coverings (代管), dated: 片区编码, 接手客户经理工号, 生效日期, …

Rows naming licences (许可证号) move only those retailers; the rows of one territory, date and
kind make one handover. Each handover goes through ``territory_handover`` /
``territory_cover``, so a file is refused for the same reasons as the admin: a locked month,
a date before the territory existed, a manager holding another territory, an overlapping
covering. The natural key is (territory, date, kind[, licence]); a recorded handover with the
same content is unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, Territory, User
from assessment.selectors import locked_month_reason, locked_months
from imports.engine import RowImporter
from imports.kinds import ImportKind
from imports.parsing import Column, parse_choice, parse_date, parse_licence, parse_text
from retailers.models import HandoverKind, Retailer, RetailerAssignment, TerritoryHandover
from retailers.services import territory_cover, territory_handover

KIND_WORDS = {HandoverKind.HANDOVER: ["交接", "移交"], HandoverKind.COVERING: ["代管", "临时代管"]}


class HandoverImporter(RowImporter):
    kind = ImportKind.HANDOVERS
    key_columns = ("territory_code", "effective_from", "handover_kind", "license_no")
    columns = (
        Column("territory_code", "片区编码", parse_text(32), True, ("territory",)),
        Column(
            "employee_no",
            "接手客户经理工号",
            parse_text(20),
            True,
            ("接手人工号", "工号", "to_manager"),
        ),
        Column("effective_from", "生效日期", parse_date, True, ("起始日期",)),
        Column("until", "截止日期", parse_date, False, ("结束日期",)),
        Column(
            "handover_kind",
            "类型(交接/代管)",
            parse_choice(KIND_WORDS),
            True,
            ("类型", "类型（交接/代管）", "type"),
        ),
        Column("license_no", "许可证号", parse_licence, False, ("licence", "license")),
        Column("note", "说明", parse_text(500), False, ("备注",)),
    )

    def prepare(self):
        self.territories = {t.code: t for t in Territory.objects.select_related("department")}
        self.users = {u.employee_no: u for u in User.objects.all()}
        self.retailers = {
            licence: (pk, territory_id)
            for licence, pk, territory_id in Retailer.objects.values_list(
                "license_no", "pk", "territory_id"
            )
        }
        # A retailer belongs to a territory it is in now or was assigned to (a moved one too).
        self.served = set(
            RetailerAssignment.objects.values_list("retailer_id", "territory_id").distinct()
        )
        self.locked = locked_months()
        self.first_days = dict(
            RetailerAssignment.objects.values("territory_id")
            .annotate(first=Min("valid_from"))
            .values_list("territory_id", "first")
        )
        self.groups: dict[tuple, dict] = {}

    def natural_key(self, fields):
        return (
            fields["territory"].pk,
            fields["effective_from"],
            fields["handover_kind"],
            fields.get("retailer_id"),
        )

    def check(self, row, values, report):
        ok = True
        code = values["territory_code"]
        territory = self.territories.get(code)
        if territory is None:
            report.add_error(row, self.header_of("territory_code"), code, _("No such territory."))
            ok = False
        number = values["employee_no"]
        manager = self.users.get(number)
        if manager is None:
            report.add_error(
                row, self.header_of("employee_no"), number, _("No user has this employee number.")
            )
            ok = False
        elif manager.role != Role.CUSTOMER_MANAGER or not manager.is_active:
            report.add_error(
                row,
                self.header_of("employee_no"),
                number,
                _("This user is not an active customer manager."),
            )
            ok = False
        kind, until = values["handover_kind"], values.get("until")
        if until is not None and kind == HandoverKind.HANDOVER:
            report.add_error(
                row,
                self.header_of("until"),
                until,
                _("A handover has no end date; a covering has."),
            )
            ok = False
        if until is not None and until < values["effective_from"]:
            report.add_error(
                row, self.header_of("until"), until, _("The end date is before the start date.")
            )
            ok = False
        start = values["effective_from"]
        if territory is not None:
            reason = locked_month_reason(start, territory.department.company_id, self.locked)
            if reason is None and until is not None:
                returns = until + timedelta(days=1)
                reason = locked_month_reason(returns, territory.department.company_id, self.locked)
            first = self.first_days.get(territory.pk)
            if reason is None and first is not None and start < first:
                reason = _("%(code)s exists from %(first)s: a handover cannot be dated before.") % {
                    "code": code,
                    "first": first,
                }
            if reason:
                report.add_error(row, self.header_of("effective_from"), start, reason)
                ok = False
        licence = values.get("license_no")
        retailer_id = None
        if licence:
            retailer = self.retailers.get(licence)
            if retailer is None:
                report.add_error(
                    row, self.header_of("license_no"), licence, _("No retailer has this licence.")
                )
                ok = False
            elif territory is not None and (
                retailer[1] != territory.pk and (retailer[0], territory.pk) not in self.served
            ):
                report.add_error(
                    row,
                    self.header_of("license_no"),
                    licence,
                    _("This retailer is not in territory %(code)s.") % {"code": code},
                )
                ok = False
            else:
                retailer_id = retailer[0]
        if not ok:
            return None
        return {
            "territory": territory,
            "manager": manager,
            "effective_from": values["effective_from"],
            "until": until,
            "handover_kind": kind,
            "retailer_id": retailer_id,
            "note": values.get("note") or "",
        }

    def flush(self, batch, report):
        for row, fields in batch:
            key = (fields["territory"].pk, fields["effective_from"], fields["handover_kind"])
            group = self.groups.get(key)
            if group is None:
                self.groups[key] = group = {**fields, "rows": [], "retailer_ids": set()}
            elif (group["manager"].pk, group["until"]) != (fields["manager"].pk, fields["until"]):
                report.add_error(
                    row,
                    self.header_of("employee_no"),
                    fields["manager"].employee_no,
                    _("Row %(row)s names another manager or end date for this handover.")
                    % {"row": group["rows"][0]},
                )
                continue
            if (fields["retailer_id"] is None) != (not group["retailer_ids"]) and group["rows"]:
                report.add_error(
                    row,
                    self.header_of("license_no"),
                    "",
                    _("Name a licence on every row of this handover, or on none."),
                )
                continue
            group["rows"].append(row)
            if fields["retailer_id"] is not None:
                group["retailer_ids"].add(fields["retailer_id"])

    def finish(self, report):
        existing = defaultdict(set)
        records = {
            (r.territory_id, r.effective_from, r.kind): r
            for r in TerritoryHandover.objects.filter(
                territory_id__in={key[0] for key in self.groups}
            )
        }
        for record_id, retailer_id in TerritoryHandover.retailers.through.objects.filter(
            territoryhandover_id__in=[r.pk for r in records.values()]
        ).values_list("territoryhandover_id", "retailer_id"):
            existing[record_id].add(retailer_id)
        for key in sorted(self.groups, key=lambda k: (k[1], k[0], k[2])):
            group = self.groups[key]
            first = group["rows"][0]
            record = records.get(key)
            if record is not None:
                same = (
                    record.to_manager_id == group["manager"].pk
                    and record.until == group["until"]
                    and existing[record.pk] == group["retailer_ids"]
                )
                if same:
                    report.unchanged += len(group["rows"])
                else:
                    report.add_error(
                        first,
                        self.header_of("effective_from"),
                        group["effective_from"],
                        _(
                            "Another %(kind)s of this territory is recorded from this date; "
                            "a recorded handover is not changed by a file."
                        )
                        % {"kind": record.get_kind_display()},
                    )
                continue
            retailers = sorted(group["retailer_ids"]) or None
            try:
                if group["handover_kind"] == HandoverKind.HANDOVER:
                    territory_handover(
                        territory=group["territory"],
                        to_manager=group["manager"],
                        effective_from=group["effective_from"],
                        retailers=retailers,
                        note=group["note"],
                        today=timezone.localdate(),
                    )
                else:
                    territory_cover(
                        territory=group["territory"],
                        manager=group["manager"],
                        start=group["effective_from"],
                        end=group["until"],
                        retailers=retailers,
                        note=group["note"],
                        today=timezone.localdate(),
                    )
            except ValidationError as exc:
                for field, message in _messages(exc):
                    column = _COLUMN_OF.get(field, "effective_from")
                    report.add_error(first, self.header_of(column), _value(group, column), message)
                continue
            report.created += len(group["rows"])


_COLUMN_OF = {
    "to_manager": "employee_no",
    "manager": "employee_no",
    "start": "effective_from",
    "effective_from": "effective_from",
    "end": "until",
    "retailers": "license_no",
}


def _value(group: dict, column: str):
    if column == "employee_no":
        return group["manager"].employee_no
    if column == "until":
        return group["until"]
    if column == "license_no":
        return ""
    return group["effective_from"]


def _messages(exc: ValidationError) -> list[tuple[str, str]]:
    """(field, message) of a service's refusal."""
    if hasattr(exc, "error_dict"):
        return [
            (field, " ".join(message for error in errors for message in error.messages))
            for field, errors in exc.error_dict.items()
        ]
    return [("", " ".join(exc.messages))]
