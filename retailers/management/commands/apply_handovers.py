from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from retailers.services import handovers_apply


class Command(BaseCommand):
    help = (
        "Apply the territory handovers and coverings whose date has come: the territory's "
        "manager changes, a leaving manager is deactivated (the nightly task does the same)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")

    def handle(self, *args, today=None, **options):
        applied = handovers_apply(today=today or timezone.localdate())
        for record in applied:
            self.stdout.write(
                _("%(code)s: %(kind)s from %(day)s, %(old)s → %(new)s")
                % {
                    "code": record.territory.code,
                    "kind": record.get_kind_display(),
                    "day": record.effective_from,
                    "old": record.from_manager or "—",
                    "new": record.to_manager,
                }
            )
        self.stdout.write(_("%(count)s applied.") % {"count": len(applied)})
