from datetime import date

from django.utils import timezone

from accounts.management.cities import CityCommand
from visits.services.feedback import work_plans_generate


class Command(CityCommand):
    help = (
        "Open the work plans coming due on a day (next week's weekly plan, this and next "
        "month's monthly plans; what the daily job does; re-runnable), per city company "
        "(--company, default every city)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
        self.add_company_argument(parser)

    def handle(self, *args, date=None, company=None, **options):
        today = date or timezone.localdate()

        def generate(city):
            created = work_plans_generate(today=today, company=city)
            weekly, monthly = created.get("weekly", 0), created.get("monthly", 0)
            self.stdout.write(
                f"{city.code} {city.name} {today}: {weekly} weekly and {monthly} monthly "
                "work plans created" + ("." if weekly or monthly else " (nothing changed).")
            )

        self.for_each_city(self.companies(company), generate)
