"""Visits (走访), visit plans, shelf placement, market information, complaints, surveys,
work plans and the monthly 上柜率 rollup. DOMAIN.md §3.

Every threshold (flag distances and durations, complaint service levels, work-plan due
times) is a row of ``VisitRules``, versioned by the month it takes effect.
"""

import uuid
from datetime import date

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import CityRuleQuerySet, ScopedQuerySet, Territory, User, rule_company_field
from retailers.models import Brand, Retailer, RetailerClass, month_start


class VisitRules(models.Model):
    """Thresholds of DOMAIN.md §3, in force from ``effective_from`` (first day of a month)."""

    company = rule_company_field()
    effective_from = models.DateField(_("effective from"))
    far_distance_m = models.PositiveIntegerField(_("flag check-ins farther than (m)"), default=200)
    short_visit_minutes = models.PositiveIntegerField(
        _("flag visits shorter than (minutes)"), default=3
    )
    rapid_checkin_minutes = models.PositiveIntegerField(
        _("flag check-ins at another retailer within (minutes)"), default=2
    )
    complaint_response_hours = models.PositiveIntegerField(
        _("complaint first response within (hours)"), default=24
    )
    complaint_resolve_hours = models.PositiveIntegerField(
        _("complaint resolution within (hours)"), default=72
    )
    weekly_plan_due_weekday = models.PositiveSmallIntegerField(
        _("weekly plan due weekday (0 = Monday)"),
        default=4,
        validators=[MaxValueValidator(6)],
    )
    weekly_plan_due_hour = models.PositiveSmallIntegerField(
        _("weekly plan due hour"), default=17, validators=[MaxValueValidator(23)]
    )
    monthly_plan_due_day = models.PositiveSmallIntegerField(
        _("monthly plan due day"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    monthly_plan_due_hour = models.PositiveSmallIntegerField(
        _("monthly plan due hour"), default=17, validators=[MaxValueValidator(23)]
    )
    photo_max_kb = models.PositiveIntegerField(_("largest photo (KB)"), default=5120)
    price_tolerance_pct = models.PositiveSmallIntegerField(
        _("ask about a shelf price farther from the usual price than (%)"),
        default=30,
        validators=[MaxValueValidator(100)],
    )

    objects = CityRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit rules")
        verbose_name_plural = _("visit rules")
        ordering = ["-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["effective_from"],
                condition=Q(company__isnull=True),
                name="visitrules_default_unique_month",
            ),
            models.UniqueConstraint(
                fields=["company", "effective_from"],
                condition=Q(company__isnull=False),
                name="visitrules_city_unique_month",
            ),
            models.CheckConstraint(
                condition=Q(effective_from__day=1), name="visitrules_effective_first_day"
            ),
        ]

    def __str__(self):
        return _("Visit rules from %(month)s") % {"month": self.effective_from.strftime("%Y-%m")}

    @classmethod
    def for_day(cls, day: date, company=None) -> "VisitRules":
        """The rules in force on ``day`` for a city company (its override, else the default)."""
        rules = cls.objects.in_force(month_start(day), company)
        if rules is None:
            raise cls.DoesNotExist(f"no visit rules in force on {day}")
        return rules

    @classmethod
    def for_unit_day(cls, day: date, unit_id) -> "VisitRules":
        """``for_day`` for the city company of an org unit, in one query."""
        rules = cls.objects.in_force_for_unit(month_start(day), unit_id)
        if rules is None:
            raise cls.DoesNotExist(f"no visit rules in force on {day}")
        return rules


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday (休息日)")
    WORKDAY = "workday", _("Make-up working day (调休上班)")


class CalendarDay(models.Model):
    """One day of the holiday calendar (DOMAIN.md §9), imported yearly: a statutory holiday
    on a weekday, or a weekend day worked in exchange (调休上班). Other days follow the week:
    Monday to Friday work, Saturday and Sunday rest.

    Without a company, the day holds for every city (the national calendar); a city
    company's own row for the same date overrides it for that city.
    """

    company = rule_company_field()
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("holiday calendar")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["date"], condition=Q(company__isnull=True), name="calendar_day_default"
            ),
            models.UniqueConstraint(
                fields=["company", "date"],
                condition=Q(company__isnull=False),
                name="calendar_day_city",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=DayKind.values), name="calendar_day_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class VisitPlanQuerySet(ScopedQuerySet):
    org_path_lookup = "territory__department__path"
    manager_lookup = "manager"


