"""Brands (卷烟规格), natural key the brand code, with their key-brand months."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.utils.translation import gettext as _

from imports.engine import CHUNK_SIZE, RowImporter, chunks
from imports.kinds import ImportKind
from imports.parsing import (
    Column,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_flag,
    parse_months,
    parse_text,
)
from retailers.models import (
    Brand,
    KeyBrandMonth,
)

from .words import (
    PRICE_CLASS_WORDS,
)


class BrandImporter(RowImporter):
    kind = ImportKind.BRANDS
    key_columns = ("code",)
    columns = (
        Column("code", "规格编码", parse_text(20), True, ("brand_code", "卷烟编码", "编码")),
        Column("name", "规格名称", parse_text(100), True, ("卷烟名称", "名称")),
        Column("manufacturer", "生产厂家", parse_text(100), True, ("厂家", "工业企业")),
        Column("price_class", "价类", parse_choice(PRICE_CLASS_WORDS), True, ("价格类别",)),
        Column(
            "wholesale_price",
            "批发价（元/条）",
            parse_decimal(max_digits=10, places=2, positive=True),
            True,
            ("批发价",),
        ),
        Column("launch_date", "上市日期", parse_date, False),
        Column("is_active", "在销", parse_flag, False, ("active",)),
        Column("key_brand_months", "重点品牌月份", parse_months, False, ("key_months",)),
    )

    def prepare(self):
        self.status: dict[str, str] = {}
        self.key_months: dict[str, frozenset[date]] = {}

    def natural_key(self, fields):
        return (fields["code"],)

    def check(self, row, values, report):
        if "key_brand_months" in self.bound:
            self.key_months[values["code"]] = values.pop("key_brand_months", frozenset())
        return values

    def flush(self, batch, report):
        codes = [fields["code"] for _row, fields in batch]
        existing = {b.code: b for b in Brand.objects.filter(code__in=codes)}
        new, changed, changed_fields = [], [], set()
        for _row, fields in batch:
            brand = existing.get(fields["code"])
            if brand is None:
                new.append(Brand(**fields))
                self.status[fields["code"]] = "created"
            elif names := self.apply(brand, fields):
                changed.append(brand)
                changed_fields.update(names)
                self.status[fields["code"]] = "updated"
            else:
                self.status[fields["code"]] = "unchanged"
        Brand.objects.bulk_create(new)
        if changed:
            Brand.objects.bulk_update(changed, sorted(changed_fields))

    def finish(self, report):
        if "key_brand_months" in self.bound:
            self.sync_key_months(report)
        for state in self.status.values():
            setattr(report, state, getattr(report, state) + 1)

    def sync_key_months(self, report):
        """For every month named in the column, the key brands are exactly those naming it.

        Months no row names are left alone, so earlier months keep their key brands.
        """
        managed = set().union(*self.key_months.values()) if self.key_months else set()
        if not managed:
            return
        ids = {}
        for codes in chunks(list(self.key_months), CHUNK_SIZE):
            ids.update(Brand.objects.filter(code__in=codes).values_list("code", "pk"))
        code_of = {pk: code for code, pk in ids.items()}
        wanted = {(ids[code], m) for code, months in self.key_months.items() for m in months}
        current = set(
            KeyBrandMonth.objects.filter(month__in=managed).values_list("brand_id", "month")
        )
        added, removed = wanted - current, current - wanted
        KeyBrandMonth.objects.bulk_create(
            [KeyBrandMonth(brand_id=b, month=m) for b, m in sorted(added)]
        )
        for month in managed:
            gone = [b for b, m in removed if m == month]
            if gone:
                KeyBrandMonth.objects.filter(month=month, brand_id__in=gone).delete()
        outside = set()
        for brand_id, _month in added | removed:
            code = code_of.get(brand_id)
            if code is None:
                outside.add(brand_id)
            elif self.status.get(code) == "unchanged":
                self.status[code] = "updated"
        report.details.append((_("Key-brand months flagged"), len(added)))
        report.details.append((_("Key-brand months removed"), len(removed)))
        if outside:
            report.details.append((_("Brands not in the file that lost a key month"), len(outside)))
        self.note_late_key_months(added | removed)

    @staticmethod
    def note_late_key_months(changed: set) -> None:
        """Key brands changed for a month in review or published change its key-brand figures:
        late data of it (DOMAIN §4), in every city where that month is locked (key brands are
        province-wide), one entry per city and month."""
        from assessment.adjustments import note_late  # assessment reads retailers
        from assessment.models import LateKind
        from assessment.selectors import locked_months

        by_month = defaultdict(int)
        for _brand_id, month in changed:
            by_month[month] += 1
        if not by_month:
            return
        for company_id, months in locked_months().items():
            for month, state in months.items():
                if month in by_month:
                    note_late(
                        kind=LateKind.TARGET,
                        company=company_id,
                        day=month,
                        note=f"重点品牌变动 {by_month[month]} 个",
                        state=state,
                    )
