from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from reports.models import TierProposal
from reports.services.tiers import tiers_review
from reports.tiers import TIER_NAMES_ZH, parse_quarter


class Command(BaseCommand):
    help = "Run the quarterly tier review (re-runnable) and print its proposals."

    def add_arguments(self, parser):
        parser.add_argument("quarter", help="YYYY-Qn, e.g. 2026-Q3")

    def handle(self, *args, quarter, **options):
        start = parse_quarter(quarter)
        if start is None:
            raise CommandError(f"Not a quarter: {quarter!r} (expected YYYY-Qn, e.g. 2026-Q3).")
        try:
            summary = tiers_review(quarter_start=start)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            "{quarter}: {managers} managers reviewed; proposals {created} new, {updated} "
            "updated, {unchanged} unchanged, {removed} removed, {decided} already "
            "decided.".format(**summary)
        )
        proposals = TierProposal.objects.filter(quarter_start=start).select_related("manager")
        for p in proposals.order_by("manager__employee_no"):
            self.stdout.write(
                f"{p.manager.employee_no}\t{p.manager.name}\t"
                f"{TIER_NAMES_ZH[p.current_tier]} → {TIER_NAMES_ZH[p.proposed_tier]}\t"
                f"{p.flag or '-'}\t{p.status}\t{'；'.join(p.reasons.get('text', []))}"
            )