class VisitPlan(models.Model):
    """One planned visit (工作日程) of a retailer within a window of a month.

    It is completed when a valid visit by the manager to the retailer checks in between
    ``window_start`` and ``window_end`` (inclusive); that is computed, never stored.
    ``dropped`` marks a retailer that was not active for the whole window.
    """

    # No single-column index on manager or retailer: ``visit_plan_manager_day`` and
    # ``visit_plan_unique_window`` start with them and serve the same lookups, and every
    # index costs the monthly generation about a million insertions.
    manager = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="visit_plans",
        verbose_name=_("manager"),
        db_index=False,
    )
    territory = models.ForeignKey(
        Territory, on_delete=models.CASCADE, related_name="+", verbose_name=_("territory")
    )
    retailer = models.ForeignKey(
        Retailer,
        on_delete=models.CASCADE,
        related_name="visit_plans",
        verbose_name=_("retailer"),
        db_index=False,
    )
    month = models.DateField(_("month"))
    window_start = models.DateField(_("window start"))
    window_end = models.DateField(_("window end"))
    planned_class = models.CharField(_("class"), max_length=1, choices=RetailerClass.choices)
    scheduled_for = models.DateField(_("scheduled for"))
    route_position = models.PositiveIntegerField(_("route position"), default=0)
    dropped = models.BooleanField(_("dropped"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisitPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")
        ordering = ["scheduled_for", "route_position"]
        constraints = [
            models.UniqueConstraint(
                fields=["retailer", "window_start"], name="visit_plan_unique_window"
            ),
            models.CheckConstraint(
                condition=Q(window_start__lte=F("window_end")), name="visit_plan_window_order"
            ),
            models.CheckConstraint(
                condition=Q(scheduled_for__gte=F("window_start"))
                & Q(scheduled_for__lte=F("window_end")),
                name="visit_plan_scheduled_in_window",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="visit_plan_month_first_day"),
        ]
        indexes = [
            models.Index(fields=["manager", "scheduled_for"], name="visit_plan_manager_day"),
            models.Index(fields=["month", "manager"], name="visit_plan_month_manager"),
        ]

    def __str__(self):
        return f"{self.retailer_id} {self.window_start}–{self.window_end}"


class LocationStatus(models.TextChoices):
    OK = "ok", _("Located")
    DENIED = "denied", _("Location refused")
    UNAVAILABLE = "unavailable", _("Location unavailable")


class VisitStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    INVALID = "invalid", _("Invalid")


class VisitSource(models.TextChoices):
    PHONE = "phone", _("Phone")
    IMPORTED = "imported", _("Imported from the previous system")


class ShelfShortcut(models.TextChoices):
    """How the shelf check was filled in on the phone (each row could still be changed)."""

    NONE = "none", _("row by row")
    LAST_TIME = "last_time", _("as last time")
    ALL_ON_SHELF = "all_on_shelf", _("all on shelf")


class VisitQuerySet(ScopedQuerySet):
    org_path_lookup = "territory__department__path"
    manager_lookup = "manager"

    def valid(self):
        return self.filter(status=VisitStatus.VALID)

    def flagged(self):
        return self.filter(
            Q(flag_far=True) | Q(flag_short=True) | Q(flag_rapid=True) | Q(flag_no_location=True)
        )


class Visit(models.Model):
    """A visit to a retailer, logged from the phone or imported from a previous system.

    ``client_id`` is generated on the phone before the first attempt, so a retry after a
    lost response (or a queued offline submission) never creates a second visit.
    An imported visit (``source`` imported) carries the previous system's id in
    ``external_id`` (its natural key), comes in already reviewed and never raises flags.
    """

    client_id = models.UUIDField(_("client id"), unique=True, default=uuid.uuid4)
    # A hash of what the phone sent (visits.services.visits.visit_content_hash): a retry with
    # the same client id and other content is a conflict, not the same visit.
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True, editable=False)
    manager = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="visits", verbose_name=_("manager")
    )
    retailer = models.ForeignKey(
        Retailer, on_delete=models.PROTECT, related_name="visits", verbose_name=_("retailer")
    )
    territory = models.ForeignKey(
        Territory, on_delete=models.PROTECT, related_name="+", verbose_name=_("territory")
    )
    plan = models.ForeignKey(
        VisitPlan,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
        verbose_name=_("planned visit"),
    )
    checked_in_at = models.DateTimeField(_("check-in"))
    check_in_date = models.DateField(_("check-in date"), help_text=_("Local date (Asia/Shanghai)."))
    checked_out_at = models.DateTimeField(_("check-out"), null=True, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    accuracy_m = models.PositiveIntegerField(_("accuracy (m)"), null=True, blank=True)
    location_status = models.CharField(
        _("location"), max_length=12, choices=LocationStatus.choices, default=LocationStatus.OK
    )
    distance_m = models.PositiveIntegerField(_("distance from the shop (m)"), null=True, blank=True)
    flag_far = models.BooleanField(_("far from the shop"), default=False)
    flag_short = models.BooleanField(_("very short"), default=False)
    flag_rapid = models.BooleanField(_("right after another check-in"), default=False)
    flag_no_location = models.BooleanField(_("no location"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.VALID
    )
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=500, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    source = models.CharField(
        _("source"),
        max_length=10,
        choices=VisitSource.choices,
        default=VisitSource.PHONE,
        db_default=VisitSource.PHONE,
    )
    external_id = models.CharField(
        _("source id"),
        max_length=64,
        blank=True,
        default="",
        db_default="",
        help_text=_("The visit's id in the previous system (imported visits only)."),
    )
    shelf_shortcut = models.CharField(
        _("shelf check shortcut"),
        max_length=12,
        choices=ShelfShortcut.choices,
        default=ShelfShortcut.NONE,
        db_default=ShelfShortcut.NONE,
        help_text=_("A shortcut the manager used to fill in the shelf check on the phone."),
    )

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-checked_in_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_out_at__gte=F("checked_in_at")),
                name="visit_checkout_after_checkin",
            ),
            models.CheckConstraint(
                condition=Q(status__in=VisitStatus.values), name="visit_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(shelf_shortcut__in=ShelfShortcut.values),
                name="visit_shelf_shortcut_valid",
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="visit_unique_external_id",
            ),
            # A phone visit has no source id; an imported one has one, is reviewed and
            # raises no flags (it never reaches the flagged-visit queue).
            models.CheckConstraint(
                condition=Q(source=VisitSource.PHONE, external_id="")
                | (
                    Q(source=VisitSource.IMPORTED, reviewed_at__isnull=False)
                    & ~Q(external_id="")
                    & Q(flag_far=False, flag_short=False, flag_rapid=False)
                    & Q(flag_no_location=False)
                ),
                name="visit_source_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["manager", "checked_in_at"], name="visit_manager_time"),
            models.Index(fields=["retailer", "check_in_date"], name="visit_retailer_date"),
            models.Index(fields=["check_in_date"], name="visit_date"),
            # The lists' order (latest check-in first), read backwards: a page of a wide
            # scope stops after its rows instead of sorting every visit of the window.
            models.Index(fields=["checked_in_at", "id"], name="visit_checked_in"),
            models.Index(fields=["territory", "checked_in_at"], name="visit_territory_time"),
        ]

    def __str__(self):
        return f"{self.retailer_id} {self.checked_in_at:%Y-%m-%d %H:%M}"

    @property
    def is_flagged(self):
        return self.flag_far or self.flag_short or self.flag_rapid or self.flag_no_location

    @property
    def duration_minutes(self):
        if self.checked_out_at is None:
            return None
        return (self.checked_out_at - self.checked_in_at).total_seconds() / 60


