"""Long-running background jobs that have no row of their own (the month close, the pay
run, the classification, the visit-plan generation): one ``JobRun`` per job or per part of
a split job (a city's close or classification ranks, a marketing center's classification
or plans), with the heartbeat the watchdog
checks (``jobs.services.jobs_watch``). The report and bonus-sheet
exports keep their ``reports.ExportJob`` rows, which carry the same heartbeat fields."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit, Role, User


class JobStatus(models.TextChoices):
    """The same values as ``reports.ExportStatus``: the watchdog treats both alike."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
FINISHED = (JobStatus.DONE, JobStatus.FAILED)


class JobKind(models.TextChoices):
    CLOSE = "close", _("Month close")
    PAY = "pay", _("Pay run")
    CLASSIFY = "classify", _("Retailer classification")
    PLANS = "plans", _("Visit plan generation")


# Who sees a kind's jobs (in the city companies they see) and who may run them again.
KIND_VIEWERS = {
    JobKind.CLOSE: (Role.ASSESSMENT_CENTER, Role.ADMIN, Role.LEADER),
    JobKind.PAY: (Role.HR, Role.ADMIN),
    JobKind.CLASSIFY: (Role.ADMIN, Role.LEADER),
    JobKind.PLANS: (Role.ADMIN, Role.LEADER),
}
KIND_RUNNERS = {
    JobKind.CLOSE: (Role.ASSESSMENT_CENTER, Role.ADMIN),
    JobKind.PAY: (Role.HR, Role.ADMIN),
    JobKind.CLASSIFY: (Role.ADMIN,),
    JobKind.PLANS: (Role.ADMIN,),
}


class JobRunQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Jobs of the city companies the user sees, of the kinds their role works with;
        anything else is a 404."""
        from accounts.selectors import companies_visible_to

        if not (user and user.is_authenticated and user.is_active):
            return self.none()
        kinds = [
            kind for kind, roles in KIND_VIEWERS.items() if user.is_superuser or user.role in roles
        ]
        return self.filter(kind__in=kinds, company__in=companies_visible_to(user))


class JobRun(models.Model):
    """One background job (or one part of a split job): what it does (``kind``, ``company``,
    ``month``, ``params``), where it stands, when its worker last reported (``heartbeat_at``)
    and how many times a worker started it (``attempts``)."""

    kind = models.CharField(_("job"), max_length=10, choices=JobKind.choices)
    company = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name=_("company")
    )
    # A part of a city's job for one marketing center (the classification's scoring and the
    # visit plans, see README "More workers"); none for a city-wide job or part.
    unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("marketing center"),
    )
    month = models.DateField(_("month"))
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)

    objects = JobRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # At most one queued or running job of a kind per city and month, and per
            # marketing center and month for a center's part.
            models.UniqueConstraint(
                fields=["kind", "company", "month"],
                condition=Q(status__in=["queued", "running"], unit__isnull=True),
                name="jobrun_one_active",
            ),
            models.UniqueConstraint(
                fields=["kind", "unit", "month"],
                condition=Q(status__in=["queued", "running"], unit__isnull=False),
                name="jobrun_one_active_part",
            ),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="jobrun_status_beat")]

    def __str__(self):
        unit = f"/{self.unit_id}" if self.unit_id else ""
        return f"{self.get_kind_display()} {self.company_id}{unit} {self.month:%Y-%m} {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED
