from django.core.exceptions import ValidationError

from accounts.management.cities import CityCommand
from assessment.services import MonthBusy, month_close
from retailers.models import parse_month


class Command(CityCommand):
    help = (
        "Compute every manager's score of a month into its draft (re-runnable), per city "
        "company: the one given with --company, or every city."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", type=parse_month, help="YYYY-MM")
        self.add_company_argument(parser)

    def handle(self, *args, month, company, **options):
        def close(city):
            summary = month_close(month=month, company=city)
            self.stdout.write(
                "{company} {month}: {managers} managers scored (draft).".format(**summary)
            )

        self.for_each_city(self.companies(company), close, errors=(ValidationError, MonthBusy))
