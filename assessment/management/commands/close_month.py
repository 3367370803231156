from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessment.services import MonthBusy, month_close
from retailers.models import parse_month


class Command(BaseCommand):
    help = "Compute every manager's score of a month into its draft (re-runnable)."

    def add_arguments(self, parser):
        parser.add_argument("month", type=parse_month, help="YYYY-MM")

    def handle(self, *args, month, **options):
        try:
            summary = month_close(month=month)
        except (ValidationError, MonthBusy) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        self.stdout.write("{month}: {managers} managers scored (draft).".format(**summary))
