from datetime import date

from celery import shared_task

from accounts.models import User

from .services import pay_run_prepare


@shared_task
def run_pay(month: str, user_id: int):
    """Prepare (or re-run) the pay run of ``month`` (ISO date in it) as user ``user_id``.

    Queue it after the request's transaction commits (``run_pay.delay_on_commit``).
    """
    user = User.objects.get(pk=user_id)
    run = pay_run_prepare(month=date.fromisoformat(month), user=user)
    return {"month": run.month.isoformat(), "run": run.pk, "lines": run.lines.count()}


# Tasks written beside their features; imported here so Celery's autodiscovery finds them.
from .export_tasks import export_bonus_sheet_task  # noqa: E402, F401
from .tier_tasks import review_tiers_task  # noqa: E402, F401
