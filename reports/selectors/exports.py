"""Reads for bonus-sheet exports: who may export, and the export jobs they see."""

from accounts.models import Role

from ..models import ExportJob


def can_export_bonus_sheet(user) -> bool:
    """HR and administrators see the company's bonus sheet; nobody else does."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role in (Role.HR, Role.ADMIN))
    )


def export_jobs_visible_to(user):
    jobs = ExportJob.objects.select_related("run")
    return jobs.all() if can_export_bonus_sheet(user) else jobs.none()
