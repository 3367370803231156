from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import OrgUnit
from accounts.selectors import city_companies
from retailers.models import parse_month
from retailers.services import classification_run


class Command(BaseCommand):
    help = (
        "Classify every active retailer (ABC) for a month: the run of that month's 1st, per "
        "city company (--company, default every city)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "month", nargs="?", type=parse_month, help="YYYY-MM (default: this month)"
        )
        parser.add_argument("--company", help="code of a city company (default: every city)")

    def handle(self, *args, month=None, company=None, **options):
        day = month or timezone.localdate().replace(day=1)
        try:
            companies = city_companies(company)
        except OrgUnit.DoesNotExist as exc:
            raise CommandError(f"No city company with code {company!r}.") from exc
        for city in companies:
            summary = classification_run(month=day, company=city)
            self.stdout.write(
                "{company} {month}: rule set v{rule_set}, {retailers} retailers classified, "
                "{changed} changed class".format(**summary)
            )