def visit_photo_path(instance, filename):
    return f"visits/{instance.visit.check_in_date:%Y/%m}/{instance.visit.client_id}/{filename}"


class VisitPhoto(models.Model):
    """A photo taken on a visit. Stored as uploaded: EXIF time and position stay for review."""

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="photos", verbose_name=_("visit")
    )
    client_id = models.UUIDField(_("client id"), unique=True, default=uuid.uuid4)
    image = models.ImageField(_("photo"), upload_to=visit_photo_path)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.image.name


class StockLevel(models.TextChoices):
    NONE = "none", _("Out of stock")
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class ShelfObservationQuerySet(ScopedQuerySet):
    org_path_lookup = "visit__territory__department__path"
    manager_lookup = "visit__manager"


class ShelfObservation(models.Model):
    """What the manager saw of one brand on a visit (上柜 check)."""

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="shelf", verbose_name=_("visit")
    )
    # Copied from the visit so the 上柜率 aggregates need no join.
    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    observed_at = models.DateTimeField(_("observed at"))
    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="+", verbose_name=_("brand")
    )
    on_shelf = models.BooleanField(_("on shelf"))
    retail_price = models.DecimalField(
        _("retail price per pack (元)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    stock_level = models.CharField(
        _("stock"), max_length=10, choices=StockLevel.choices, blank=True
    )

    objects = ShelfObservationQuerySet.as_manager()

    class Meta:
        verbose_name = _("shelf observation")
        verbose_name_plural = _("shelf observations")
        constraints = [
            models.UniqueConstraint(fields=["visit", "brand"], name="shelf_unique_visit_brand"),
            models.CheckConstraint(
                condition=Q(retail_price__isnull=True) | Q(retail_price__gt=0),
                name="shelf_price_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["brand", "retailer", "observed_at"], name="shelf_brand_retailer"),
        ]

    def __str__(self):
        return f"{self.brand_id}: {'✓' if self.on_shelf else '✗'}"


class InfoType(models.TextChoices):
    PRICE = "price", _("Price anomaly")
    BRAND = "brand", _("Brand news")
    GROUP = "group", _("Group consumption")
    OCCASION = "occasion", _("Occasion smoking (遇事用烟)")
    COUNTERFEIT = "counterfeit", _("Counterfeit lead")
    DELIVERY = "delivery", _("Delivery anomaly")
    PHONE_ORDER = "phone_order", _("Phone-order anomaly")
    INSPECTOR = "inspector", _("Monopoly inspector anomaly")
    SUGGESTION = "suggestion", _("Customer suggestion")
    OTHER = "other", _("Other")


LEAD_TYPES = (InfoType.GROUP, InfoType.OCCASION)


class Validity(models.TextChoices):
    PENDING = "pending", _("Not reviewed")
    VALID = "valid", _("Valid")
    INVALID = "invalid", _("Invalid")


class LeadStatus(models.TextChoices):
    OPEN = "open", _("Open")
    FOLLOWING = "following", _("Following up")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class InformationItemQuerySet(ScopedQuerySet):
    org_path_lookup = "territory__department__path"
    manager_lookup = "reported_by"


class InformationItem(models.Model):
    """Market information fed back by a manager (信息反馈)."""

    kind = models.CharField(_("type"), max_length=20, choices=InfoType.choices)
    content = models.TextField(_("content"))
    reported_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="information", verbose_name=_("reported by")
    )
    territory = models.ForeignKey(
        Territory, on_delete=models.PROTECT, related_name="+", verbose_name=_("territory")
    )
    retailer = models.ForeignKey(
        Retailer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="information",
        verbose_name=_("retailer"),
    )
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.CASCADE, related_name="information"
    )
    client_id = models.UUIDField(_("client id"), unique=True, default=uuid.uuid4)
    reported_at = models.DateTimeField(_("reported at"))
    validity = models.CharField(
        _("validity"), max_length=10, choices=Validity.choices, default=Validity.PENDING
    )
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    lead_status = models.CharField(
        _("follow-up"), max_length=10, choices=LeadStatus.choices, blank=True
    )
    lead_note = models.TextField(_("follow-up note"), blank=True)

    objects = InformationItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("information item")
        verbose_name_plural = _("information items")
        ordering = ["-reported_at"]
        indexes = [
            models.Index(fields=["reported_by", "reported_at"], name="info_reporter_time"),
            models.Index(fields=["kind", "reported_at"], name="info_kind_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=InfoType.values), name="info_kind_valid"),
            models.CheckConstraint(
                condition=Q(validity__in=Validity.values), name="info_validity_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.content[:30]}"

    @property
    def is_lead(self):
        return self.kind in LEAD_TYPES


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class ComplaintQuerySet(ScopedQuerySet):
    org_path_lookup = "territory__department__path"
    manager_lookup = "territory__manager"


class Complaint(models.Model):
    """A retailer's complaint (投诉) and its handling, with the 24 h / 72 h service levels.

    ``respond_by`` and ``resolve_by`` are fixed when it is opened, from the rules then in
    force. It counts against the manager of the retailer's territory.
    """

    retailer = models.ForeignKey(
        Retailer, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("retailer")
    )
    territory = models.ForeignKey(
        Territory, on_delete=models.PROTECT, related_name="+", verbose_name=_("territory")
    )
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    client_id = models.UUIDField(_("client id"), unique=True, default=uuid.uuid4)
    content = models.TextField(_("complaint"))
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("opened by")
    )
    respond_by = models.DateTimeField(_("respond by"))
    resolve_by = models.DateTimeField(_("resolve by"))
    status = models.CharField(
        _("status"), max_length=12, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN
    )
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    substantiated = models.BooleanField(_("substantiated"), null=True, blank=True)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ComplaintStatus.values), name="complaint_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=ComplaintStatus.CLOSED) | Q(substantiated__isnull=False),
                name="complaint_closed_is_judged",
            ),
            models.CheckConstraint(
                condition=Q(resolve_by__gte=F("respond_by")), name="complaint_deadlines_ordered"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "resolve_by"], name="complaint_status_due"),
            models.Index(fields=["territory", "opened_at"], name="complaint_territory_time"),
        ]

    def __str__(self):
        return f"{self.retailer_id}: {self.content[:30]}"

    @staticmethod
    def deadlines(opened_at, rules: VisitRules):
        """(respond by, resolve by) for a complaint opened at ``opened_at``."""
        from datetime import timedelta

        return (
            opened_at + timedelta(hours=rules.complaint_response_hours),
            opened_at + timedelta(hours=rules.complaint_resolve_hours),
        )


