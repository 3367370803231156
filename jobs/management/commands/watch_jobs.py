from django.core.management.base import BaseCommand

from jobs.services import jobs_watch


class Command(BaseCommand):
    help = (
        "Find running background jobs (exports, month closes, pay runs) whose worker stopped "
        "sending heartbeats; queue them again, or mark them failed after JOB_MAX_ATTEMPTS."
    )

    def handle(self, *args, **options):
        summary = jobs_watch()
        for label in summary["requeued"]:
            self.stdout.write(f"{label}: queued again")
        for label in summary["failed"]:
            self.stdout.write(f"{label}: failed (the worker stopped)")
        if not any(summary.values()):
            self.stdout.write("No stopped jobs.")
