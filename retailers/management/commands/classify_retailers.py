from django.utils import timezone

from accounts.management.cities import CityCommand
from retailers.models import parse_month
from retailers.services import classification_run


class Command(CityCommand):
    help = (
        "Classify every active retailer (ABC) for a month: the run of that month's 1st, per "
        "city company (--company, default every city)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "month", nargs="?", type=parse_month, help="YYYY-MM (default: this month)"
        )
        self.add_company_argument(parser)

    def handle(self, *args, month=None, company=None, **options):
        day = month or timezone.localdate().replace(day=1)
        for city in self.companies(company):
            summary = classification_run(month=day, company=city)
            self.stdout.write(
                "{company} {month}: rule set v{rule_set}, {retailers} retailers classified, "
                "{changed} changed class".format(**summary)
            )
