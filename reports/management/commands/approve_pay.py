from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from reports.models import PayRun
from reports.services.pay import pay_run_approve
from retailers.models import parse_month

from .run_pay import get_user, messages_of


class Command(BaseCommand):
    help = "Approve a month's prepared pay run (by a user other than its preparer)."

    def add_arguments(self, parser):
        parser.add_argument("month", type=parse_month, help="YYYY-MM")
        parser.add_argument("--user", required=True, help="employee number of the approver")

    def handle(self, *args, month, user, **options):
        approver = get_user(user)
        first = month
        run = PayRun.objects.filter(month=first).first()
        if run is None:
            raise CommandError(f"No pay run for {first:%Y-%m}.")
        try:
            run = pay_run_approve(run=run, user=approver)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(messages_of(exc)) from exc
        self.stdout.write(f"{run.month:%Y-%m}: approved by {approver}.")
