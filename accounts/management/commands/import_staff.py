from datetime import date
from pathlib import Path

from django.core.management.base import CommandError
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import services
from accounts.models import InitialCodeSheet
from accounts.sheets import code_sheet_xlsx
from imports.command import ImportCommand
from imports.kinds import ImportKind, import_file


class Command(ImportCommand):
    help = (
        "Import staff (natural key: 工号) from a CSV or XLSX file. People it creates get "
        "one-time initial codes on a sheet an admin downloads once, or written once with "
        "--codes-out."
    )
    kind = ImportKind.STAFF

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--on",
            type=date.fromisoformat,
            help="YYYY-MM-DD: the import date for probation and initial tiers (default: today).",
        )
        parser.add_argument(
            "--codes-out",
            metavar="FILE.xlsx",
            help="Write the initial-codes sheet to this file now (the codes are then erased "
            "from the database, as after a download).",
        )

    def handle(self, *args, file, dry_run=False, on=None, codes_out=None, **options):
        if codes_out and not codes_out.lower().endswith(".xlsx"):
            raise CommandError(_("--codes-out must name an .xlsx file."))
        if codes_out and Path(codes_out).exists():
            raise CommandError(_("%(file)s already exists; name a new file.") % {"file": codes_out})
        try:
            report = import_file(self.kind, file, dry_run=dry_run, on=on)
        except FileNotFoundError as exc:
            raise CommandError(_("No such file: %(file)s") % {"file": file}) from exc
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            self.fail(report)
        sheet_id = report.results.get("code_sheet")
        if sheet_id is None:
            return
        sheet = InitialCodeSheet.objects.get(pk=sheet_id)
        if codes_out:
            codes = services.initial_code_sheet_take(sheet=sheet)
            Path(codes_out).write_bytes(code_sheet_xlsx(codes))
            self.stdout.write(
                _("Initial codes written to %(file)s (%(count)s people); they are no longer kept.")
                % {"file": codes_out, "count": len(codes)}
            )
        else:
            self.stdout.write(
                _(
                    "An admin of %(unit)s downloads the initial codes once at %(url)s "
                    "(sheet %(id)s)."
                )
                % {
                    "unit": sheet.org_unit.name,
                    "url": reverse("accounts:code_sheets"),
                    "id": sheet.pk,
                }
            )
