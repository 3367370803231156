"""Pay (计件工资加考核), grade tiers (分级管理, 能上能下), the HR bonus sheet. DOMAIN.md §5–§7."""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    CityRuleQuerySet,
    OrgUnit,
    ScopedQuerySet,
    User,
    city_company_field,
    rule_company_field,
)


class Tier(models.TextChoices):
    PROBATION = "probation", _("Probation")
    ONE = "one_star", _("One star")
    TWO = "two_star", _("Two stars")
    THREE = "three_star", _("Three stars")
    FOUR = "four_star", _("Four stars")
    FIVE = "five_star", _("Five stars")


TIER_ORDER = [Tier.PROBATION, Tier.ONE, Tier.TWO, Tier.THREE, Tier.FOUR, Tier.FIVE]


class ScoreMode(models.TextChoices):
    LINEAR = "linear", _("Score ÷ 100")
    BANDED = "banded", _("Banded table")


class PayScheme(models.Model):
    """A version of the pay rules, in force from ``effective_from`` (first day of a month).

    ``piece_rates``: {"1": 40, …, "5": 8} 元 per 箱 by price class. ``score_bands``: for the
    banded mode, [[lowest score, coefficient], …] ascending. ``tiers``: {tier: {"coefficient":
    "1.0", "allowance": "400"}}. ``floor``/``cap`` bound the bonus when set (off by default:
    下不保底, 上不封顶).
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    company = rule_company_field()
    effective_from = models.DateField(_("effective from"))
    piece_rates = models.JSONField(_("piece rates per box by price class"))
    score_mode = models.CharField(
        _("score coefficient"), max_length=10, choices=ScoreMode.choices, default=ScoreMode.LINEAR
    )
    score_bands = models.JSONField(_("score bands"), default=list, blank=True)
    floor = models.DecimalField(_("floor"), max_digits=10, decimal_places=2, null=True, blank=True)
    cap = models.DecimalField(_("cap"), max_digits=10, decimal_places=2, null=True, blank=True)
    tiers = models.JSONField(_("tier coefficients and allowances"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CityRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("pay scheme")
        verbose_name_plural = _("pay schemes")
        ordering = ["-effective_from", "-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_from__day=1), name="pay_scheme_effective_first_day"
            ),
            models.CheckConstraint(
                condition=Q(floor__isnull=True) | Q(cap__isnull=True) | Q(cap__gte=F("floor")),
                name="pay_scheme_floor_below_cap",
            ),
        ]

    def __str__(self):
        return _("Pay scheme v%(version)s from %(month)s") % {
            "version": self.version,
            "month": self.effective_from.strftime("%Y-%m"),
        }

    def clean(self):
        from django.core.exceptions import ValidationError

        from .pay import validate_scheme

        errors = validate_scheme(
            self.piece_rates, self.score_mode, self.score_bands, self.tiers, self.floor, self.cap
        )
        if errors:
            raise ValidationError(errors)


class ManagerTierQuerySet(ScopedQuerySet):
    org_path_lookup = "manager__org_unit__path"
    manager_lookup = "manager"


class ManagerTier(models.Model):
    """A manager's tier from ``effective_from`` on (history: the latest one in force counts)."""

    manager = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("manager")
    )
    tier = models.CharField(_("tier"), max_length=12, choices=Tier.choices)
    effective_from = models.DateField(_("effective from"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ManagerTierQuerySet.as_manager()

    class Meta:
        verbose_name = _("manager tier")
        verbose_name_plural = _("manager tiers")
        ordering = ["manager", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["manager", "effective_from"], name="manager_tier_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(effective_from__day=1), name="manager_tier_first_day"
            ),
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="manager_tier_valid"),
        ]

    def __str__(self):
        return f"{self.manager_id} {self.tier} {self.effective_from:%Y-%m}"


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class TierProposalQuerySet(ScopedQuerySet):
    org_path_lookup = "manager__org_unit__path"
    manager_lookup = "manager"


