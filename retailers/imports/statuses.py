"""Retailer status changes (dated), natural key (licence, effective date).

Each row says a retailer has a status (正常 / 暂停 / 注销) from a day on (DOMAIN §9). A
change may not be dated inside a month in review or published of the retailer's city
company. After the file, each retailer's cached status is brought to the one in force today.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from imports.engine import CHUNK_SIZE, RowImporter, chunks
from imports.kinds import ImportKind
from imports.parsing import Column, parse_choice, parse_date, parse_licence, parse_text
from retailers.models import Retailer, RetailerStatusChange
from retailers.services import retailer_statuses_sync, status_change_refusal

from .words import STATUS_WORDS


class RetailerStatusImporter(RowImporter):
    kind = ImportKind.RETAILER_STATUSES
    key_columns = ("license_no", "effective_from")
    columns = (
        Column("license_no", "许可证号", parse_licence, True, ("licence_no", "许可证编号")),
        Column("status", "状态", parse_choice(STATUS_WORDS), True),
        Column("effective_from", "生效日期", parse_date, True, ("effective_date", "日期")),
        Column("note", "说明", parse_text(200), False, ("备注",)),
    )

    def prepare(self):
        from assessment.selectors import locked_months  # assessment reads retailers

        self.locked = locked_months()
        self.retailer_ids: set[int] = set()

    def natural_key(self, fields):
        return (fields["license_no"], fields["effective_from"])

    def flush(self, batch, report):
        licences = {fields["license_no"] for _row, fields in batch}
        retailers = {
            licence: (pk, company_id)
            for licence, pk, company_id in Retailer.objects.filter(
                license_no__in=licences
            ).values_list("license_no", "pk", "territory__department__company_id")
        }
        existing = {
            (change.retailer_id, change.effective_from): change
            for change in RetailerStatusChange.objects.filter(
                retailer_id__in=[pk for pk, _company in retailers.values()]
            )
        }
        new, changed = [], []
        for row, fields in batch:
            licence, day = fields["license_no"], fields["effective_from"]
            if licence not in retailers:
                report.add_error(
                    row, self.header_of("license_no"), licence, _("No retailer with this licence.")
                )
                continue
            pk, company_id = retailers[licence]
            reason = status_change_refusal(day=day, company_id=company_id, locked=self.locked)
            if reason:
                report.add_error(row, self.header_of("effective_from"), day, reason)
                continue
            if not report.ok:
                continue
            self.retailer_ids.add(pk)
            values = {"status": fields["status"], "note": fields.get("note", "")}
            change = existing.get((pk, day))
            if change is None:
                new.append(RetailerStatusChange(retailer_id=pk, effective_from=day, **values))
                report.created += 1
            elif self.apply(change, values):
                changed.append(change)
                report.updated += 1
            else:
                report.unchanged += 1
        if report.ok:
            RetailerStatusChange.objects.bulk_create(new)
            RetailerStatusChange.objects.bulk_update(changed, ["status", "note"])

    def finish(self, report):
        moved = sum(
            retailer_statuses_sync(retailer_ids=ids)
            for ids in chunks(sorted(self.retailer_ids), CHUNK_SIZE)
        )
        report.details.append((_("Retailers whose current status changed"), moved))