class SurveyChannel(models.TextChoices):
    PHONE = "phone", _("Phone-order staff")
    SUPERVISOR = "supervisor", _("Supervisor")


class SatisfactionSurveyQuerySet(ScopedQuerySet):
    org_path_lookup = "retailer__territory__department__path"
    manager_lookup = "retailer__territory__manager"


class SatisfactionSurvey(models.Model):
    """A retailer's satisfaction answer (客户满意度), 1–5."""

    retailer = models.ForeignKey(
        Retailer, on_delete=models.PROTECT, related_name="surveys", verbose_name=_("retailer")
    )
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    surveyed_on = models.DateField(_("date"))
    channel = models.CharField(_("channel"), max_length=12, choices=SurveyChannel.choices)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SatisfactionSurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-surveyed_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="survey_score_1_5"
            ),
        ]
        indexes = [models.Index(fields=["surveyed_on"], name="survey_date")]

    def __str__(self):
        return f"{self.retailer_id} {self.surveyed_on}: {self.score}"


class WorkPlanKind(models.TextChoices):
    WEEKLY = "weekly", _("Weekly plan")
    MONTHLY = "monthly", _("Monthly plan")


class WorkPlanQuerySet(ScopedQuerySet):
    org_path_lookup = "manager__org_unit__path"
    manager_lookup = "manager"


