from datetime import date

from celery import shared_task
from django.utils import timezone

from accounts.models import OrgUnit
from jobs.models import JobKind
from jobs.services import jobs_split

from .inbox import order_inbox_import
from .models import month_start
from .services import handovers_apply, retailer_statuses_sync


@shared_task
def classify_retailers(month: str | None = None, company: int | None = None):
    """Monthly ABC classification (beat: the 1st at 02:00 Asia/Shanghai).

    ``month`` is an ISO date in the month to classify; default: this month. With a company
    id, that city only.

    A split job: one ``JobRun`` per city company, queued together as a group of ``run_job``
    tasks (the cities run in parallel on as many workers as there are); a city whose
    classification is already queued or running keeps that job. Each city's part ranks the
    city, then queues one part per marketing center that scores it. Without a month (the
    beat), each center's part then queues that center's visit plans of the month.
    """
    day = month_start(date.fromisoformat(month) if month else timezone.localdate())
    companies = OrgUnit.objects.companies()
    if company is not None:
        companies = companies.filter(pk=company)
    # The beat's run of this month: each city's plans part follows its classification.
    params = {} if month else {"plans": True}
    return {
        "month": day.isoformat(),
        **jobs_split(kind=JobKind.CLASSIFY, month=day, companies=companies, params=params),
    }


@shared_task
def apply_retailer_statuses():
    """Nightly: status changes dated today come into force in the cached status."""
    return retailer_statuses_sync()


@shared_task
def apply_handovers():
    """Nightly: apply the handovers and coverings whose date has come (beat: 00:20)."""
    return [record.pk for record in handovers_apply()]


@shared_task
def import_order_inbox():
    """Beat: every 10 minutes. Import the order files waiting in ORDERS_INBOX_DIR (off when
    it is empty); each is moved to done/ or failed/ with its report."""
    return [
        {"file": drop.name, "status": drop.status, "rows": drop.rows}
        for drop in order_inbox_import()
    ]
