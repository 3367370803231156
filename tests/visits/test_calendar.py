"""The holiday calendar (DOMAIN.md §9): its import, working days, plan spreading and the
work-plan due times moved off non-working days."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from imports.kinds import SAMPLES, SAMPLES_DIR, ImportKind, import_file
from tests.factories import RetailerFactory
from visits.models import CalendarDay, DayKind, VisitPlan, VisitRules, WorkPlan, WorkPlanKind
from visits.selectors.calendar import working_day_on_or_before, working_days
from visits.services.feedback import monthly_plan_due, weekly_plan_due, work_plans_generate
from visits.services.plans import plans_generate

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
OCT_FIRST, OCT_LAST = date(2026, 10, 1), date(2026, 10, 31)
SAMPLE = SAMPLES_DIR / "holidays.csv"
# October 2026 starts on a Thursday: 22 weekdays; 国庆节 takes Oct 1, 2, 5, 6, 7 (weekdays)
# and Saturday Oct 10 is worked in exchange → 22 − 5 + 1 = 18 working days.
OCT_WORKING = 18


@pytest.fixture
def calendar():
    report = import_file(ImportKind.HOLIDAYS, SAMPLE)
    assert report.errors == []
    return report


def test_sample_is_listed_and_imports_idempotently(calendar):
    assert SAMPLES[ImportKind.HOLIDAYS] == ["holidays.csv"]
    assert (calendar.rows, calendar.created, calendar.updated, calendar.unchanged) == (9, 9, 0, 0)
    assert CalendarDay.objects.filter(kind=DayKind.HOLIDAY).count() == 8
    workday = CalendarDay.objects.get(kind=DayKind.WORKDAY)
    assert (workday.date, workday.name, workday.company) == (date(2026, 10, 10), "国庆节调休", None)
    again = import_file(ImportKind.HOLIDAYS, SAMPLE)
    assert (again.rows, again.created, again.updated, again.unchanged) == (9, 0, 0, 9)


def test_working_days_follow_the_calendar(calendar):
    days = working_days(OCT_FIRST, OCT_LAST)
    assert len(days) == OCT_WORKING
    assert days[:4] == [
        date(2026, 10, 8),
        date(2026, 10, 9),
        date(2026, 10, 10),
        date(2026, 10, 12),
    ]
    assert date(2026, 10, 11) not in days  # an ordinary Sunday
    assert working_days(date(2026, 12, 28), date(2027, 1, 3)) == [
        date(2026, 12, 28),
        date(2026, 12, 29),
        date(2026, 12, 30),
        date(2026, 12, 31),
    ]
    assert working_days(OCT_LAST, OCT_FIRST) == []


def test_a_city_calendar_overrides_the_national_one(org, calendar):
    city = org.company
    CalendarDay.objects.create(company=city, date=date(2026, 10, 10), kind=DayKind.HOLIDAY)
    CalendarDay.objects.create(company=city, date=date(2026, 10, 30), kind=DayKind.HOLIDAY)
    assert len(working_days(OCT_FIRST, OCT_LAST, city)) == OCT_WORKING - 2
    assert len(working_days(OCT_FIRST, OCT_LAST, city.pk)) == OCT_WORKING - 2
    assert len(working_days(OCT_FIRST, OCT_LAST)) == OCT_WORKING


def test_due_times_move_to_the_previous_working_day(org, calendar):
    rules = VisitRules.for_day(OCT_FIRST)
    # The monthly plan of October is due on the 5th (国庆节): Sep 30 is the last working day.
    assert monthly_plan_due(OCT_FIRST, rules) == datetime(2026, 9, 30, 17, tzinfo=TZ)
    assert monthly_plan_due(date(2026, 11, 1), rules) == datetime(2026, 11, 5, 17, tzinfo=TZ)
    # The week of Oct 5 is due Friday Oct 2 (holiday) → Sep 30; the week of Oct 12 on Oct 9.
    assert weekly_plan_due(date(2026, 10, 5), rules) == datetime(2026, 9, 30, 17, tzinfo=TZ)
    assert weekly_plan_due(date(2026, 10, 12), rules) == datetime(2026, 10, 9, 17, tzinfo=TZ)
    # 元旦 2027 is a Friday: the week of Jan 4 is due Thursday Dec 31.
    assert weekly_plan_due(date(2027, 1, 4), rules) == datetime(2026, 12, 31, 17, tzinfo=TZ)
    assert working_day_on_or_before(date(2026, 10, 10)) == date(2026, 10, 10)


def test_generated_work_plans_use_the_calendar(org, calendar):
    # Sep 28 2026 (a Monday): next week's plan (Oct 5) and October's monthly plan.
    work_plans_generate(today=date(2026, 9, 28))
    weekly = WorkPlan.objects.get(
        manager=org.a.cm, kind=WorkPlanKind.WEEKLY, period_start=date(2026, 10, 5)
    )
    monthly = WorkPlan.objects.get(
        manager=org.a.cm, kind=WorkPlanKind.MONTHLY, period_start=OCT_FIRST
    )
    assert weekly.due_at == datetime(2026, 9, 30, 17, tzinfo=TZ)
    assert monthly.due_at == datetime(2026, 9, 30, 17, tzinfo=TZ)


def test_plans_are_spread_over_working_days(org, calendar):
    territory = org.a.territory
    territory.latitude, territory.longitude = Decimal("31.95"), Decimal("118.85")
    territory.save()
    for n in range(12):
        RetailerFactory(territory=territory, abc_class="B", latitude=Decimal("31.95") + n)
    plans_generate(month=OCT_FIRST, today=date(2026, 9, 30))
    plans = VisitPlan.objects.filter(territory=territory)
    assert plans.count() == 24
    working = set(working_days(OCT_FIRST, OCT_LAST))
    assert {p.scheduled_for for p in plans} <= working
    # Window 1–15 has 7 working days (Oct 8, 9, 10, 12–15): 12 visits, 2 a day on the first 6.
    first_half = sorted(p.scheduled_for for p in plans if p.window_end.day == 15)
    assert first_half[0] == date(2026, 10, 8)
    assert date(2026, 10, 10) in first_half


def test_a_window_without_working_days_keeps_its_days(org, calendar):
    RetailerFactory(territory=org.a.territory, abc_class="A")
    plans_generate(month=OCT_FIRST, today=date(2026, 9, 30))
    first_week = VisitPlan.objects.get(territory=org.a.territory, window_end=date(2026, 10, 7))
    assert first_week.scheduled_for == date(2026, 10, 1)


def test_bad_rows_are_refused_whole(org, tmp_path):
    path = tmp_path / "holidays.csv"
    path.write_text(
        "日期,类型,名称,公司编码\n"
        "2026-10-01,休息日,国庆节,\n"
        "2026-10-09,调休上班,周五,\n"
        "2026-10-12,放风,,\n"
        "2026-10-13,休息日,,9999\n"
        f"2026-10-14,休息日,市庆,{org.company.code}\n",
        encoding="utf-8",
    )
    report = import_file(ImportKind.HOLIDAYS, path)
    assert [(e.row, e.column, e.value) for e in report.errors] == [
        (3, "类型", "2026-10-09"),
        (4, "类型", "放风"),
        (5, "公司编码", "9999"),
    ]
    assert CalendarDay.objects.count() == 0


def test_city_rows_and_the_command(org, tmp_path, capsys):
    path = tmp_path / "city.csv"
    path.write_text(
        f"date,kind,name,company\n2026-10-14,holiday,市庆,{org.company.code}\n"
        "2026-10-14,holiday,,\n",
        encoding="utf-8",
    )
    call_command("import_holidays", str(path))
    assert "新增 2，更新 0，未变 0" in capsys.readouterr().out
    assert CalendarDay.objects.filter(company=org.company).count() == 1
    call_command("import_holidays", str(path))
    assert "新增 0，更新 0，未变 2" in capsys.readouterr().out
    path.write_text("日期,类型\n2026-10-09,调休上班\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_holidays", str(path))
