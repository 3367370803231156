from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from reports.services.pay import pay_run_prepare
from retailers.models import parse_month


def get_user(employee_no: str) -> User:
    try:
        return User.objects.get(employee_no=employee_no, is_active=True)
    except User.DoesNotExist as exc:
        raise CommandError(f"No user with employee number {employee_no!r}.") from exc


def messages_of(exc) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


class Command(BaseCommand):
    help = "Prepare (or re-run) a month's pay run from its published assessment."

    def add_arguments(self, parser):
        parser.add_argument("month", type=parse_month, help="YYYY-MM")
        parser.add_argument("--user", required=True, help="employee number of the HR user")

    def handle(self, *args, month, user, **options):
        preparer = get_user(user)
        try:
            run = pay_run_prepare(month=month, user=preparer)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(messages_of(exc)) from exc
        self.stdout.write(f"{run.month:%Y-%m}: {run.lines.count()} pay lines prepared.")
