from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from reports.models import PayRun
from reports.services.pay import pay_run_approve
from retailers.models import parse_month

from .run_pay import companies_of, get_user, messages_of


class Command(BaseCommand):
    help = (
        "Approve a month's prepared pay run (by a user other than its preparer), per city "
        "company (--company, default every city the user works for that has a run)."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", type=parse_month, help="YYYY-MM")
        parser.add_argument("--user", required=True, help="employee number of the approver")
        parser.add_argument("--company", help="code of a city company (default: every city)")

    def handle(self, *args, month, user, company, **options):
        approver = get_user(user)
        runs = list(
            PayRun.objects.filter(month=month, company__in=companies_of(approver, company))
            .select_related("company")
            .order_by("company__code")
        )
        if not runs:
            raise CommandError(f"No pay run for {month:%Y-%m}.")
        failed = []
        for run in runs:
            try:
                run = pay_run_approve(run=run, user=approver)
            except (ValidationError, PermissionDenied) as exc:
                failed.append(f"{run.company.code} {run.company.name}: {messages_of(exc)}")
                continue
            self.stdout.write(f"{run.company.code} {run.month:%Y-%m}: approved by {approver}.")
        if failed:
            raise CommandError("\n".join(failed))
