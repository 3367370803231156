from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessment.models import AssessmentMonth, MonthState
from assessment.services import MonthBusy, month_publish, month_start_review
from retailers.models import parse_month


class Command(BaseCommand):
    help = (
        "Move a month on: a computed draft goes to review (appeals open); a month in review "
        "is published (locked). --review stops at review."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", type=parse_month, help="YYYY-MM")
        parser.add_argument("--review", action="store_true", help="only open the review")

    def handle(self, *args, month, review, **options):
        day, month = month, f"{month:%Y-%m}"
        state = AssessmentMonth.objects.filter(month=day).values_list("state", flat=True).first()
        try:
            if state == MonthState.DRAFT:
                month_start_review(month=day)
                self.stdout.write(f"{month}: in review; managers may appeal deductions.")
                if review:
                    return
            if review:
                raise CommandError(f"{month} is not a computed draft.")
            month_publish(month=day)
        except (ValidationError, MonthBusy) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        self.stdout.write(f"{month}: published; its scores are locked.")
