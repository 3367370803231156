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


def retailer_lookup() -> dict[str, tuple[int, int | None]]:
    """Licence → (retailer id, city company id), loaded once per file (one query)."""
    rows = Retailer.objects.values_list("license_no", "pk", "territory__department__company_id")
    return {licence: (pk, company) for licence, pk, company in rows.iterator(chunk_size=10000)}


class RetailerStatusImporter(RowImporter):
    kind = ImportKind.RETAILER_STATUSES
    analyze_models = (RetailerStatusChange,)
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
        self.retailers = retailer_lookup()
        self.retailer_ids: set[int] = set()

    def natural_key(self, fields):
        return (fields["license_no"], fields["effective_from"])

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
        values["retailer_id"], company_id = found
        day = values["effective_from"]
        reason = status_change_refusal(day=day, company_id=company_id, locked=self.locked)
        if reason:
            report.add_error(row, self.header_of("effective_from"), day, reason)
            return None
        return values

    def flush(self, batch, report):
        pks = {fields["retailer_id"] for _row, fields in batch}
        existing = {
            (change.retailer_id, change.effective_from): change
            for change in RetailerStatusChange.objects.filter(retailer_id__in=pks)
        }
        new, changed = [], []
        for _row, fields in batch:
            pk, day = fields["retailer_id"], fields["effective_from"]
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
        RetailerStatusChange.objects.bulk_create(new)
        RetailerStatusChange.objects.bulk_update(changed, ["status", "note"])

    def finish(self, report):
        moved = sum(
            retailer_statuses_sync(retailer_ids=ids)
            for ids in chunks(sorted(self.retailer_ids), CHUNK_SIZE)
        )
        report.details.append((_("Retailers whose current status changed"), moved))
