from retailers.imports import ImportKind

from ._import import ImportCommand


class Command(ImportCommand):
    help = "Import retailers (natural key: licence number) from a CSV or XLSX file."
    kind = ImportKind.RETAILERS
    effective_date = True
