"""The monthly assessment (三级督察、百分制): schemes as data, inspections, bonus points,
month states, scores with their explanation, appeals. DOMAIN.md §4."""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    CityRuleQuerySet,
    OrgKind,
    Role,
    ScopedQuerySet,
    User,
    city_company_field,
    rule_company_field,
)
from retailers.models import month_start


def default_item_name(code: str) -> str:
    """The name of an item code in the default scheme (DOMAIN §4), else the code."""
    from .scoring import DEFAULT_ITEMS

    return next((item["name"] for item in DEFAULT_ITEMS if item["code"] == code), code)


class AssessmentScheme(models.Model):
    """A version of the 百分制 scheme, in force from ``effective_from`` (first of a month):
    a province default, or a city company's override (``CityRuleQuerySet``)."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    company = rule_company_field()
    effective_from = models.DateField(_("effective from"))
    bonus_cap = models.DecimalField(_("monthly bonus cap"), max_digits=5, decimal_places=2)
    appeal_days = models.PositiveSmallIntegerField(_("days to appeal in review"), default=5)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CityRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["-effective_from", "-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_from__day=1), name="scheme_effective_first_day"
            ),
            models.CheckConstraint(condition=Q(bonus_cap__gte=0), name="scheme_bonus_cap_nonneg"),
        ]

    def __str__(self):
        return _("Scheme v%(version)s from %(month)s") % {
            "version": self.version,
            "month": self.effective_from.strftime("%Y-%m"),
        }


class SchemeItem(models.Model):
    """One item of a scheme: its points and how they are earned (a metric of the catalogue)."""

    scheme = models.ForeignKey(
        AssessmentScheme, on_delete=models.CASCADE, related_name="items", verbose_name=_("scheme")
    )
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    max_points = models.DecimalField(_("max points"), max_digits=5, decimal_places=2)
    metric = models.CharField(_("metric"), max_length=30)
    params = models.JSONField(_("parameters"), default=dict)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("scheme item")
        verbose_name_plural = _("scheme items")
        ordering = ["scheme", "position"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="scheme_item_unique_code"),
            models.CheckConstraint(condition=Q(max_points__gt=0), name="scheme_item_points_pos"),
        ]

    def __str__(self):
        return f"{self.code} {self.name} ({self.max_points})"

    def clean(self):
        from .scoring import METRICS, validate_params

        if self.metric not in METRICS:
            raise ValidationError({"metric": _("Unknown metric.")})
        errors = validate_params(self.metric, self.params)
        if errors:
            raise ValidationError({"params": errors})


class Level(models.IntegerChoices):
    COMPANY = 1, _("Level 1: assessment center")
    CENTER = 2, _("Level 2: marketing center")
    DEPARTMENT = 3, _("Level 3: service department")


# The supervision level of each inspecting role.
ROLE_LEVEL = {
    Role.ASSESSMENT_CENTER: Level.COMPANY,
    Role.MARKETING_CENTER_SUPERVISOR: Level.CENTER,
    Role.SERVICE_DEPT_SUPERVISOR: Level.DEPARTMENT,
}


class InspectionQuerySet(ScopedQuerySet):
    org_path_lookup = "manager__org_unit__path"
    manager_lookup = "manager"

    def active(self):
        return self.filter(withdrawn=False)


class Inspection(models.Model):
    """A supervisor's deduction (督察扣分) against a manager's item in a month."""

    manager = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("manager")
    )
    inspector = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("inspector")
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    inspected_on = models.DateField(_("date"))
    month = models.DateField(_("counts in month"))
    adjusts_month = models.DateField(
        _("adjusts month"),
        null=True,
        blank=True,
        help_text=_("Set when it arrived after that month was published."),
    )
    item_code = models.SlugField(_("item"), max_length=30)
    points = models.DecimalField(_("deduction"), max_digits=5, decimal_places=2)
    reason = models.TextField(_("reason"))
    visit = models.ForeignKey(
        "visits.Visit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retailer = models.ForeignKey(
        "retailers.Retailer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    photo = models.ImageField(_("photo"), upload_to="inspections/%Y/%m/", blank=True)
    withdrawn = models.BooleanField(_("withdrawn"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="inspection_points_positive"),
            models.CheckConstraint(condition=Q(month__day=1), name="inspection_month_first_day"),
        ]
        indexes = [
            models.Index(fields=["month", "manager"], name="inspection_month_manager"),
            # The inspection list's order (latest first), read backwards.
            models.Index(fields=["inspected_on", "id"], name="inspection_date"),
        ]

    def __str__(self):
        # Read in the audit trail and the admin: the item by name, never its code.
        name = getattr(self, "item_name", None) or default_item_name(self.item_code)
        return f"{self.inspected_on:%Y-%m-%d} {name} −{self.points}"


class BonusQuerySet(ScopedQuerySet):
    org_path_lookup = "manager__org_unit__path"
    manager_lookup = "manager"


class BonusPoint(models.Model):
    """Bonus points (加分), e.g. a confirmed counterfeit lead; the month's total is capped."""

    manager = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="bonus_points", verbose_name=_("manager")
    )
    granted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("granted by")
    )
    month = models.DateField(_("month"))
    adjusts_month = models.DateField(_("adjusts month"), null=True, blank=True)
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2)
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BonusQuerySet.as_manager()

    class Meta:
        verbose_name = _("bonus points")
        verbose_name_plural = _("bonus points")
        ordering = ["-month", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="bonus_points_positive"),
            models.CheckConstraint(condition=Q(month__day=1), name="bonus_month_first_day"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} +{self.points}"


