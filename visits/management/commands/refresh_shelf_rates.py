from django.utils import timezone

from accounts.management.cities import CityCommand, changed_text, city_figures
from retailers.models import month_start, parse_month
from visits.models import ShelfRateRollup
from visits.services.rates import shelf_rate_months, shelf_rates_refresh

FIGURES = ("active_retailers", "observed_on_shelf", "ordered")


class Command(CityCommand):
    help = (
        "Recompute the 上柜率 rollup of a month (default: what the nightly job does: this "
        "month, and last month in the first days of a month) and print each city's rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", nargs="?", type=parse_month, help="YYYY-MM")

    def handle(self, *args, month=None, **options):
        months = [month] if month else shelf_rate_months(timezone.localdate())
        cities = self.companies(None)
        for day in months:
            rows = ShelfRateRollup.objects.filter(month=month_start(day))
            before = city_figures(rows, "org_path", FIGURES, cities)
            summary = shelf_rates_refresh(month=day)
            after = city_figures(rows, "org_path", FIGURES, cities)
            for city in cities:
                self.stdout.write(
                    f"{city.code} {city.name} {day:%Y-%m}: {after[city.pk][0]} rollup rows "
                    f"({changed_text(before[city.pk], after[city.pk])})."
                )
            self.stdout.write(
                f"{summary['month'][:7]}: {summary['rows']} rows, {summary['removed']} removed."
            )
