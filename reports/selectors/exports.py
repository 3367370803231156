"""Reads for bonus-sheet exports: who may export, and the export jobs they see."""

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
    """Export jobs of the pay runs of the city companies the user sees (HR and admins)."""
    jobs = ExportJob.objects.select_related("run", "run__company")
    if not can_export_bonus_sheet(user):
        return jobs.none()
    return jobs.filter(run__company__in=companies_visible_to(user))