class WorkPlan(models.Model):
    """A manager's weekly or monthly work plan (工作计划) with its due time.

    Late: submitted after ``due_at``. Missing: not submitted when its month is closed.
    The month a plan counts in is the month of ``due_at`` (Asia/Shanghai).
    """

    manager = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="work_plans", verbose_name=_("manager")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=WorkPlanKind.choices)
    period_start = models.DateField(
        _("period start"), help_text=_("Monday of the week, or first day of the month.")
    )
    due_at = models.DateTimeField(_("due at"))
    content = models.TextField(_("plan"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    objects = WorkPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("work plan")
        verbose_name_plural = _("work plans")
        ordering = ["-due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["manager", "kind", "period_start"], name="work_plan_unique_period"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=WorkPlanKind.values), name="work_plan_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["due_at"], name="work_plan_due")]

    def __str__(self):
        return f"{self.manager_id} {self.kind} {self.period_start}"

    @property
    def is_late(self):
        return self.submitted_at is not None and self.submitted_at > self.due_at


class ScopeLevel(models.TextChoices):
    TERRITORY = "territory", _("Territory")
    DEPARTMENT = "department", _("Service department")
    CENTER = "center", _("Marketing center")
    COMPANY = "company", _("Company")


class ShelfRateRollupQuerySet(ScopedQuerySet):
    org_path_lookup = "org_path"
    manager_lookup = "territory__manager"


class ShelfRateRollup(models.Model):
    """上柜率 counts of one brand over one scope and month (all classes, or one class).

    Refreshed by a Celery task with one aggregate query per scope level. Rates are
    ``observed_on_shelf / active_retailers`` and ``ordered / active_retailers``.
    ``org_path`` is the unit's path (for a territory, its department's path) for scoping.

    A derived table, rewritten whole for a month by each refresh (about 550,000 rows a
    month for a province): it carries only the indexes its readers and the refresh's upsert
    use, and its brand and territory are not checked by foreign-key constraints in the
    database. Every row is written from existing brands and territories inside the
    refresh's transaction, and deleting a brand or territory still deletes its rows (the
    ORM's cascade). The checks and the three extra indexes cost the refresh about 20 s of
    its writes at province scale (README "Performance").
    """

    month = models.DateField(_("month"))
    brand = models.ForeignKey(
        Brand, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    level = models.CharField(_("scope"), max_length=12, choices=ScopeLevel.choices)
    scope_id = models.PositiveBigIntegerField(_("scope id"))
    territory = models.ForeignKey(
        Territory,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    org_path = models.CharField(max_length=255)
    abc_class = models.CharField(_("class"), max_length=1, blank=True)
    active_retailers = models.PositiveIntegerField(_("active retailers"))
    observed_on_shelf = models.PositiveIntegerField(_("on shelf (observed)"))
    ordered = models.PositiveIntegerField(_("ordered"))
    refreshed_at = models.DateTimeField(_("refreshed at"))

    objects = ShelfRateRollupQuerySet.as_manager()

    class Meta:
        verbose_name = _("shelf-placement rollup")
        verbose_name_plural = _("shelf-placement rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "brand", "level", "scope_id", "abc_class"],
                name="shelf_rollup_unique",
            ),
            models.CheckConstraint(
                condition=Q(observed_on_shelf__lte=F("active_retailers"))
                & Q(ordered__lte=F("active_retailers")),
                name="shelf_rollup_counts_bounded",
            ),
        ]
        indexes = [
            models.Index(fields=["month", "level", "scope_id"], name="shelf_rollup_scope"),
            # The scoping (``visible_to``: a path prefix); one index serves = and LIKE 'p%'.
            models.Index(
                fields=["org_path"], name="shelf_rollup_path", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.brand_id} {self.level}:{self.scope_id}"
