from retailers.imports import ImportKind

from ._import import ImportCommand


class Command(ImportCommand):
    help = "Import order lines (natural key: order number + brand code) from a CSV or XLSX file."
    kind = ImportKind.ORDERS
