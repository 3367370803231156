"""What each kind of ``JobRun`` does: a function of the job row and its heartbeat, returning
the job's result (JSON). Each is idempotent: running it twice gives the same rows."""

from accounts.models import OrgUnit
from assessment.services import month_close
from reports.services.pay import pay_run_prepare
from retailers.services import classification_rank, classification_run
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
    """A city's ABC classification, in two steps (README "More workers"). The city's part
    (no ``unit``) ranks every active retailer of the city (the scale score ranks among the
    whole city, so the city ranks once), then queues one part per marketing center that
    holds ranked retailers. A center's part scores its retailers from the stored ranks and
    upserts their records (per retailer and month: a re-run writes the same rows) and
    classes. The heartbeat after each step's work. The beat's run (params ``plans``) then
    queues the center's visit-plan part, so that a center's plans never start before its
    classes are written, whatever the other parts are doing."""
    if job.unit is None:
        result = classification_rank(month=job.month, company=job.company)
        beat()
        split = jobs_split(
            kind=JobKind.CLASSIFY,
            month=job.month,
            centers=OrgUnit.objects.filter(pk__in=result["centers"]).order_by("code"),
            params=job.params,
        )
        return {**result, "parts": split["jobs"]}
    result = classification_run(month=job.month, company=job.company, center=job.unit)
    beat()
    if job.params.get("plans"):
        # The beat's run: the center's plans of the month follow its new classes at once
        # (a plans part already queued or running for the center is kept).
        jobs_split(kind=JobKind.PLANS, month=job.month, centers=[job.unit])
    return result


def plans(job, beat) -> dict:
    """A marketing center's (or, without ``unit``, a whole city's) visit plans of the month
    (one transaction; only missing plans are created, so a re-run writes nothing new). The
    heartbeat after the run."""
    result = plans_generate(month=job.month, company=job.company, center=job.unit)
    beat()
    return {
        **result,
        "company": job.company.code,
        **({"center": job.unit.code} if job.unit is not None else {}),
    }


RUNNERS = {JobKind.CLOSE: close, JobKind.PAY: pay, JobKind.CLASSIFY: classify, JobKind.PLANS: plans}
