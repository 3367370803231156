from imports.command import ImportCommand
from imports.kinds import ImportKind


class Command(ImportCommand):
    help = (
        "Import territories (natural key: territory code) with their manager and centre. "
        "A change of manager is a handover (import_handovers)."
    )
    kind = ImportKind.TERRITORIES
    datum = True
