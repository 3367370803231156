from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from retailers.services import classification_run


def parse_month(value: str) -> date:
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError as exc:
        raise CommandError(f"month must be YYYY-MM, not {value!r}") from exc


class Command(BaseCommand):
    help = "Classify every active retailer (ABC) for a month: the run of that month's 1st."

    def add_arguments(self, parser):
        parser.add_argument("month", nargs="?", help="YYYY-MM (default: this month)")

    def handle(self, *args, month=None, **options):
        day = parse_month(month) if month else timezone.localdate().replace(day=1)
        summary = classification_run(month=day)
        self.stdout.write(
            "{month}: rule set v{rule_set}, {retailers} retailers classified, "
            "{changed} changed class".format(**summary)
        )
