from django.core.management.base import BaseCommand, CommandError

from retailers.inbox import inbox_folder, order_inbox_import


class Command(BaseCommand):
    help = (
        "Import the order files waiting in ORDERS_INBOX_DIR (what the scheduled job does): "
        "each is moved to done/ or failed/ with its report beside it."
    )

    def handle(self, *args, **options):
        folder = inbox_folder()
        if folder is None:
            raise CommandError("ORDERS_INBOX_DIR is not set: the order inbox is off.")
        drops = order_inbox_import()
        if not drops:
            self.stdout.write(f"No order file waiting in {folder} (nothing changed).")
        for drop in drops:
            summary = drop.report.splitlines()[0] if drop.report else ""
            self.stdout.write(f"{drop.name}: {drop.status}, moved to {drop.moved_to}. {summary}")
