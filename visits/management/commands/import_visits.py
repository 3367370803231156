from imports.command import ImportCommand
from imports.kinds import ImportKind


class Command(ImportCommand):
    help = (
        "Import historical visits from a previous system, one row per visit × brand "
        "observation (rows of one visit share 来源编号); already reviewed, no flags."
    )
    kind = ImportKind.VISITS
    datum = True
