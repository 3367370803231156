from imports.command import ImportCommand
from imports.kinds import ImportKind


class Command(ImportCommand):
    help = (
        "Import the holiday calendar (natural key: date, and city company code for a city's "
        "own days): statutory holidays (休息日) and make-up working days (调休上班)."
    )
    kind = ImportKind.HOLIDAYS
