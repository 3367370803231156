"""Violations (守法情况), natural key (licence, date, severity, note): a file read twice
records nothing new."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from imports.engine import RowImporter
from imports.kinds import ImportKind
from imports.parsing import Column, parse_choice, parse_date, parse_licence, parse_text
from retailers.models import Violation, ViolationSeverity

from .statuses import retailer_lookup

SEVERITY_WORDS = {
    ViolationSeverity.MINOR: ["一般", "轻微"],
    ViolationSeverity.SERIOUS: ["严重"],
}


class ViolationImporter(RowImporter):
    kind = ImportKind.VIOLATIONS
    analyze_models = (Violation,)
    key_columns = ("license_no", "occurred_on", "severity", "description")
    columns = (
        Column("license_no", "许可证号", parse_licence, True, ("licence_no", "许可证编号")),
        Column("occurred_on", "日期", parse_date, True, ("date", "违规日期")),
        Column("severity", "严重程度", parse_choice(SEVERITY_WORDS), True, ("程度", "违规程度")),
        Column("description", "说明", parse_text(500), True, ("note", "违规情况", "备注")),
    )

    def prepare(self):
        self.today = timezone.localdate()
        self.retailers = retailer_lookup()

    def natural_key(self, fields):
        return (
            fields["license_no"],
            fields["occurred_on"],
            fields["severity"],
            fields["description"],
        )

    def check(self, row, values, report):
        found = self.retailers.get(values["license_no"])
        if found is None:
            report.add_error(
                row,
                self.header_of("license_no"),
                values["license_no"],
                _("No retailer with this licence."),
            )
            return None
        values["retailer_id"] = found[0]
        if values["occurred_on"] > self.today:
            report.add_error(
                row,
                self.header_of("occurred_on"),
                values["occurred_on"],
                _("A violation cannot be dated in the future."),
            )
            return None
        return values

    def flush(self, batch, report):
        pks = {fields["retailer_id"] for _row, fields in batch}
        existing = set(
            Violation.objects.filter(retailer_id__in=pks).values_list(
                "retailer_id", "occurred_on", "severity", "description"
            )
        )
        new = []
        for _row, fields in batch:
            key = (
                fields["retailer_id"],
                fields["occurred_on"],
                fields["severity"],
                fields["description"],
            )
            if key in existing:
                report.unchanged += 1
                continue
            existing.add(key)
            new.append(
                Violation(
                    retailer_id=fields["retailer_id"],
                    occurred_on=fields["occurred_on"],
                    severity=fields["severity"],
                    description=fields["description"],
                )
            )
            report.created += 1
        Violation.objects.bulk_create(new)
