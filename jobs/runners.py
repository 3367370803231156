"""What each kind of ``JobRun`` does: a function of the job row and its heartbeat, returning
the job's result (JSON). Each is idempotent: running it twice gives the same rows."""

from assessment.services import month_close
from reports.services.pay import pay_run_prepare
from retailers.services import classification_run
from visits.services.plans import plans_generate

from .models import JobKind
from .services import jobs_split


def close(job, beat) -> dict:
    """One city's month close: scores computed and written in one transaction (a worker
    killed before its commit leaves nothing written), the heartbeat after the scores."""
    return month_close(month=job.month, company=job.company, step=beat)


def pay(job, beat) -> dict:
    """A city's pay run (one transaction; the heartbeat is the claim's)."""
    run = pay_run_prepare(month=job.month, user=job.requested_by, company=job.company)
    return {"month": run.month.isoformat(), "run": run.pk, "lines": run.lines.count()}


def classify(job, beat) -> dict:
    """A city's ABC classification (city-wide: the scale score ranks every retailer of the
    city, so the city is the smallest part). Records are upserted per retailer and month, so
    a re-run writes the same rows. The heartbeat after the run. The beat's run (params
    ``plans``) then queues the city's visit-plan part, so that a city's plans never start
    before its classification has finished, whatever the other cities are doing."""
    result = classification_run(month=job.month, company=job.company)
    beat()
    if job.params.get("plans"):
        # The beat's run: the city's plans of the month follow its new classes at once
        # (a plans part already queued or running for the city is kept).
        jobs_split(kind=JobKind.PLANS, month=job.month, companies=[job.company])
    return result


def plans(job, beat) -> dict:
    """A city's visit plans of the month (one transaction; only missing plans are created,
    so a re-run writes nothing new). The heartbeat after the run."""
    result = plans_generate(month=job.month, company=job.company)
    beat()
    return {**result, "company": job.company.code}


RUNNERS = {JobKind.CLOSE: close, JobKind.PAY: pay, JobKind.CLASSIFY: classify, JobKind.PLANS: plans}
