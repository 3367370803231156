from imports.command import ImportCommand
from imports.kinds import ImportKind


class Command(ImportCommand):
    help = "Import retailers (natural key: licence number) from a CSV or XLSX file."
    kind = ImportKind.RETAILERS
    effective_date = True
    datum = True

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--allow-uncredited-orders",
            action="store_true",
            help=(
                "Import even though existing order lines of the file's retailers dated before "
                "the effective date will not be credited to their new manager."
            ),
        )

    def import_options(self, options):
        return {
            **super().import_options(options),
            "allow_uncredited": options.get("allow_uncredited_orders", False),
        }
