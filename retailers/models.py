"""Retailers (零售户), brands (卷烟规格), order lines, targets and ABC classification.

Quantities are integer 条 (cartons); 1 箱 = 250 条. Money is Decimal 元.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    CityRuleQuerySet,
    OrgUnit,
    Role,
    ScopedQuerySet,
    Territory,
    User,
    rule_company_field,
)

CARTONS_PER_BOX = 250

license_validator = RegexValidator(
    r"^\d{12}$", _("A licence number is 12 digits (e.g. 320102100123).")
)


def month_start(day: date) -> date:
    return day.replace(day=1)


def parse_month(value: str) -> date:
    """The first day of the month written as YYYY-MM (or any ISO date in it).

    Raises ValueError, so it serves directly as an argparse ``type`` for commands.
    """
    text = (value or "").strip()
    if len(text) == 7:
        text += "-01"
    return date.fromisoformat(text).replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after (or before) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


class MarketType(models.TextChoices):
    TOWN = "C", _("Town")
    RURAL = "X", _("Rural")


class RetailFormat(models.TextChoices):
    GROCERY = "Z", _("Grocery store")
    CONVENIENCE = "B", _("Convenience store")
    SUPERMARKET = "S", _("Supermarket")
    MALL = "N", _("Shopping mall")
    TOBACCO_LIQUOR = "Y", _("Tobacco and liquor store")
    ENTERTAINMENT = "F", _("Entertainment and services")
    OTHER = "Q", _("Other")


class Environment(models.TextChoices):
    BUSINESS_CENTER = "business_center", _("Business center")
    TRANSPORT_HUB = "transport_hub", _("Transport hub")
    RESIDENTIAL = "residential", _("Residential area")
    SCHOOL_HOSPITAL = "school_hospital", _("Near a school or hospital")
    URBAN_FRINGE = "urban_fringe", _("Urban fringe")
    RURAL_TOWN = "rural_town", _("Rural market town")
    REMOTE_RURAL = "remote_rural", _("Remote village")


class RetailerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CANCELLED = "cancelled", _("Cancelled")


class RetailerClass(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


def status_on(day: date, retailer_ref: str = "pk"):
    """The status in force on ``day`` of the retailer at ``OuterRef(retailer_ref)``.

    The latest change dated on or before ``day``; before the first recorded change the
    first recorded status applies (a retailer's earliest known status extends backwards);
    a retailer without any recorded change has its cached ``status``.
    """
    changes = RetailerStatusChange.objects.filter(retailer_id=OuterRef(retailer_ref))
    return Coalesce(
        Subquery(
            changes.filter(effective_from__lte=day).order_by("-effective_from").values("status")[:1]
        ),
        Subquery(changes.order_by("effective_from").values("status")[:1]),
        F("status" if retailer_ref == "pk" else retailer_ref.replace("_id", "__status")),
    )


def status_on_sql(day: date, retailer: str = "r") -> tuple[str, list]:
    """``status_on`` as a SQL expression over the retailer table aliased ``retailer``,
    for the raw-SQL selectors (上柜率). Returns (sql, params)."""
    table = RetailerStatusChange._meta.db_table
    sql = (
        f"COALESCE((SELECT sc.status FROM {table} sc WHERE sc.retailer_id = {retailer}.id "
        f"AND sc.effective_from <= %s ORDER BY sc.effective_from DESC LIMIT 1), "
        f"(SELECT sc.status FROM {table} sc WHERE sc.retailer_id = {retailer}.id "
        f"ORDER BY sc.effective_from ASC LIMIT 1), {retailer}.status)"
    )
    return sql, [day]


class RetailerQuerySet(ScopedQuerySet):
    org_path_lookup = "territory__department__path"
    manager_lookup = "territory__manager"

    def visible_to(self, user):
        """A customer manager sees their territory's retailers and, while they cover another
        manager's territory (代管, DOMAIN §9), the retailers assigned to them today."""
        if (
            user is not None
            and user.is_authenticated
            and user.is_active
            and user.role == Role.CUSTOMER_MANAGER
        ):
            from .selectors import assignment_in_force  # selectors import the models

            covering = RetailerAssignment.objects.filter(
                assignment_in_force(timezone.localdate()), retailer=OuterRef("pk"), manager=user
            )
            return self.filter(Q(territory__manager=user) | Exists(covering))
        return super().visible_to(user)

    def active(self):
        """Active today (the cached status, kept equal to the status in force today)."""
        return self.filter(status=RetailerStatus.ACTIVE)

    def status_on(self, day: date, status: str):
        """Retailers whose status in force on ``day`` is ``status`` (DOMAIN §10.2)."""
        name = f"_status_on_{day:%Y%m%d}"
        return self.alias(**{name: status_on(day)}).filter(**{name: status})

    def active_on(self, day: date):
        """Retailers active on ``day``: their status in force that day is 正常."""
        return self.status_on(day, RetailerStatus.ACTIVE)

    def active_throughout(self, first: date, last: date):
        """Retailers active on every day from ``first`` to ``last`` (both included): active
        on ``first`` and without a change to another status dated inside the window."""
        return self.active_on(first).exclude(
            Exists(
                RetailerStatusChange.objects.filter(
                    retailer_id=OuterRef("pk"),
                    effective_from__gt=first,
                    effective_from__lte=last,
                ).exclude(status=RetailerStatus.ACTIVE)
            )
        )


class Retailer(models.Model):
    license_no = models.CharField(
        _("licence number"), max_length=12, unique=True, validators=[license_validator]
    )
    shop_name = models.CharField(_("shop name"), max_length=100)
    owner_name = models.CharField(_("owner"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    market_type = models.CharField(_("market type"), max_length=1, choices=MarketType.choices)
    retail_format = models.CharField(_("retail format"), max_length=1, choices=RetailFormat.choices)
    environment = models.CharField(_("environment"), max_length=20, choices=Environment.choices)
    potential = models.PositiveSmallIntegerField(
        _("development potential"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1–5, rated by the customer manager."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RetailerStatus.choices, default=RetailerStatus.ACTIVE
    )
    territory = models.ForeignKey(
        Territory, verbose_name=_("territory"), on_delete=models.PROTECT, related_name="retailers"
    )
    grade_tier = models.PositiveSmallIntegerField(
        _("grade tier (档位)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("1–30, as supplied by the provincial ordering system."),
    )
    abc_class = models.CharField(
        _("class"), max_length=1, choices=RetailerClass.choices, blank=True, default=""
    )
    class_pinned = models.BooleanField(
        _("class pinned"),
        default=False,
        help_text=_("A pinned override is kept by the monthly classification."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = RetailerQuerySet.as_manager()

    class Meta:
        verbose_name = _("retailer")
        verbose_name_plural = _("retailers")
        ordering = ["license_no"]
        indexes = [
            models.Index(fields=["territory", "status"], name="retailer_territory_status"),
            models.Index(fields=["abc_class"], name="retailer_class"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(potential__isnull=True) | Q(potential__gte=1, potential__lte=5),
                name="retailer_potential_1_5",
            ),
            models.CheckConstraint(
                condition=Q(grade_tier__isnull=True) | Q(grade_tier__gte=1, grade_tier__lte=30),
                name="retailer_grade_tier_1_30",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="retailer_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="retailer_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(market_type__in=MarketType.values), name="retailer_market_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(retail_format__in=RetailFormat.values), name="retailer_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RetailerStatus.values), name="retailer_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(abc_class__in=["", *RetailerClass.values]), name="retailer_class_valid"
            ),
        ]

    def __str__(self):
        return f"{self.shop_name}（{self.license_no}）"

    @property
    def is_active(self):
        return self.status == RetailerStatus.ACTIVE


class RetailerStatusChangeQuerySet(ScopedQuerySet):
    org_path_lookup = "retailer__territory__department__path"
    manager_lookup = "retailer__territory__manager"


class RetailerStatusChange(models.Model):
    """A dated change of a retailer's status (正常 / 暂停 / 注销).

    The status in force on a day is the latest change effective on or before it; before
    the first change the first recorded status applies. ``Retailer.status`` caches the
    status in force today (``retailers.services.retailer_statuses_sync``).
    """

    retailer = models.ForeignKey(
        Retailer,
        on_delete=models.CASCADE,
        related_name="status_changes",
        verbose_name=_("retailer"),
    )
    status = models.CharField(_("status"), max_length=10, choices=RetailerStatus.choices)
    effective_from = models.DateField(_("effective from"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = RetailerStatusChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("retailer status change")
        verbose_name_plural = _("retailer status changes")
        ordering = ["retailer", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["retailer", "effective_from"], name="status_change_unique_day"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RetailerStatus.values), name="status_change_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(effective_from__gte=date(1900, 1, 1)),
                name="status_change_date_plausible",
            ),
        ]

    def __str__(self):
        return f"{self.retailer_id} {self.effective_from}: {self.get_status_display()}"


class RetailerAssignmentQuerySet(ScopedQuerySet):
    org_path_lookup = "territory__department__path"
    manager_lookup = "manager"


class RetailerAssignment(models.Model):
    """Who served a retailer over a period: sales are credited by the order date.

    ``valid_to`` is exclusive; the open assignment has ``valid_to`` null.
    """

    retailer = models.ForeignKey(
        Retailer, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("retailer")
    )
    territory = models.ForeignKey(
        Territory, on_delete=models.PROTECT, related_name="+", verbose_name=_("territory")
    )
    manager = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("customer manager"),
    )
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until (exclusive)"), null=True, blank=True)

    objects = RetailerAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("retailer assignment")
        verbose_name_plural = _("retailer assignments")
        ordering = ["retailer", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["retailer"],
                condition=Q(valid_to__isnull=True),
                name="assignment_one_open_per_retailer",
            ),
            models.UniqueConstraint(
                fields=["retailer", "valid_from"], name="assignment_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="assignment_positive_period",
            ),
        ]
        indexes = [
            models.Index(fields=["manager", "valid_from"], name="assignment_manager_from"),
        ]

    def __str__(self):
        return f"{self.retailer_id} → {self.territory_id} ({self.valid_from}–{self.valid_to or ''})"


class HandoverKind(models.TextChoices):
    HANDOVER = "handover", _("Handover (交接)")
    COVERING = "covering", _("Covering (代管)")


class TerritoryHandoverQuerySet(ScopedQuerySet):
    org_path_lookup = "territory__department__path"
    manager_lookup = "to_manager"


class TerritoryHandover(models.Model):
    """A dated change of hands of a territory, or of some of its retailers (DOMAIN §9, §10).

    A handover (交接) gives the retailers to ``to_manager`` from ``effective_from`` on. A
    covering (代管) gives them to ``to_manager`` from ``effective_from`` to ``until``
    (inclusive; null: until a handover ends it), after which they return to ``from_manager``.
    ``retailers`` empty means the whole territory. The assignments (``RetailerAssignment``)
    are written when the record is made; ``applied_at`` says when the territory's manager (or
    the retailers' territory) was changed to match, which for a future date the nightly
    ``handovers_apply`` does on the day.
    """

    territory = models.ForeignKey(
        Territory, on_delete=models.PROTECT, related_name="handovers", verbose_name=_("territory")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=HandoverKind.choices)
    from_manager = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("from manager"),
    )
    to_manager = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("to manager")
    )
    effective_from = models.DateField(_("effective from"))
    until = models.DateField(
        _("until (inclusive)"),
        null=True,
        blank=True,
        help_text=_("Last day of a covering; the territory returns the day after."),
    )
    retailers = models.ManyToManyField(
        Retailer,
        blank=True,
        related_name="handovers",
        verbose_name=_("retailers"),
        help_text=_("Only these retailers move; none means the whole territory."),
    )
    from_manager_leaves = models.BooleanField(
        _("from manager leaves"),
        default=False,
        help_text=_("The previous manager is deactivated on the effective date."),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    objects = TerritoryHandoverQuerySet.as_manager()

    class Meta:
        verbose_name = _("territory handover")
        verbose_name_plural = _("territory handovers")
        ordering = ["territory", "effective_from", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["territory", "effective_from", "kind"], name="handover_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=HandoverKind.values), name="handover_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=F("effective_from")),
                name="handover_until_after_start",
            ),
            models.CheckConstraint(
                condition=Q(kind=HandoverKind.COVERING) | Q(until__isnull=True),
                name="handover_until_only_covering",
            ),
            models.CheckConstraint(
                condition=Q(from_manager__isnull=True) | ~Q(from_manager=F("to_manager")),
                name="handover_changes_hands",
            ),
        ]
        indexes = [
            models.Index(fields=["applied_at", "effective_from"], name="handover_pending"),
        ]

    def __str__(self):
        end = f"–{self.until}" if self.until else ""
        return f"{self.territory_id} {self.get_kind_display()} {self.effective_from}{end}"

    @property
    def returns_on(self) -> date | None:
        """The day a covering ends: the retailers go back to ``from_manager``."""
        return self.until + timedelta(days=1) if self.until else None


class ViolationSeverity(models.TextChoices):
    MINOR = "minor", _("Minor")
    SERIOUS = "serious", _("Serious")


class ViolationQuerySet(ScopedQuerySet):
    org_path_lookup = "retailer__territory__department__path"
    manager_lookup = "retailer__territory__manager"


class Violation(models.Model):
    """A compliance record (守法情况) of a retailer."""

    retailer = models.ForeignKey(
        Retailer, on_delete=models.CASCADE, related_name="violations", verbose_name=_("retailer")
    )
    occurred_on = models.DateField(_("date"))
    severity = models.CharField(_("severity"), max_length=10, choices=ViolationSeverity.choices)
    description = models.CharField(_("description"), max_length=500)
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ViolationQuerySet.as_manager()

    class Meta:
        verbose_name = _("violation")
        verbose_name_plural = _("violations")
        ordering = ["-occurred_on"]
        indexes = [models.Index(fields=["retailer", "occurred_on"], name="violation_retailer_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=ViolationSeverity.values), name="violation_severity_valid"
            )
        ]

    def __str__(self):
        return f"{self.occurred_on} {self.get_severity_display()}: {self.description}"


class PriceClass(models.IntegerChoices):
    ONE = 1, _("Class 1")
    TWO = 2, _("Class 2")
    THREE = 3, _("Class 3")
    FOUR = 4, _("Class 4")
    FIVE = 5, _("Class 5")


class BrandQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The brand list is company-wide reference data: every signed-in user sees it."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.all()

    def new_in(self, month: date):
        """Brands inside their 12-month new-product window in ``month`` (see Brand.is_new_in)."""
        first = month_start(month)
        return self.filter(
            launch_date__lt=add_months(first, 1), launch_date__gt=add_months(first, -12)
        )


class Brand(models.Model):
    """A cigarette specification (卷烟规格)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    manufacturer = models.CharField(_("manufacturer"), max_length=100)
    price_class = models.PositiveSmallIntegerField(_("price class"), choices=PriceClass.choices)
    wholesale_price = models.DecimalField(
        _("wholesale price per carton (元)"), max_digits=10, decimal_places=2
    )
    launch_date = models.DateField(_("launch date"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = BrandQuerySet.as_manager()

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["price_class", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_class__gte=1, price_class__lte=5), name="brand_price_class_1_5"
            ),
            models.CheckConstraint(
                condition=Q(wholesale_price__gt=0), name="brand_wholesale_price_positive"
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def is_new_in(self, month: date) -> bool:
        """New in month M: launch ≤ M's last day and launch + 12 months > M's first day.

        With F the first day of M, "launch + 12 months > F" is "launch > F − 12 months".
        """
        if self.launch_date is None:
            return False
        first = month_start(month)
        return add_months(first, -12) < self.launch_date < add_months(first, 1)


class KeyBrandMonth(models.Model):
    """A brand flagged as key brand (重点品牌) for one month."""

    brand = models.ForeignKey(
        Brand, on_delete=models.CASCADE, related_name="key_months", verbose_name=_("brand")
    )
    month = models.DateField(_("month"), help_text=_("First day of the month."))

    class Meta:
        verbose_name = _("key brand month")
        verbose_name_plural = _("key brand months")
        ordering = ["-month", "brand"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "month"], name="key_brand_unique_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="key_brand_month_first_day"),
        ]

    def __str__(self):
        return f"{self.brand_id} {self.month:%Y-%m}"


class OrderLineQuerySet(ScopedQuerySet):
    org_path_lookup = "retailer__territory__department__path"
    manager_lookup = "retailer__territory__manager"


class OrderLine(models.Model):
    """One brand of one order, as imported from the ordering system."""

    retailer = models.ForeignKey(
        Retailer, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("retailer")
    )
    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("brand")
    )
    order_date = models.DateField(_("order date"))
    quantity = models.IntegerField(_("quantity (cartons)"))
    amount = models.DecimalField(_("amount (元)"), max_digits=12, decimal_places=2)
    source_order_no = models.CharField(_("order number"), max_length=40)
    settled_on_time = models.BooleanField(
        _("settled electronically on time"),
        default=True,
    )
    returns_line = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="returns",
        verbose_name=_("returns order line"),
        help_text=_(
            "A return (退货) names the order line it returns: same retailer and brand, "
            "negative quantity and amount."
        ),
    )
    # When the line reached this system (the import or the order inbox); a month's own pay
    # run counts only the lines known at publication (DOMAIN §10.7).
    arrived_at = models.DateTimeField(_("arrived at"), db_default=Now(), db_index=True)

    objects = OrderLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["-order_date", "source_order_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_order_no", "brand"], name="order_line_unique_order_brand"
            ),
            # An order line sells (quantity > 0, amount ≥ 0); a return (退货, DOMAIN §10.5)
            # has a negative quantity and amount and names the line it returns.
            models.CheckConstraint(
                condition=Q(quantity__gt=0, amount__gte=0, returns_line__isnull=True)
                | Q(quantity__lt=0, amount__lt=0, returns_line__isnull=False),
                name="order_line_sign_consistent",
            ),
            models.CheckConstraint(
                condition=~Q(returns_line=F("pk")), name="order_line_not_own_return"
            ),
        ]
        indexes = [
            models.Index(fields=["order_date"], name="order_line_date"),
            models.Index(fields=["retailer", "order_date"], name="order_line_retailer_date"),
            models.Index(fields=["brand", "order_date"], name="order_line_brand_date"),
        ]

    def __str__(self):
        return f"{self.source_order_no} {self.brand_id} × {self.quantity}"

    def clean(self):
        """The rules of a return (DOMAIN §10.5) that span rows; the import checks them
        set-wise, the sign rule is also a database constraint."""
        super().clean()
        if self.returns_line_id is None or self.quantity is None:
            return
        original = self.returns_line
        if (original.retailer_id, original.brand_id) != (self.retailer_id, self.brand_id):
            raise ValidationError(
                {"returns_line": _("A return names an order line of the same retailer and brand.")}
            )
        earlier = original.returns.exclude(pk=self.pk).aggregate(n=models.Sum("quantity"))["n"]
        if original.quantity + (earlier or 0) + self.quantity < 0:
            raise ValidationError(
                {"quantity": _("All returns of an order line may not exceed its quantity.")}
            )

    @property
    def boxes(self) -> Decimal:
        return Decimal(self.quantity) / CARTONS_PER_BOX


class SalesTargetQuerySet(ScopedQuerySet):
    org_path_lookup = "manager__org_unit__path"
    manager_lookup = "manager"


class SalesTarget(models.Model):
    """A customer manager's monthly sales target in 箱 (total and key brands)."""

    manager = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="sales_targets", verbose_name=_("manager")
    )
    month = models.DateField(_("month"), help_text=_("First day of the month."))
    total_boxes = models.DecimalField(_("total target (箱)"), max_digits=10, decimal_places=2)
    key_brand_boxes = models.DecimalField(
        _("key-brand target (箱)"), max_digits=10, decimal_places=2, default=Decimal("0")
    )

    objects = SalesTargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        ordering = ["-month", "manager"]
        constraints = [
            models.UniqueConstraint(fields=["manager", "month"], name="sales_target_unique_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="sales_target_month_first_day"),
            models.CheckConstraint(
                condition=Q(total_boxes__gte=0, key_brand_boxes__gte=0),
                name="sales_target_nonnegative",
            ),
        ]

    def __str__(self):
        return f"{self.manager_id} {self.month:%Y-%m}: {self.total_boxes}"


class ShelfTargetQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Targets set for a unit or territory the user can see, or above it in the tree."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser and user.org_unit_id is None:
            return self.all()
        territories = Territory.objects.visible_to(user)
        paths = list(
            OrgUnit.objects.filter(
                Q(territories__in=territories) | Q(pk__in=OrgUnit.objects.visible_to(user))
            )
            .values_list("path", flat=True)
            .distinct()
        )
        ancestor_ids = {int(pk) for path in paths for pk in path.strip("/").split("/") if pk}
        return self.filter(Q(territory__in=territories) | Q(org_unit_id__in=ancestor_ids))


class ShelfTarget(models.Model):
    """Target 上柜率 of a new brand for a month, set for an org unit or one territory."""

    brand = models.ForeignKey(
        Brand, on_delete=models.CASCADE, related_name="shelf_targets", verbose_name=_("brand")
    )
    month = models.DateField(_("month"), help_text=_("First day of the month."))
    org_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("org unit")
    )
    territory = models.ForeignKey(
        Territory, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("territory")
    )
    rate = models.DecimalField(
        _("target rate"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("1"))],
        help_text=_("Share of active retailers, e.g. 0.6000 for 60%."),
    )

    objects = ShelfTargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("shelf-placement target")
        verbose_name_plural = _("shelf-placement targets")
        ordering = ["-month", "brand"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(org_unit__isnull=False) & Q(territory__isnull=True))
                | (Q(org_unit__isnull=True) & Q(territory__isnull=False)),
                name="shelf_target_unit_xor_territory",
            ),
            models.CheckConstraint(
                condition=Q(rate__gt=0, rate__lte=1), name="shelf_target_rate_range"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="shelf_target_month_first_day"),
            models.UniqueConstraint(
                fields=["brand", "month", "org_unit"],
                condition=Q(org_unit__isnull=False),
                name="shelf_target_unique_unit",
            ),
            models.UniqueConstraint(
                fields=["brand", "month", "territory"],
                condition=Q(territory__isnull=False),
                name="shelf_target_unique_territory",
            ),
        ]

    def __str__(self):
        return f"{self.brand_id} {self.month:%Y-%m}: {self.rate}"

    def clean(self):
        if bool(self.org_unit_id) == bool(self.territory_id):
            raise ValidationError(_("Set the target for either an org unit or a territory."))


