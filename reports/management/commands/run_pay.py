from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import OrgUnit, User
from accounts.selectors import companies_visible_to
from reports.services.pay import pay_run_prepare
from retailers.models import parse_month


def get_user(employee_no: str) -> User:
    try:
        return User.objects.get(employee_no=employee_no, is_active=True)
    except User.DoesNotExist as exc:
        raise CommandError(f"No user with employee number {employee_no!r}.") from exc


def messages_of(exc) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


def companies_of(user: User, code: str | None) -> list[OrgUnit]:
    """The city companies a pay command works on: the one named (which the user must
    see), or every city the user sees."""
    visible = companies_visible_to(user)
    if code:
        chosen = [company for company in visible if company.code == code]
        if not chosen:
            raise CommandError(f"No city company with code {code!r} for {user}.")
        return chosen
    if not visible:
        raise CommandError(f"{user} belongs to no city company.")
    return visible


class Command(BaseCommand):
    help = (
        "Prepare (or re-run) a month's pay run from its published assessment, per city company "
        "(--company, default every city the user works for)."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", type=parse_month, help="YYYY-MM")
        parser.add_argument("--user", required=True, help="employee number of the HR user")
        parser.add_argument("--company", help="code of a city company (default: every city)")

    def handle(self, *args, month, user, company, **options):
        preparer = get_user(user)
        failed = []
        for city in companies_of(preparer, company):
            try:
                run = pay_run_prepare(month=month, user=preparer, company=city)
            except (ValidationError, PermissionDenied) as exc:
                failed.append(f"{city.code} {city.name}: {messages_of(exc)}")
                continue
            self.stdout.write(
                f"{city.code} {run.month:%Y-%m}: {run.lines.count()} pay lines prepared."
            )
        if failed:
            raise CommandError("\n".join(failed))
