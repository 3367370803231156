from django.core.management.base import CommandError

from accounts.management.cities import CityCommand
from reports.models import TierProposal
from reports.services.tiers import tiers_review
from reports.tiers import TIER_NAMES_ZH, parse_quarter


class Command(CityCommand):
    help = (
        "Run the quarterly tier review (re-runnable) and print its proposals, per city company "
        "(--company, default every city)."
    )

    def add_arguments(self, parser):
        parser.add_argument("quarter", help="YYYY-Qn, e.g. 2026-Q3")
        self.add_company_argument(parser)

    def handle(self, *args, quarter, company, **options):
        start = parse_quarter(quarter)
        if start is None:
            raise CommandError(f"Not a quarter: {quarter!r} (expected YYYY-Qn, e.g. 2026-Q3).")

        def review(city):
            summary = tiers_review(quarter_start=start, company=city)
            self.stdout.write(
                "{company} {quarter}: {managers} managers reviewed; proposals {created} new, "
                "{updated} updated, {unchanged} unchanged, {removed} removed, {decided} already "
                "decided.".format(**summary)
            )
            self._print(start, city)

        self.for_each_city(self.companies(company), review)

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