def default_environment_scores():
    return {
        Environment.BUSINESS_CENTER: 100,
        Environment.TRANSPORT_HUB: 90,
        Environment.RESIDENTIAL: 70,
        Environment.SCHOOL_HOSPITAL: 60,
        Environment.URBAN_FRINGE: 50,
        Environment.RURAL_TOWN: 40,
        Environment.REMOTE_RURAL: 20,
    }


class ClassificationRuleSet(models.Model):
    """One version of the ABC classification rules (DOMAIN.md §2), in force from a month.

    The month's classification uses the version with the latest ``effective_from`` on or
    before that month. A version that has been used is frozen: copy it to change it.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    company = rule_company_field()
    effective_from = models.DateField(_("effective from"), help_text=_("First day of a month."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    weight_scale = models.DecimalField(_("weight: scale"), max_digits=4, decimal_places=3)
    weight_environment = models.DecimalField(
        _("weight: environment"), max_digits=4, decimal_places=3
    )
    weight_potential = models.DecimalField(_("weight: potential"), max_digits=4, decimal_places=3)
    weight_compliance = models.DecimalField(_("weight: compliance"), max_digits=4, decimal_places=3)
    weight_credit = models.DecimalField(_("weight: credit"), max_digits=4, decimal_places=3)
    environment_scores = models.JSONField(
        _("environment scores"), default=default_environment_scores
    )
    scale_months = models.PositiveSmallIntegerField(_("months of order volume"), default=3)
    potential_default = models.PositiveSmallIntegerField(_("potential when unrated"), default=3)
    minor_violation_points = models.PositiveSmallIntegerField(
        _("points per minor violation"), default=10
    )
    serious_violation_points = models.PositiveSmallIntegerField(
        _("points per serious violation"), default=30
    )
    violation_months = models.PositiveSmallIntegerField(_("months of violations"), default=12)
    credit_without_orders = models.PositiveSmallIntegerField(
        _("credit score without orders"), default=50
    )
    threshold_a = models.DecimalField(_("lowest score of class A"), max_digits=5, decimal_places=2)
    threshold_b = models.DecimalField(_("lowest score of class B"), max_digits=5, decimal_places=2)
    serious_violation_cap = models.CharField(
        _("class cap after a serious violation"),
        max_length=1,
        choices=RetailerClass.choices,
        default=RetailerClass.C,
    )
    visits_a = models.PositiveSmallIntegerField(_("visits a month, class A"), default=4)
    visits_b = models.PositiveSmallIntegerField(_("visits a month, class B"), default=2)
    visits_c = models.PositiveSmallIntegerField(_("visits a month, class C"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CityRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("classification rule set")
        verbose_name_plural = _("classification rule sets")
        ordering = ["-effective_from", "-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    weight_scale__gte=0,
                    weight_environment__gte=0,
                    weight_potential__gte=0,
                    weight_compliance__gte=0,
                    weight_credit__gte=0,
                ),
                name="ruleset_weights_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(
                    threshold_a__gt=F("threshold_b"), threshold_b__gte=0, threshold_a__lte=100
                ),
                name="ruleset_thresholds_ordered",
            ),
            models.CheckConstraint(
                condition=Q(effective_from__day=1), name="ruleset_effective_first_day"
            ),
            models.CheckConstraint(
                condition=Q(potential_default__gte=1, potential_default__lte=5),
                name="ruleset_potential_default_1_5",
            ),
        ]

    def __str__(self):
        return _("Rule set v%(version)s from %(month)s") % {
            "version": self.version,
            "month": self.effective_from.strftime("%Y-%m"),
        }

    @property
    def weights(self):
        return {
            "scale": self.weight_scale,
            "environment": self.weight_environment,
            "potential": self.weight_potential,
            "compliance": self.weight_compliance,
            "credit": self.weight_credit,
        }

    def clean(self):
        errors = {}
        if sum(self.weights.values()) != Decimal("1"):
            errors["weight_scale"] = _("The five weights must add up to 1.")
        scores = self.environment_scores
        if not isinstance(scores, dict) or set(scores) != set(Environment.values):
            errors["environment_scores"] = _("Give a score for each environment: %(names)s.") % {
                "names": ", ".join(Environment.values)
            }
        elif not all(isinstance(v, int | float) and 0 <= v <= 100 for v in scores.values()):
            errors["environment_scores"] = _("Environment scores are numbers from 0 to 100.")
        if errors:
            raise ValidationError(errors)

    def visits_per_month(self, klass: str) -> int:
        return {"A": self.visits_a, "B": self.visits_b, "C": self.visits_c}.get(klass, 0)


class ClassificationRecordQuerySet(ScopedQuerySet):
    org_path_lookup = "retailer__territory__department__path"
    manager_lookup = "retailer__territory__manager"


class ClassificationRecord(models.Model):
    """A retailer's classification for one month, with its factor scores."""

    retailer = models.ForeignKey(
        Retailer,
        on_delete=models.CASCADE,
        related_name="classifications",
        verbose_name=_("retailer"),
    )
    month = models.DateField(_("month"))
    rule_set = models.ForeignKey(
        ClassificationRuleSet, on_delete=models.PROTECT, verbose_name=_("rule set")
    )
    scale_score = models.DecimalField(_("scale"), max_digits=5, decimal_places=2)
    environment_score = models.DecimalField(_("environment"), max_digits=5, decimal_places=2)
    potential_score = models.DecimalField(_("potential"), max_digits=5, decimal_places=2)
    compliance_score = models.DecimalField(_("compliance"), max_digits=5, decimal_places=2)
    credit_score = models.DecimalField(_("credit"), max_digits=5, decimal_places=2)
    total_score = models.DecimalField(_("weighted score"), max_digits=5, decimal_places=2)
    average_monthly_cartons = models.DecimalField(
        _("average monthly cartons"), max_digits=12, decimal_places=2
    )
    serious_violations = models.PositiveIntegerField(_("serious violations"), default=0)
    computed_class = models.CharField(_("computed class"), max_length=1)
    previous_class = models.CharField(_("previous class"), max_length=1, blank=True)
    final_class = models.CharField(_("class"), max_length=1)
    pinned = models.BooleanField(_("kept by a pinned override"), default=False)
    created_at = models.DateTimeField(auto_now=True)

    objects = ClassificationRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("classification record")
        verbose_name_plural = _("classification records")
        ordering = ["-month", "retailer"]
        constraints = [
            models.UniqueConstraint(
                fields=["retailer", "month"], name="classification_unique_month"
            ),
            models.CheckConstraint(
                condition=Q(month__day=1), name="classification_month_first_day"
            ),
        ]

    def __str__(self):
        return f"{self.retailer_id} {self.month:%Y-%m}: {self.final_class}"

    @property
    def changed(self):
        return self.previous_class != self.final_class