class TierProposal(models.Model):
    """The quarterly review's proposal for one manager, approved or rejected by an admin."""

    quarter_start = models.DateField(_("quarter"))
    manager = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="tier_proposals", verbose_name=_("manager")
    )
    current_tier = models.CharField(_("current tier"), max_length=12, choices=Tier.choices)
    proposed_tier = models.CharField(_("proposed tier"), max_length=12, choices=Tier.choices)
    flag = models.CharField(_("flag"), max_length=30, blank=True)
    reasons = models.JSONField(_("reasons"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)

    objects = TierProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("tier proposal")
        verbose_name_plural = _("tier proposals")
        ordering = ["-quarter_start", "manager"]
        constraints = [
            models.UniqueConstraint(
                fields=["quarter_start", "manager"], name="tier_proposal_unique_quarter"
            ),
        ]

    def __str__(self):
        return f"{self.manager_id} {self.current_tier} → {self.proposed_tier}"


class PayRunStatus(models.TextChoices):
    PREPARED = "prepared", _("Prepared")
    APPROVED = "approved", _("Approved")


class PayRun(models.Model):
    """One city company's pay run of a month: prepared by one HR user, approved by a
    different user."""

    company = city_company_field()
    month = models.DateField(_("month"))
    scheme = models.ForeignKey(PayScheme, on_delete=models.PROTECT, verbose_name=_("pay scheme"))
    status = models.CharField(
        _("status"), max_length=10, choices=PayRunStatus.choices, default=PayRunStatus.PREPARED
    )
    prepared_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("prepared by")
    )
    prepared_at = models.DateTimeField(_("prepared at"))
    approved_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pay run")
        verbose_name_plural = _("pay runs")
        ordering = ["-month", "company"]
        constraints = [
            models.UniqueConstraint(fields=["company", "month"], name="pay_run_unique_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="pay_run_month_first_day"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="pay_run_maker_checker",
            ),
            models.CheckConstraint(
                condition=Q(status=PayRunStatus.PREPARED) | Q(approved_by__isnull=False),
                name="pay_run_approved_has_approver",
            ),
        ]

    def __str__(self):
        return f"{self.company} {self.month:%Y-%m} {self.get_status_display()}"


class PayLineQuerySet(ScopedQuerySet):
    org_path_lookup = "manager__org_unit__path"
    manager_lookup = "manager"


