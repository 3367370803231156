"""The shared body of the ``import_*`` commands: run the engine, print its report."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .kinds import import_file


class ImportCommand(BaseCommand):
    kind = ""
    effective_date = False  # only retailer imports open assignments
    datum = False  # files with coordinates: the datum of a file without a 坐标系 column

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (UTF-8 or GB18030) or XLSX file")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; write nothing."
        )
        if self.effective_date:
            parser.add_argument(
                "--effective-date",
                type=date.fromisoformat,
                help="YYYY-MM-DD from which new or moved retailers are assigned (default: today).",
            )
        if self.datum:
            parser.add_argument(
                "--datum",
                help="Datum of the coordinates when the file has no 坐标系 column: "
                "WGS-84, GCJ-02 or BD-09.",
            )

    def import_options(self, options: dict) -> dict:
        """Importer options from the command's own arguments (subclasses extend)."""
        return {"datum": options["datum"]} if self.datum and options.get("datum") else {}

    def handle(self, *args, file, dry_run=False, effective_date=None, **options):
        try:
            report = import_file(
                self.kind,
                file,
                dry_run=dry_run,
                on=effective_date,
                **self.import_options(options),
            )
        except FileNotFoundError as exc:
            raise CommandError(_("No such file: %(file)s") % {"file": file}) from exc
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            self.fail(report)

    def fail(self, report):
        """Stop with the error count (the report's lines are already printed)."""
        raise CommandError(
            ngettext(
                "%(count)s error; nothing was imported.",
                "%(count)s errors; nothing was imported.",
                report.error_count,
            )
            % {"count": report.error_count}
        )
