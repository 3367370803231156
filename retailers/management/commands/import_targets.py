from retailers.imports import ImportKind

from ._import import ImportCommand


class Command(ImportCommand):
    help = "Import sales targets (工号 column) or new-brand shelf targets (规格编码 column)."
    kind = ImportKind.TARGETS
