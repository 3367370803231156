from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import OrgUnit
from accounts.selectors import city_companies
from assessment.services import MonthBusy, month_close
from retailers.models import parse_month


class Command(BaseCommand):
    help = (
        "Compute every manager's score of a month into its draft (re-runnable), per city "
        "company: the one given with --company, or every city."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", type=parse_month, help="YYYY-MM")
        parser.add_argument("--company", help="code of a city company (default: every city)")

    def handle(self, *args, month, company, **options):
        try:
            companies = city_companies(company)
        except OrgUnit.DoesNotExist as exc:
            raise CommandError(f"No city company with code {company!r}.") from exc
        failed = []
        for city in companies:
            try:
                summary = month_close(month=month, company=city)
            except (ValidationError, MonthBusy) as exc:
                failed.append(
                    f"{city.code} {city.name}: " + " ".join(getattr(exc, "messages", [str(exc)]))
                )
                continue
            self.stdout.write(
                "{company} {month}: {managers} managers scored (draft).".format(**summary)
            )
        if failed:
            raise CommandError("\n".join(failed))
