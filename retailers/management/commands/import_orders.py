from imports.command import ImportCommand
from imports.kinds import ImportKind


class Command(ImportCommand):
    help = "Import order lines (natural key: order number + brand code) from a CSV or XLSX file."
    kind = ImportKind.ORDERS