class MonthState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("Review")
    PUBLISHED = "published", _("Published")


class AssessmentMonthQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The months of the city companies in the user's subtree, or of the company above
        them (a customer manager or a supervisor sees their own city's months)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser and user.org_unit_id is None:
            return self.all()
        unit = user.org_unit
        if unit is None:
            return self.none()
        if unit.kind == OrgKind.PROVINCE:
            return self.filter(company__path__startswith=unit.path)
        return self.filter(company_id=user.company.pk)


class AssessmentMonth(models.Model):
    """The state of one city company's month: draft (recomputable) → review → published."""

    company = city_company_field()
    month = models.DateField(_("month"))
    state = models.CharField(
        _("state"), max_length=10, choices=MonthState.choices, default=MonthState.DRAFT
    )
    scheme = models.ForeignKey(
        AssessmentScheme, null=True, on_delete=models.PROTECT, verbose_name=_("scheme")
    )
    closed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    review_from = models.DateTimeField(_("review from"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The last time the assessment center sent the month in review back to draft (audited).
    sent_back_at = models.DateTimeField(_("sent back to draft at"), null=True, blank=True)
    sent_back_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sent back by"),
    )
    sent_back_reason = models.TextField(_("reason for sending back"), blank=True)

    objects = AssessmentMonthQuerySet.as_manager()

    class Meta:
        verbose_name = _("assessment month")
        verbose_name_plural = _("assessment months")
        ordering = ["-month", "company"]
        constraints = [
            models.UniqueConstraint(fields=["company", "month"], name="assessment_month_unique"),
            models.CheckConstraint(condition=Q(month__day=1), name="assessment_month_first_day"),
            models.CheckConstraint(
                condition=Q(state__in=MonthState.values), name="assessment_month_state_valid"
            ),
        ]

    def __str__(self):
        return f"{self.company} {self.month:%Y-%m} {self.get_state_display()}"

    @property
    def appeal_window_end(self):
        """The end of the appeal window (the scheme's appeal days × 24 h after review opened):
        appeals are filed until it, and the month is published only strictly after it."""
        if self.review_from is None:
            return None
        days = self.scheme.appeal_days if self.scheme else 5
        return self.review_from + timedelta(days=days)


class ManagerScoreQuerySet(ScopedQuerySet):
    org_path_lookup = "manager__org_unit__path"
    manager_lookup = "manager"


class ManagerScore(models.Model):
    """A manager's total for a month (items in ``ItemScore``)."""

    assessment = models.ForeignKey(
        AssessmentMonth, on_delete=models.CASCADE, related_name="scores", verbose_name=_("month")
    )
    manager = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="scores", verbose_name=_("manager")
    )
    territory = models.ForeignKey(
        "accounts.Territory", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    bonus_raw = models.DecimalField(_("bonus before cap"), max_digits=6, decimal_places=2)
    bonus = models.DecimalField(_("bonus"), max_digits=5, decimal_places=2)
    # The month's own score: Σ item points + capped bonus. ``total`` adds the month's 调整
    # lines (``ScoreAdjustment``, DOMAIN §4, §10.6) and is clamped to 0 – the scheme's maximum.
    base_total = models.DecimalField(_("score before adjustments"), max_digits=6, decimal_places=2)
    adjustment = models.DecimalField(
        _("adjustments"), max_digits=7, decimal_places=2, default=Decimal(0)
    )
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=2)
    sales_boxes = models.DecimalField(_("sales (箱)"), max_digits=14, decimal_places=4)
    sales_target_boxes = models.DecimalField(
        _("sales target (箱)"), max_digits=12, decimal_places=2, null=True
    )

    objects = ManagerScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly score")
        verbose_name_plural = _("monthly scores")
        ordering = ["-total", "manager"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "manager"], name="score_unique_manager"),
            models.CheckConstraint(condition=Q(total__gte=0), name="score_total_nonnegative"),
        ]

    def __str__(self):
        return f"{self.manager_id} {self.total}"

    def save(self, *args, **kwargs):
        # A score written without adjustments (an admin's or a fixture's row) is its own total.
        if self.base_total is None:
            self.base_total = self.total
        super().save(*args, **kwargs)


