from django.utils import timezone

from accounts.management.cities import CityCommand
from retailers.models import parse_month
from visits.services.plans import plans_generate


class Command(CityCommand):
    help = (
        "Generate the visit plans of a month (what the nightly job does; re-runnable: only "
        "missing plans are created), per city company (--company, default every city)."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", type=parse_month, help="YYYY-MM")
        self.add_company_argument(parser)

    def handle(self, *args, month, company=None, **options):
        today = timezone.localdate()

        def generate(city):
            summary = plans_generate(month=month, today=today, company=city)
            done = summary["created"] or summary["dropped"]
            self.stdout.write(
                f"{city.code} {city.name} {month:%Y-%m}: {summary['created']} planned visits "
                f"created, {summary['dropped']} dropped" + ("." if done else " (nothing changed).")
            )

        self.for_each_city(self.companies(company), generate)
