from django.core.exceptions import ValidationError

from accounts.management.cities import CityCommand
from assessment.models import AssessmentMonth, MonthState
from assessment.services import MonthBusy, month_publish, month_start_review
from retailers.models import parse_month


class Command(CityCommand):
    help = (
        "Move a month on, per city company (--company, default every city): a computed draft "
        "goes to review (appeals open); a month in review is published (locked). --review "
        "stops at review."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", type=parse_month, help="YYYY-MM")
        parser.add_argument("--review", action="store_true", help="only open the review")
        self.add_company_argument(parser)

    def handle(self, *args, month, review, company, **options):
        self.for_each_city(
            self.companies(company),
            lambda city: self._move(city, month, review),
            errors=(ValidationError, MonthBusy),
        )

    def _move(self, city, day, review):
        label = f"{day:%Y-%m}"
        state = (
            AssessmentMonth.objects.filter(month=day, company=city)
            .values_list("state", flat=True)
            .first()
        )
        if state == MonthState.DRAFT:
            month_start_review(month=day, company=city)
            self.stdout.write(f"{city.code} {label}: in review; managers may appeal deductions.")
            if review:
                return
        if review:
            raise ValidationError(f"{label} is not a computed draft.")
        month_publish(month=day, company=city)
        self.stdout.write(f"{city.code} {label}: published; its scores are locked.")