class ClassificationScale(models.Model):
    """A retailer's scale inputs for a month's classification, ranked city-wide: the first
    step of a classification split by marketing center (``retailers.services.
    classification_rank``). The scale score ranks each retailer among all the active
    retailers of its city and market type, so the city ranks once and each marketing center
    (``center``, fixed at ranking time) is then scored from these rows alone; the order
    lines are not read again. Replaced by the next ranking of the city; only the latest
    months are kept.

    A working table: on PostgreSQL it is UNLOGGED (no write-ahead log; after a crash of the
    server it comes back empty, and a center's part then fails with "run the city's
    classification again") and its keys are not checked by the database (every row is
    written from existing retailers and org units in one statement; the ORM's cascade
    still deletes a deleted retailer's rows). Both cost the ranking of a province about
    half its time."""

    retailer = models.ForeignKey(
        Retailer,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("retailer"),
        db_constraint=False,
        db_index=False,  # the unique (retailer, month) serves a retailer's rows
    )
    month = models.DateField(_("month"))
    company = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("company"),
        db_constraint=False,
        db_index=False,
    )
    center = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("marketing center"),
        db_constraint=False,
        db_index=False,
    )
    volume = models.BigIntegerField(_("cartons in the window"))
    orders = models.PositiveIntegerField(_("orders"))
    on_time = models.PositiveIntegerField(_("orders settled on time"))
    scale_rank = models.FloatField(_("scale rank"))
    group_size = models.PositiveIntegerField(_("retailers of the market type"))

    class Meta:
        verbose_name = _("classification scale")
        verbose_name_plural = _("classification scales")
        constraints = [
            models.UniqueConstraint(fields=["retailer", "month"], name="scale_unique_month"),
        ]
        indexes = [
            models.Index(fields=["company", "month"], name="scale_company_month"),
            models.Index(fields=["center", "month"], name="scale_center_month"),
        ]

    def __str__(self):
        return f"{self.retailer_id} {self.month:%Y-%m}: {self.scale_rank}"


