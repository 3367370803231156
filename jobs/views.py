"""A background job's page (status, attempts, last heartbeat, the reason it failed) and its
retry button. Outsiders get 404; a user who sees the job but may not run it gets 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import services
from .models import JobRun

REFRESH_SECONDS = 3


@login_required
@require_GET
def job(request, pk):
    jobs = JobRun.objects.visible_to(request.user)
    job = get_object_or_404(jobs.select_related("company", "unit"), pk=pk)
    # A city's part of a split job lists the marketing centers' parts it queued.
    part_ids = job.result.get("parts", []) if isinstance(job.result, dict) else []
    parts = (
        list(jobs.filter(pk__in=part_ids).select_related("unit").order_by("unit__code"))
        if part_ids
        else []
    )
    # The page refreshes itself until the job and the parts it queued have finished.
    running = not job.finished or any(not part.finished for part in parts)
    return render(
        request,
        "jobs/job.html",
        {
            "job": job,
            "parts": parts,
            "can_retry": job.status == "failed" and services.can_run_job(request.user, job),
            "refresh": REFRESH_SECONDS if running else None,
        },
    )


@login_required
@require_POST
def job_retry(request, pk):
    job = get_object_or_404(JobRun.objects.visible_to(request.user), pk=pk)
    try:
        services.job_retry(job=job, user=request.user)  # PermissionDenied → 403
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The job was queued again."))
    return redirect("jobs:job", pk=pk)
