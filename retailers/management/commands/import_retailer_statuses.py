from imports.command import ImportCommand
from imports.kinds import ImportKind


class Command(ImportCommand):
    help = (
        "Import dated retailer status changes (natural key: licence number and effective date) "
        "from a CSV or XLSX file."
    )
    kind = ImportKind.RETAILER_STATUSES