class ItemScore(models.Model):
    score = models.ForeignKey(
        ManagerScore, on_delete=models.CASCADE, related_name="items", verbose_name=_("score")
    )
    code = models.SlugField(_("item"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    max_points = models.DecimalField(_("max points"), max_digits=5, decimal_places=2)
    applicable = models.BooleanField(_("applicable"), default=True)
    earned = models.DecimalField(_("earned"), max_digits=9, decimal_places=4)
    deductions = models.DecimalField(_("deductions"), max_digits=6, decimal_places=2)
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2)
    explanation = models.JSONField(_("explanation"), default=dict)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("item score")
        verbose_name_plural = _("item scores")
        ordering = ["score", "position"]
        constraints = [
            models.UniqueConstraint(fields=["score", "code"], name="item_score_unique_code"),
            models.CheckConstraint(
                condition=Q(points__gte=0) & Q(points__lte=models.F("max_points")),
                name="item_score_within_max",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.points}"


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    # The month went back to draft (DOMAIN §4): the manager may file it again.
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AppealQuerySet(ScopedQuerySet):
    org_path_lookup = "manager__org_unit__path"
    manager_lookup = "manager"

    def pending(self):
        return self.filter(status=AppealStatus.PENDING)

    def decidable_by_level(self, level: int):
        """Appeals a supervisor of ``level`` may decide: those against a lower level's
        decision, and level-1 ones for level 1 (by another person than the one appealed)."""
        allowed = Q(level__gt=level)
        if level == Level.COMPANY:
            allowed |= Q(level=Level.COMPANY)
        return self.filter(allowed)


class AppealTarget(models.TextChoices):
    INSPECTION = "inspection", _("Deduction")
    VISIT = "visit", _("Visit marked invalid")
    INFO_ITEM = "info_item", _("Information item marked invalid")


def level_of(user) -> int:
    """The supervision level of the person who made a decision; an admin (or a person no
    longer known) counts as level 1, so the assessment center decides appeals against it."""
    if user is None:
        return Level.COMPANY
    return ROLE_LEVEL.get(user.role, Level.COMPANY)


def blocks_new_appeal(earlier, target) -> bool:
    """Whether ``earlier`` (the latest appeal of ``target``, or None) keeps a new appeal
    from being filed: a pending one always; a decided one of a deduction always; a decided
    one of a visit or item unless it was marked invalid again after that appeal. An appeal
    withdrawn with its month never does."""
    if earlier is None or earlier.status == AppealStatus.WITHDRAWN:
        return False
    if earlier.status == AppealStatus.PENDING or isinstance(target, Inspection):
        return True
    return target.reviewed_at is None or earlier.filed_at >= target.reviewed_at


class Appeal(models.Model):
    """A manager's appeal (申诉) against a deduction, a visit marked invalid or an
    information item marked invalid (DOMAIN §10.11): exactly one target. It is decided one
    level above the person whose decision is appealed (``marked_by`` at ``level``); a level-1
    decision by another assessment-center user."""

    manager = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="appeals", verbose_name=_("manager")
    )
    month = models.DateField(_("month"))
    inspection = models.ForeignKey(
        Inspection,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name=_("inspection"),
    )
    visit = models.ForeignKey(
        "visits.Visit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name=_("visit"),
    )
    info_item = models.ForeignKey(
        "visits.InformationItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name=_("information item"),
    )
    # Whose decision is appealed, and at which level (the inspector; the reviewer of the
    # visit or item when the appeal was filed).
    level = models.PositiveSmallIntegerField(_("level appealed"), choices=Level.choices)
    marked_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decision appealed by"),
    )
    # The reason the visit was marked invalid, as it stood when the appeal was filed.
    invalid_note = models.CharField(_("reason marked invalid"), max_length=500, blank=True)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-filed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=AppealStatus.PENDING) | ~Q(decision_reason=""),
                name="appeal_decision_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(inspection__isnull=False, visit__isnull=True, info_item__isnull=True)
                | Q(inspection__isnull=True, visit__isnull=False, info_item__isnull=True)
                | Q(inspection__isnull=True, visit__isnull=True, info_item__isnull=False),
                name="appeal_exactly_one_target",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="appeal_month_first_day"),
            models.UniqueConstraint(
                fields=["inspection"],
                condition=Q(status=AppealStatus.PENDING),
                name="appeal_one_open_per_inspection",
            ),
            models.UniqueConstraint(
                fields=["visit"],
                condition=Q(status=AppealStatus.PENDING),
                name="appeal_one_open_per_visit",
            ),
            models.UniqueConstraint(
                fields=["info_item"],
                condition=Q(status=AppealStatus.PENDING),
                name="appeal_one_open_per_info_item",
            ),
        ]
        indexes = [
            models.Index(fields=["filed_at"], name="appeal_filed"),
            models.Index(fields=["month", "status"], name="appeal_month_status"),
        ]

    def __str__(self):
        return f"{self.manager_id} {self.target_kind} {self.status}"

    @staticmethod
    def target_fields(*, inspection=None, visit=None, info_item=None) -> dict:
        """The fields an appeal against this target carries: the target, its manager, the
        month it counts in, and whose decision at which level is appealed."""
        if inspection is not None:
            # A late deduction reaches a month as part of its 调整 line: it is appealed in
            # the review of the month that received it (DOMAIN §10.11).
            carried = (
                LateEntry.objects.filter(
                    kind=LateKind.INSPECTION, object_id=inspection.pk, carried_in__isnull=False
                )
                .values_list("carried_in__month", flat=True)
                .first()
            )
            return {
                "inspection": inspection,
                "manager_id": inspection.manager_id,
                "month": carried or inspection.month,
                "level": inspection.level,
                "marked_by_id": inspection.inspector_id,
            }
        if visit is not None:
            return {
                "visit": visit,
                "manager_id": visit.manager_id,
                "month": month_start(visit.check_in_date),
                "level": level_of(visit.reviewed_by),
                "marked_by_id": visit.reviewed_by_id,
                "invalid_note": visit.review_note,
            }
        if info_item is not None:
            return {
                "info_item": info_item,
                "manager_id": info_item.reported_by_id,
                "month": month_start(timezone.localdate(info_item.reported_at)),
                "level": level_of(info_item.reviewed_by),
                "marked_by_id": info_item.reviewed_by_id,
            }
        raise ValueError("an appeal needs a target")

    @property
    def target_kind(self) -> str:
        if self.inspection_id:
            return AppealTarget.INSPECTION
        if self.visit_id:
            return AppealTarget.VISIT
        return AppealTarget.INFO_ITEM

    @property
    def target(self):
        return self.inspection or self.visit or self.info_item


