from pathlib import Path

from django.core.management.base import CommandError

from accounts.management.cities import CityCommand
from reports.models import PayRun
from reports.services.exports import bonus_sheet_write
from retailers.models import parse_month


class Command(CityCommand):
    help = (
        "Write a month's HR bonus sheet to an .xlsx or .csv file (format from the extension), "
        "per city company: --company, or every city with a run (then one file per city, "
        "named FILE-<code>.xlsx)."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", type=parse_month, help="YYYY-MM")
        parser.add_argument("--out", required=True, help="FILE.xlsx or FILE.csv")
        self.add_company_argument(parser)

    def handle(self, *args, month, out, company, **options):
        day, month = month, f"{month:%Y-%m}"
        path = Path(out)
        file_format = path.suffix.lower().lstrip(".")
        if file_format not in ("xlsx", "csv"):
            raise CommandError("--out must end in .xlsx or .csv")
        companies = self.companies(company)
        runs = list(
            PayRun.objects.select_related("company", "prepared_by", "approved_by")
            .filter(month=day, company__in=companies)
            .order_by("company__code")
        )
        if not runs:
            raise CommandError(f"no pay run for {month}")
        for run in runs:
            target = path
            if len(runs) > 1:
                target = path.with_name(f"{path.stem}-{run.company.code}{path.suffix}")
            bonus_sheet_write(run, target, file_format=file_format)
            lines = run.lines.count()
            self.stdout.write(
                f"{run.company.code} {month}: {lines} managers written to {target} "
                f"({run.get_status_display()})."
            )
