from imports.command import ImportCommand
from imports.kinds import ImportKind


class Command(ImportCommand):
    help = "Import sales targets (工号 column) or new-brand shelf targets (规格编码 column)."
    kind = ImportKind.TARGETS
