from imports.command import ImportCommand
from imports.kinds import ImportKind


class Command(ImportCommand):
    help = "Import brands (natural key: brand code) and key-brand months from a CSV or XLSX file."
    kind = ImportKind.BRANDS