class PayLine(models.Model):
    """One manager's pay for the run's month, with the figures it was computed from."""

    run = models.ForeignKey(PayRun, on_delete=models.CASCADE, related_name="lines")
    manager = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="pay_lines", verbose_name=_("manager")
    )
    center_name = models.CharField(_("marketing center"), max_length=100)
    department_name = models.CharField(_("service department"), max_length=100)
    territory_name = models.CharField(_("territory"), max_length=100)
    # The org codes at the time of the run: the sheet's order (center, department, territory).
    center_code = models.CharField(_("marketing center code"), max_length=32, blank=True)
    department_code = models.CharField(_("service department code"), max_length=32, blank=True)
    territory_code = models.CharField(_("territory code"), max_length=32, blank=True)
    tier = models.CharField(_("tier"), max_length=12, choices=Tier.choices)
    cartons_1 = models.PositiveIntegerField(default=0)
    cartons_2 = models.PositiveIntegerField(default=0)
    cartons_3 = models.PositiveIntegerField(default=0)
    cartons_4 = models.PositiveIntegerField(default=0)
    cartons_5 = models.PositiveIntegerField(default=0)
    piece_pay = models.DecimalField(_("piece pay"), max_digits=14, decimal_places=4)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    score_coefficient = models.DecimalField(_("score coefficient"), max_digits=7, decimal_places=4)
    tier_coefficient = models.DecimalField(_("tier coefficient"), max_digits=5, decimal_places=2)
    allowance = models.DecimalField(_("tier allowance"), max_digits=10, decimal_places=2)
    # 补发 (+) / 扣回 (−) of late data of earlier months (``PayAdjustment``), included in
    # ``bonus`` (DOMAIN §7, §10.7).
    adjustment = models.DecimalField(
        _("back pay / recovery"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    bonus = models.DecimalField(_("bonus"), max_digits=12, decimal_places=2)
    explanation = models.JSONField(_("explanation"), default=dict)

    objects = PayLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("pay line")
        verbose_name_plural = _("pay lines")
        ordering = [
            "run",
            "center_code",
            "department_code",
            "territory_code",
            "manager__employee_no",
        ]
        constraints = [
            models.UniqueConstraint(fields=["run", "manager"], name="pay_line_unique_manager"),
        ]

    def __str__(self):
        return f"{self.manager_id} {self.bonus}"


class PayAdjustmentQuerySet(ScopedQuerySet):
    org_path_lookup = "manager__org_unit__path"
    manager_lookup = "manager"


class PayAdjustment(models.Model):
    """One 补发/扣回 line of a pay run (DOMAIN §4, §10.7): the late piece pay of an earlier,
    published month (its floored nets with the lines that arrived after its publication −
    without them) × that month's score coefficient as published × its tier coefficient,
    rounded once, less what earlier runs already paid or recovered for it. Positive: 补发;
    negative: 扣回."""

    run = models.ForeignKey(PayRun, on_delete=models.CASCADE, related_name="adjustments")
    manager = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="pay_adjustments", verbose_name=_("manager")
    )
    source_month = models.DateField(_("month adjusted"))
    late_piece_pay = models.DecimalField(_("late piece pay"), max_digits=14, decimal_places=4)
    score_coefficient = models.DecimalField(
        _("score coefficient as published"), max_digits=7, decimal_places=4
    )
    tier_coefficient = models.DecimalField(_("tier coefficient"), max_digits=5, decimal_places=2)
    paid_before = models.DecimalField(_("paid before"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    explanation = models.JSONField(_("explanation"), default=dict)

    objects = PayAdjustmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("back pay or recovery")
        verbose_name_plural = _("back pay and recoveries")
        ordering = ["run", "source_month", "manager"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "manager", "source_month"], name="pay_adjustment_unique"
            ),
            models.CheckConstraint(
                condition=Q(source_month__day=1), name="pay_adjustment_month_first_day"
            ),
        ]

    def __str__(self):
        kind = "补发" if self.amount >= 0 else "扣回"
        return f"{kind}（{self.source_month:%Y-%m}） {self.amount}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ExportJob(models.Model):
    """A large export run as a Celery job, with its progress and the file when done.

    Either a pay run's bonus sheet (``run``), or a report of DOMAIN.md §8 (``report``: the
    code of its ``reports.tables.ReportTable``, ``params``: the page's query string as
    {name: [values]}), written for the user who asked and scoped to what they see.
    ``filename`` is the name the file downloads under (a report's names its period).
    """

    run = models.ForeignKey(
        PayRun, null=True, blank=True, on_delete=models.CASCADE, related_name="exports"
    )
    report = models.CharField(_("report"), max_length=40, blank=True)
    params = models.JSONField(_("filters"), default=dict, blank=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    file_format = models.CharField(_("format"), max_length=4, default="xlsx")
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A worker that stops (killed, out of memory) is noticed by the watchdog (jobs.services).
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="export_progress_max"),
            models.CheckConstraint(
                condition=Q(run__isnull=False, report="") | Q(run__isnull=True) & ~Q(report=""),
                name="export_run_or_report",
            ),
        ]

    def __str__(self):
        return f"{self.run_id or self.report} {self.file_format} {self.status}"


# --- Dashboards and alerts (DOMAIN.md §8) -----------------------------------------------------