class LateKind(models.TextChoices):
    ORDER_LINES = "order_lines", _("Order or return lines")
    VISIT = "visit", _("Visit")
    VISIT_REVIEW = "visit_review", _("Visit review")
    INFO_ITEM = "info_item", _("Information item")
    COMPLAINT = "complaint", _("Complaint")
    SURVEY = "survey", _("Satisfaction survey")
    INSPECTION = "inspection", _("Deduction")
    BONUS = "bonus", _("Bonus points")
    TARGET = "target", _("Sales target")


class LateEntryQuerySet(ScopedQuerySet):
    org_path_lookup = "company__path"
    manager_lookup = "manager"


class LateEntry(models.Model):
    """Data dated in a month that was in review or published when it arrived or changed
    (DOMAIN §4 "late data"): which month it belongs to, what it is and when it arrived. The
    close of the open month (``carried_in``) recomputes that month with it and carries the
    difference as a 调整 line; the published month itself is never rewritten.

    One row per late object and month (a visit, an item, a deduction, …; the latest change
    counts, so a row that arrives twice is counted once); order and return lines: one row per import
    and month (``object_id`` is the import, the lines carry their own ``arrived_at``)."""

    company = city_company_field()
    month = models.DateField(_("month it belongs to"))
    kind = models.CharField(_("kind"), max_length=20, choices=LateKind.choices)
    object_id = models.PositiveBigIntegerField(_("record"), null=True, blank=True)
    manager = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("manager"),
    )
    day = models.DateField(_("dated"))
    note = models.CharField(_("what arrived"), max_length=300)
    month_state = models.CharField(
        _("state of the month then"), max_length=10, choices=MonthState.choices
    )
    arrived_at = models.DateTimeField(_("arrived at"))
    carried_in = models.ForeignKey(
        AssessmentMonth,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="late_entries",
        verbose_name=_("adjusted in"),
    )

    objects = LateEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("late data")
        verbose_name_plural = _("late data")
        ordering = ["-arrived_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "month"],
                condition=Q(object_id__isnull=False) & ~Q(kind="order_lines"),
                name="late_entry_once_per_object",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="late_entry_month_first_day"),
            models.CheckConstraint(
                condition=Q(kind__in=LateKind.values), name="late_entry_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["company", "month"], name="late_entry_company_month")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.get_kind_display()} {self.note}"


DIFFERENCE = F("recomputed_total") - F("published_total") - F("carried_before")


class ScoreAdjustmentQuerySet(ScopedQuerySet):
    org_path_lookup = "manager__org_unit__path"
    manager_lookup = "manager"


class ScoreAdjustment(models.Model):
    """A 调整（YYYY-MM）line (DOMAIN §4, §10.6): the published month ``source_month``
    recomputed with its late data, carried into the open month ``assessment`` as
    recomputed − published − what earlier 调整 lines for that month already carried.
    ``recorded_only``: the manager has no score in the receiving month (§10.8): the line is
    kept for the record and the pay run still pays or recovers the late piece pay."""

    assessment = models.ForeignKey(
        AssessmentMonth,
        on_delete=models.CASCADE,
        related_name="adjustments",
        verbose_name=_("adjusted in"),
    )
    manager = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="score_adjustments", verbose_name=_("manager")
    )
    source_month = models.DateField(_("month adjusted"))
    published_total = models.DecimalField(_("published score"), max_digits=6, decimal_places=2)
    recomputed_total = models.DecimalField(_("recomputed score"), max_digits=6, decimal_places=2)
    carried_before = models.DecimalField(
        _("carried by earlier adjustments"), max_digits=7, decimal_places=2
    )
    points = models.DecimalField(_("adjustment"), max_digits=7, decimal_places=2)
    recorded_only = models.BooleanField(_("recorded only"), default=False)
    explanation = models.JSONField(_("explanation"), default=dict)
    computed_at = models.DateTimeField(_("computed at"))

    objects = ScoreAdjustmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("score adjustment")
        verbose_name_plural = _("score adjustments")
        ordering = ["source_month", "manager"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "manager", "source_month"],
                name="score_adjustment_unique",
            ),
            models.CheckConstraint(
                condition=Q(source_month__day=1), name="score_adjustment_month_first_day"
            ),
            # recomputed − published − carried, to the cent (SQLite computes in floats).
            models.CheckConstraint(
                condition=Q(points__gt=DIFFERENCE - Decimal("0.001"))
                & Q(points__lt=DIFFERENCE + Decimal("0.001")),
                name="score_adjustment_is_difference",
            ),
        ]
        indexes = [
            models.Index(fields=["manager", "source_month"], name="score_adjustment_source"),
        ]

    def __str__(self):
        return f"调整（{self.source_month:%Y-%m}） {self.points:+}"
