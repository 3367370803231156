from imports.command import ImportCommand
from imports.kinds import ImportKind


class Command(ImportCommand):
    help = (
        "Import org units (natural key: unit code; parents before children). A move to "
        "another parent takes its date from the 生效日期 column."
    )
    kind = ImportKind.ORG_UNITS
