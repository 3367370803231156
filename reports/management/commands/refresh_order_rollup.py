from django.utils import timezone

from accounts.management.cities import CityCommand, changed_text, city_figures
from reports.models import RetailerOrderMonth
from reports.services.alerts import orders_rollup_refresh
from retailers.models import add_months, month_start, parse_month

PATH = "retailer__territory__department__path"


class Command(CityCommand):
    help = (
        "Bring the retailer order rollup (断订, 订单异动) up to date for months (default: what "
        "the nightly job does: this month and the previous one) and print each city's rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("months", nargs="*", type=parse_month, help="YYYY-MM …")

    def handle(self, *args, months=(), **options):
        today = timezone.localdate()
        months = sorted({month_start(m) for m in months or [add_months(today, -1), today]})
        cities = self.companies(None)
        rows = RetailerOrderMonth.objects.filter(month__in=months)
        before = {
            m: city_figures(rows.filter(month=m), PATH, ("net_cartons",), cities) for m in months
        }
        orders_rollup_refresh(months=months)
        for month in months:
            after = city_figures(rows.filter(month=month), PATH, ("net_cartons",), cities)
            for city in cities:
                retailers, cartons = after[city.pk][0], after[city.pk][1] or 0
                self.stdout.write(
                    f"{city.code} {city.name} {month:%Y-%m}: {retailers} retailers ordered, "
                    f"{cartons} 条 net ({changed_text(before[month][city.pk], after[city.pk])})."
                )
