"""Org units (单位), natural key the unit code; a move to another parent is dated.

Rows are checked against the tree as it stands after the rows above them (the database plus
the earlier rows of the file), so a parent must be in the database or on an earlier row. Every
check runs before anything is written; the writes go through ``accounts.services`` (which keep
paths and city companies), one row at a time in file order: an org tree has hundreds of units,
and only the rows that change something are written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services
from accounts.models import OrgKind, OrgUnit, OrgUnitMove, parent_kind_error
from imports.engine import RowImporter
from imports.kinds import ImportKind
from imports.parsing import Column, parse_choice, parse_date, parse_text

KIND_WORDS = {
    OrgKind.PROVINCE: ["省公司", "省级公司", "省局"],
    OrgKind.COMPANY: ["市公司", "地市公司", "市级公司", "市局"],
    OrgKind.MARKETING_CENTER: ["营销中心", "县营销部", "区营销部", "营销部", "县区营销部"],
    OrgKind.SERVICE_DEPARTMENT: ["市场部", "客户服务部", "服务部"],
}


@dataclass
class Node:
    """A unit as the rows checked so far leave it (``pk`` None: created by this file)."""

    pk: int | None
    kind: str
    parent: str | None  # the parent's code
    name: str
    address: str
    last_move: date | None = None


class OrgUnitImporter(RowImporter):
    kind = ImportKind.ORG_UNITS
    key_columns = ("code",)
    columns = (
        Column("code", "单位编码", parse_text(32), True, ("unit_code", "编码", "机构编码")),
        Column("name", "单位名称", parse_text(100), True, ("名称", "机构名称")),
        Column("kind", "类型", parse_choice(KIND_WORDS), True, ("单位类型", "层级")),
        Column("parent_code", "上级单位编码", parse_text(32), False, ("parent", "上级编码")),
        Column("address", "地址", parse_text(200), False, ("办公地址",)),
        Column("effective_date", "生效日期", parse_date, False, ("move_date", "调整日期")),
    )

    def prepare(self):
        from assessment.selectors import locked_months  # assessment sits above accounts

        self.today = timezone.localdate()
        self.locked = locked_months()
        last_moves = dict(
            OrgUnitMove.objects.values("unit_id")
            .annotate(last=Max("effective_from"))
            .values_list("unit_id", "last")
        )
        self.nodes: dict[str, Node] = {
            code: Node(pk, kind, parent, name, address, last_moves.get(pk))
            for pk, code, kind, parent, name, address in OrgUnit.objects.values_list(
                "pk", "code", "kind", "parent__code", "name", "address"
            )
        }
        self.row_of: dict[str, int] = {}
        self.moved = 0

    def natural_key(self, fields):
        return (fields["code"],)

    # --- the tree as checked so far -------------------------------------------------------

    def city_of(self, code: str | None) -> int | None:
        """The primary key of the city company above (or at) ``code``; None for a province
        or a company this file creates (it has no months yet)."""
        while code is not None:
            node = self.nodes[code]
            if node.kind == OrgKind.COMPANY:
                return node.pk
            code = node.parent
        return None

    def is_within(self, code: str, ancestor: str) -> bool:
        """True when ``code`` is ``ancestor`` or lies in its subtree."""
        seen = set()
        while code is not None and code not in seen:
            if code == ancestor:
                return True
            seen.add(code)
            code = self.nodes[code].parent if code in self.nodes else None
        return False

    # --- checking ---------------------------------------------------------------------------

    def check(self, row, values, report):
        code, kind = values["code"], values["kind"]
        if code in self.row_of:
            report.add_error(
                row,
                self.header_of("code"),
                code,
                _("Duplicate of row %(row)s.") % {"row": self.row_of[code]},
            )
            return None
        self.row_of[code] = row
        node = self.nodes.get(code)
        # An empty parent cell: a new unit is a root; an existing one keeps its parent.
        parent = values.get("parent_code", node.parent if node else None)
        if parent is not None and "parent_code" in values:
            if parent == code or (node is not None and self.is_within(parent, code)):
                report.add_error(
                    row,
                    self.header_of("parent_code"),
                    parent,
                    _("%(parent)s lies inside %(code)s: a unit cannot be moved under itself.")
                    % {"parent": parent, "code": code},
                )
                return None
            if parent not in self.nodes:
                report.add_error(
                    row,
                    self.header_of("parent_code"),
                    parent,
                    _(
                        "No such unit: a parent must exist already or come on an earlier row "
                        "of the file than its children."
                    ),
                )
                return None
        if node is not None and node.kind != kind:
            report.add_error(
                row,
                self.header_of("kind"),
                OrgKind(kind).label,
                _("The unit is a %(kind)s; an import does not change a unit's kind.")
                % {"kind": OrgKind(node.kind).label},
            )
            return None
        if message := parent_kind_error(kind, self.nodes[parent].kind if parent else None):
            report.add_error(row, self.header_of("parent_code"), parent or "", message)
            return None
        moved = node is not None and parent != node.parent
        day = values.get("effective_date")
        if moved:
            if day is None:
                report.add_error(
                    row,
                    self.header_of("effective_date"),
                    "",
                    _(
                        "The unit moves from %(old)s to %(new)s: give the date the move takes "
                        "effect."
                    )
                    % {"old": node.parent or "—", "new": parent or "—"},
                )
                return None
            new_city = node.pk if kind == OrgKind.COMPANY else self.city_of(parent)
            if message := services.move_date_error(
                day,
                city_ids=[self.city_of(code), new_city],
                last_move=node.last_move,
                locked=self.locked,
                today=self.today,
            ):
                report.add_error(row, self.header_of("effective_date"), day.isoformat(), message)
                return None
        address = values.get("address", node.address if node else "")
        fields = {"code": code, "name": values["name"], "kind": kind, "parent": parent}
        fields["address"] = address
        if node is None:
            self.nodes[code] = Node(None, kind, parent, values["name"], address)
            fields["action"] = "create"
            return fields
        changed = {
            name: value
            for name, value in (("name", values["name"]), ("address", address))
            if getattr(node, name) != value
        }
        node.name, node.address = values["name"], address
        if moved:
            node.parent, node.last_move = parent, day
            fields["effective_date"] = day
        fields["changed"] = changed
        fields["action"] = "update" if moved or changed else "unchanged"
        return fields

    # --- writing ----------------------------------------------------------------------------

    def flush(self, batch, report):
        for row, fields in batch:
            if fields["action"] == "unchanged":
                report.unchanged += 1
                continue
            try:
                self.write(fields)
            except ValidationError as exc:  # the checks above should have caught it
                for field, messages in exc.message_dict.items():
                    column = {"parent": "parent_code", "effective_from": "effective_date"}.get(
                        field, field
                    )
                    header = self.header_of(column) if column in self.bound else ""
                    report.add_error(row, header, fields.get(column) or "", " ".join(messages))
                return
            if fields["action"] == "create":
                report.created += 1
            else:
                report.updated += 1

    def write(self, fields):
        parent = OrgUnit.objects.get(code=fields["parent"]) if fields["parent"] else None
        if fields["action"] == "create":
            services.org_unit_create(
                name=fields["name"],
                code=fields["code"],
                kind=fields["kind"],
                parent=parent,
                address=fields["address"],
            )
            return
        unit = OrgUnit.objects.get(code=fields["code"])
        if "effective_date" in fields:
            services.org_unit_move(
                unit=unit,
                parent=parent,
                effective_from=fields["effective_date"],
                locked=self.locked,
            )
            self.moved += 1
        if fields["changed"]:
            services.org_unit_update(unit=unit, **fields["changed"])

    def finish(self, report):
        report.details.append((_("Moved to another parent"), self.moved))