class ClassOverrideQuerySet(ScopedQuerySet):
    org_path_lookup = "retailer__territory__department__path"
    manager_lookup = "retailer__territory__manager"


class ClassOverride(models.Model):
    """A supervisor's manual class for a retailer, with the reason (an audit record)."""

    retailer = models.ForeignKey(
        Retailer, on_delete=models.CASCADE, related_name="overrides", verbose_name=_("retailer")
    )
    old_class = models.CharField(_("old class"), max_length=1, blank=True)
    new_class = models.CharField(_("new class"), max_length=1, choices=RetailerClass.choices)
    reason = models.CharField(_("reason"), max_length=500)
    pinned = models.BooleanField(_("pinned"), default=False)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    objects = ClassOverrideQuerySet.as_manager()

    class Meta:
        verbose_name = _("class override")
        verbose_name_plural = _("class overrides")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="class_override_reason_required"),
        ]

    def __str__(self):
        return f"{self.retailer_id}: {self.old_class or '-'} → {self.new_class}"


class OrderFileStatus(models.TextChoices):
    DONE = "done", _("Imported")
    FAILED = "failed", _("Refused")


class OrderFileDrop(models.Model):
    """One order file taken from the order inbox folder (DOMAIN.md §9) by the scheduled
    import: moved to ``done/`` or ``failed/`` with its report written beside it."""

    name = models.CharField(_("file"), max_length=255)
    moved_to = models.CharField(_("moved to"), max_length=500)
    received_at = models.DateTimeField(_("received at"), help_text=_("When the file arrived."))
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=OrderFileStatus.choices)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("lines created"), default=0)
    report = models.TextField(_("report"), blank=True)

    class Meta:
        verbose_name = _("order file")
        verbose_name_plural = _("order files received")
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OrderFileStatus.values), name="order_file_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="order_file_received")]

    def __str__(self):
        return f"{self.name} ({self.get_status_display()})"
