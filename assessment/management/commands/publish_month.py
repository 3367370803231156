from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import OrgUnit
from accounts.selectors import city_companies
from assessment.models import AssessmentMonth, MonthState
from assessment.services import MonthBusy, month_publish, month_start_review
from retailers.models import parse_month


class Command(BaseCommand):
    help = (
        "Move a month on, per city company (--company, default every city): a computed draft "
        "goes to review (appeals open); a month in review is published (locked). --review "
        "stops at review."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", type=parse_month, help="YYYY-MM")
        parser.add_argument("--review", action="store_true", help="only open the review")
        parser.add_argument("--company", help="code of a city company (default: every city)")

    def handle(self, *args, month, review, company, **options):
        try:
            companies = city_companies(company)
        except OrgUnit.DoesNotExist as exc:
            raise CommandError(f"No city company with code {company!r}.") from exc
        failed = []
        for city in companies:
            try:
                self._move(city, month, review)
            except (ValidationError, MonthBusy) as exc:
                messages = " ".join(getattr(exc, "messages", [str(exc)]))
                failed.append(f"{city.code} {city.name} {month:%Y-%m}: {messages}")
        if failed:
            raise CommandError("\n".join(failed))

    def _move(self, city, day, review):
        label = f"{city.code} {day:%Y-%m}"
        state = (
            AssessmentMonth.objects.filter(month=day, company=city)
            .values_list("state", flat=True)
            .first()
        )
        if state == MonthState.DRAFT:
            month_start_review(month=day, company=city)
            self.stdout.write(f"{label}: in review; managers may appeal deductions.")
            if review:
                return
        if review:
            raise ValidationError(f"{label} is not a computed draft.")
        month_publish(month=day, company=city)
        self.stdout.write(f"{label}: published; its scores are locked.")
