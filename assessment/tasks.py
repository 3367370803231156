from datetime import date

from celery import shared_task
from django.utils import timezone

from accounts.models import OrgUnit
from jobs.models import JobKind
from jobs.services import job_request
from jobs.tasks import run_job
from retailers.models import add_months, month_start

from .models import AssessmentMonth, MonthState


@shared_task
def close_month(month: str | None = None, company: int | None = None):
    """Beat: daily at 04:00 — recompute last month's draft of every city company (until it
    goes to review). With a month (ISO date in it), that month; with a company id, that
    city only. A month already in review or published is left alone.

    A split job: one ``JobRun`` per city, each queued as its own ``run_job`` (with its own
    heartbeat, watched by the watchdog); a city whose close is already queued or running
    keeps that job."""
    day = month_start(date.fromisoformat(month) if month else add_months(timezone.localdate(), -1))
    companies = OrgUnit.objects.companies()
    if company is not None:
        companies = companies.filter(pk=company)
    states = dict(
        AssessmentMonth.objects.filter(month=day, company__in=companies).values_list(
            "company", "state"
        )
    )
    jobs, skipped = [], []
    for city in companies:
        if states.get(city.pk, MonthState.DRAFT) != MonthState.DRAFT:
            skipped.append(city.code)
            continue
        job, created = job_request(kind=JobKind.CLOSE, company=city, month=day)
        if created:
            run_job.delay_on_commit(job.pk)
        jobs.append(job.pk)
    return {"month": day.isoformat(), "jobs": jobs, "skipped": skipped}
