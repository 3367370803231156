from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.models import PayRun
from reports.services.exports import bonus_sheet_write
from retailers.models import parse_month


class Command(BaseCommand):
    help = "Write a month's HR bonus sheet to an .xlsx or .csv file (format from the extension)."

    def add_arguments(self, parser):
        parser.add_argument("month", type=parse_month, help="YYYY-MM")
        parser.add_argument("--out", required=True, help="FILE.xlsx or FILE.csv")

    def handle(self, *args, month, out, **options):
        day, month = month, f"{month:%Y-%m}"
        path = Path(out)
        file_format = path.suffix.lower().lstrip(".")
        if file_format not in ("xlsx", "csv"):
            raise CommandError("--out must end in .xlsx or .csv")
        run = PayRun.objects.select_related("prepared_by", "approved_by").filter(month=day).first()
        if run is None:
            raise CommandError(f"no pay run for {month}")
        bonus_sheet_write(run, path, file_format=file_format)
        lines = run.lines.count()
        self.stdout.write(
            f"{month}: {lines} managers written to {path} ({run.get_status_display()})."
        )
