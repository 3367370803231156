"""The holiday calendar (节假日): statutory holidays and 调休 working days, imported yearly.

Natural key: the date (and the city company, for a city's own calendar). Only the days the
file names are written; days of other years are left alone, and a day the file no longer
lists is never deleted (an admin removes it in the admin).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import OrgKind, OrgUnit
from imports.engine import RowImporter
from imports.kinds import ImportKind
from imports.parsing import Column, parse_choice, parse_date, parse_text
from imports.report import ImportReport
from visits.models import CalendarDay, DayKind
from visits.selectors.calendar import WEEKEND

DAY_KIND_WORDS = {
    DayKind.HOLIDAY: ["休息日", "休息", "放假", "节假日", "holiday"],
    DayKind.WORKDAY: ["调休上班", "上班", "调休", "工作日", "workday"],
}


class HolidayImporter(RowImporter):
    kind = ImportKind.HOLIDAYS
    key_columns = ("company", "date")
    columns = (
        Column("date", "日期", parse_date, True, ("day",)),
        Column("kind", "类型", parse_choice(DAY_KIND_WORDS), True, ("type", "日期类型")),
        Column("name", "名称", parse_text(50), False, ("节日", "holiday_name")),
        Column("company", "公司编码", parse_text(30), False, ("company_code", "市公司")),
    )

    def prepare(self):
        self.companies = dict(
            OrgUnit.objects.filter(kind=OrgKind.COMPANY).values_list("code", "pk")
        )

    def natural_key(self, fields):
        return (fields["company_id"], fields["date"])

    def check(self, row: int, values: dict, report: ImportReport) -> dict | None:
        code = values.pop("company", None)
        company_id = None
        if code is not None:
            company_id = self.companies.get(code)
            if company_id is None:
                report.add_error(
                    row, self.header_of("company"), code, _("No city company with this code.")
                )
                return None
        if values["kind"] == DayKind.WORKDAY and values["date"].weekday() not in WEEKEND:
            report.add_error(
                row,
                self.header_of("kind"),
                values["date"].isoformat(),
                _("A make-up working day (调休上班) is a Saturday or a Sunday."),
            )
            return None
        return {"company_id": company_id, **values}

    def flush(self, batch, report):
        dates = [fields["date"] for _row, fields in batch]
        existing = {
            (day.company_id, day.date): day for day in CalendarDay.objects.filter(date__in=dates)
        }
        new, changed = [], []
        for _row, fields in batch:
            day = existing.get(self.natural_key(fields))
            if day is None:
                new.append(CalendarDay(**fields))
                report.created += 1
            elif self.apply(day, {k: v for k, v in fields.items() if k in ("kind", "name")}):
                changed.append(day)
                report.updated += 1
            else:
                report.unchanged += 1
        for day in new:
            day.full_clean(validate_unique=False, validate_constraints=False)
        CalendarDay.objects.bulk_create(new)
        if changed:
            CalendarDay.objects.bulk_update(changed, ["kind", "name"])
