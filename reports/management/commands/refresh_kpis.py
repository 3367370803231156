from django.utils import timezone

from accounts.management.cities import CityCommand, changed_text, city_figures
from reports.models import ManagerMonthKpi
from reports.services.dashboards import kpi_refresh
from retailers.models import add_months, month_start, parse_month

FIGURES = (
    "sales_cartons",
    "key_cartons",
    "plans_planned",
    "plans_completed",
    "info_valid",
    "complaints_open",
    "complaints_overdue",
    "survey_sum",
    "survey_count",
    "retailers_active",
    "retailers_suspended",
    "retailers_cancelled",
    "score_total",
)


class Command(CityCommand):
    help = (
        "Recompute the dashboards' rollup (default: what the half-hourly job does: this month "
        "and the two before), per city company (--company, default every city). A published "
        "month whose rows hold its published scores is left as it was."
    )

    def add_arguments(self, parser):
        parser.add_argument("months", nargs="*", type=parse_month, help="YYYY-MM …")
        self.add_company_argument(parser)

    def handle(self, *args, months=(), company=None, **options):
        today = timezone.localdate()
        months = months or [add_months(today, -n) for n in (2, 1, 0)]
        cities = self.companies(company)
        for day in months:
            rows = ManagerMonthKpi.objects.filter(month=month_start(day))

            def refresh(city, rows=rows, day=day):
                before = city_figures(rows, "org_path", FIGURES, [city])[city.pk]
                summary = kpi_refresh(month=day, company=city)
                after = city_figures(rows, "org_path", FIGURES, [city])[city.pk]
                state = changed_text(before, after) if summary["companies"] else "published"
                self.stdout.write(
                    f"{city.code} {city.name} {day:%Y-%m}: {after[0]} managers ({state})."
                )

            self.for_each_city(cities, refresh)
