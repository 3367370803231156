from django.core.management.base import BaseCommand
from django.utils import timezone

from retailers.models import parse_month
from retailers.services import classification_run


class Command(BaseCommand):
    help = "Classify every active retailer (ABC) for a month: the run of that month's 1st."

    def add_arguments(self, parser):
        parser.add_argument(
            "month", nargs="?", type=parse_month, help="YYYY-MM (default: this month)"
        )

    def handle(self, *args, month=None, **options):
        day = month or timezone.localdate().replace(day=1)
        summary = classification_run(month=day)
        self.stdout.write(
            "{month}: rule set v{rule_set}, {retailers} retailers classified, "
            "{changed} changed class".format(**summary)
        )
