from imports.command import ImportCommand
from imports.kinds import ImportKind


class Command(ImportCommand):
    help = "Import retailers (natural key: licence number) from a CSV or XLSX file."
    kind = ImportKind.RETAILERS
    effective_date = True
