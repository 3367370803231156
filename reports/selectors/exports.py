"""Reads for exports: who may export the bonus sheet, and the export jobs a user sees."""

from django.db.models import Q

from accounts.models import Role
from accounts.selectors import companies_visible_to

from ..models import ExportJob


def can_export_bonus_sheet(user) -> bool:
    """HR and administrators see their city's bonus sheets (a province admin every city's);
    nobody else does."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role in (Role.HR, Role.ADMIN))
    )


def export_jobs_visible_to(user):
    """A user's own report exports, and (HR and admins) the bonus-sheet exports of the pay
    runs of the city companies they see. A report export holds the rows its requester sees,
    so nobody else opens it."""
    jobs = ExportJob.objects.select_related("run", "run__company")
    if not (user and user.is_authenticated and user.is_active):
        return jobs.none()
    own_reports = Q(run__isnull=True, requested_by=user)
    if not can_export_bonus_sheet(user):
        return jobs.filter(own_reports)
    return jobs.filter(own_reports | Q(run__company__in=companies_visible_to(user)))


def can_retry_export(user, job: ExportJob) -> bool:
    """Whether ``user`` may run a (visible) export job again: the bonus sheet for HR and
    admins, a report for its requester while the report is still open to them."""
    from .tables import ReportNotFound, report_table

    if job.run_id:
        return can_export_bonus_sheet(user)
    if job.requested_by_id != user.pk:
        return False
    try:
        return report_table(job.report).allowed(user)
    except ReportNotFound:
        return False
