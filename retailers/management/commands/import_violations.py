from imports.command import ImportCommand
from imports.kinds import ImportKind


class Command(ImportCommand):
    help = (
        "Import retailer violations (natural key: licence number, date, severity and note) "
        "from a CSV or XLSX file."
    )
    kind = ImportKind.VIOLATIONS
