from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from retailers.services import retailer_statuses_sync


class Command(BaseCommand):
    help = (
        "Bring every retailer's current status in line with its status history (changes dated "
        "on or before the day come into force). Idempotent; the nightly beat task runs it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=date.fromisoformat,
            help="YYYY-MM-DD: the day whose status is current (default: today)",
        )

    def handle(self, *args, date=None, **options):
        day = date or timezone.localdate()
        changed = retailer_statuses_sync(today=day)
        self.stdout.write(f"{day}: {changed} retailers changed status")