class AlertRules(models.Model):
    """Thresholds of the alerts (预警) of DOMAIN.md §8 and the month deadlines of §4: a
    province default or a city company's override, in force from ``effective_from``."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    company = rule_company_field()
    effective_from = models.DateField(_("effective from"))
    no_order_days = models.PositiveSmallIntegerField(_("no order for (days): 断订"), default=28)
    anomaly_ratio = models.DecimalField(
        _("order anomaly below (retailer ratio ÷ department ratio)"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.80"),
    )
    violation_count = models.PositiveSmallIntegerField(_("violations at least"), default=2)
    violation_months = models.PositiveSmallIntegerField(_("violations within (months)"), default=12)
    score_floor = models.DecimalField(
        _("total score below"), max_digits=5, decimal_places=2, default=Decimal("60")
    )
    score_drop = models.DecimalField(
        _("total score drop of at least"), max_digits=5, decimal_places=2, default=Decimal("10")
    )
    close_by_day = models.PositiveSmallIntegerField(
        _("month closed by day of the next month"), default=5
    )
    publish_by_day = models.PositiveSmallIntegerField(
        _("month published by day of the next month"), default=15
    )
    order_file_expected_days = models.PositiveSmallIntegerField(
        _("no order file received for (days)"),
        default=2,
        help_text=_("The order inbox alert; 0: off."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CityRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert thresholds")
        verbose_name_plural = _("alert thresholds")
        ordering = ["-effective_from", "-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_from__day=1), name="alert_rules_effective_first_day"
            ),
            models.CheckConstraint(
                condition=Q(anomaly_ratio__gt=0, close_by_day__gte=1, close_by_day__lte=28)
                & Q(publish_by_day__gte=1, publish_by_day__lte=28),
                name="alert_rules_values_in_range",
            ),
        ]

    def __str__(self):
        return _("Alert thresholds v%(version)s from %(month)s") % {
            "version": self.version,
            "month": self.effective_from.strftime("%Y-%m"),
        }


class KpiQuerySet(ScopedQuerySet):
    org_path_lookup = "org_path"
    manager_lookup = "manager"


class ManagerMonthKpi(models.Model):
    """One manager's figures of one month, the rows every dashboard figure sums (§8).

    Refreshed set-wise by ``reports.services.dashboards.kpi_refresh`` (Celery, after imports,
    visit batches, reviews and the month close). ``org_path`` is the path of the manager's
    department as it stood when the month was last refreshed (a scope is taken as it stood
    on the month's last day; a month is no longer refreshed once published). Sales are 条,
    the sum over price classes of each class's net floored at 0 (§10.5).
    """

    month = models.DateField(_("month"))
    manager = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    territory = models.ForeignKey(
        "accounts.Territory", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    company = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    center = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    org_path = models.CharField(max_length=255)
    sales_cartons = models.PositiveIntegerField(default=0)
    target_boxes = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    key_cartons = models.PositiveIntegerField(default=0)
    key_target_boxes = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    plans_planned = models.PositiveIntegerField(default=0)
    plans_completed = models.PositiveIntegerField(default=0)
    info_valid = models.PositiveIntegerField(default=0)
    info_by_type = models.JSONField(default=dict)
    complaints_open = models.PositiveIntegerField(default=0)
    complaints_overdue = models.PositiveIntegerField(default=0)
    survey_sum = models.PositiveIntegerField(default=0)
    survey_count = models.PositiveIntegerField(default=0)
    inspections_l1 = models.PositiveIntegerField(default=0)
    inspections_l2 = models.PositiveIntegerField(default=0)
    inspections_l3 = models.PositiveIntegerField(default=0)
    retailers_active = models.PositiveIntegerField(default=0)
    retailers_suspended = models.PositiveIntegerField(default=0)
    retailers_cancelled = models.PositiveIntegerField(default=0)
    class_a = models.PositiveIntegerField(default=0)
    class_b = models.PositiveIntegerField(default=0)
    class_c = models.PositiveIntegerField(default=0)
    class_up = models.PositiveIntegerField(default=0)
    class_down = models.PositiveIntegerField(default=0)
    score_total = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    # The 调整 lines in ``score_total`` (DOMAIN §4): late data of earlier months.
    score_adjustment = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal(0))
    refreshed_at = models.DateTimeField()

    objects = KpiQuerySet.as_manager()

    class Meta:
        verbose_name = _("manager month figures")
        verbose_name_plural = _("manager month figures")
        constraints = [
            models.UniqueConstraint(fields=["month", "manager"], name="kpi_unique_manager"),
            models.CheckConstraint(condition=Q(month__day=1), name="kpi_month_first_day"),
            models.CheckConstraint(
                condition=Q(plans_completed__lte=F("plans_planned")), name="kpi_plans_bounded"
            ),
        ]
        indexes = [models.Index(fields=["month", "org_path"], name="kpi_month_path")]

    def __str__(self):
        return f"{self.manager_id} {self.month:%Y-%m}"


class RetailerOrderMonth(models.Model):
    """A retailer's orders of one month, kept by Celery after order imports, for the 断订
    and 订单异动 alerts (pages never scan order lines). ``net_cartons``: 条 net of returns;
    ``last_order_date``: the latest line with a positive quantity in the month."""

    retailer = models.ForeignKey("retailers.Retailer", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    net_cartons = models.IntegerField(default=0)
    last_order_date = models.DateField(null=True)

    class Meta:
        verbose_name = _("retailer order month")
        verbose_name_plural = _("retailer order months")
        constraints = [
            models.UniqueConstraint(fields=["retailer", "month"], name="order_month_unique"),
            models.CheckConstraint(condition=Q(month__day=1), name="order_month_first_day"),
        ]
        indexes = [models.Index(fields=["month", "retailer"], name="order_month_lookup")]

    def __str__(self):
        return f"{self.retailer_id} {self.month:%Y-%m} {self.net_cartons}"
