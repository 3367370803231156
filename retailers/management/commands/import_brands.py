from retailers.imports import ImportKind

from ._import import ImportCommand


class Command(ImportCommand):
    help = "Import brands (natural key: brand code) and key-brand months from a CSV or XLSX file."
    kind = ImportKind.BRANDS
