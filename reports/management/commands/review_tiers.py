from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import OrgUnit
from accounts.selectors import city_companies
from reports.models import TierProposal
from reports.services.tiers import tiers_review
from reports.tiers import TIER_NAMES_ZH, parse_quarter


class Command(BaseCommand):
    help = (
        "Run the quarterly tier review (re-runnable) and print its proposals, per city company "
        "(--company, default every city)."
    )

    def add_arguments(self, parser):
        parser.add_argument("quarter", help="YYYY-Qn, e.g. 2026-Q3")
        parser.add_argument("--company", help="code of a city company (default: every city)")

    def handle(self, *args, quarter, company, **options):
        start = parse_quarter(quarter)
        if start is None:
            raise CommandError(f"Not a quarter: {quarter!r} (expected YYYY-Qn, e.g. 2026-Q3).")
        try:
            companies = city_companies(company)
        except OrgUnit.DoesNotExist as exc:
            raise CommandError(f"No city company with code {company!r}.") from exc
        failed = []
        for city in companies:
            try:
                summary = tiers_review(quarter_start=start, company=city)
            except ValidationError as exc:
                failed.append(f"{city.code} {city.name}: " + " ".join(exc.messages))
                continue
            self.stdout.write(
                "{company} {quarter}: {managers} managers reviewed; proposals {created} new, "
                "{updated} updated, {unchanged} unchanged, {removed} removed, {decided} already "
                "decided.".format(**summary)
            )
            self._print(start, city)
        if failed:
            raise CommandError("\n".join(failed))

    def _print(self, start, city):
        proposals = TierProposal.objects.filter(
            quarter_start=start, manager__org_unit__company=city
        ).select_related("manager")
        for p in proposals.order_by("manager__employee_no"):
            self.stdout.write(
                f"{p.manager.employee_no}\t{p.manager.name}\t"
                f"{TIER_NAMES_ZH[p.current_tier]} → {TIER_NAMES_ZH[p.proposed_tier]}\t"
                f"{p.flag or '-'}\t{p.status}\t{'；'.join(p.reasons.get('text', []))}"
            )
