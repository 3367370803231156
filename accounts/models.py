"""People and the organisation: users with roles, the org tree and territories.

Row-level access lives here in one place: ``ScopedQuerySet.visible_to(user)``. Every
model that belongs somewhere in the org tree gets a queryset subclass that names the
lookup to its org-unit path and to its customer manager; pages, API views and exports
all start from ``Model.objects.visible_to(user)``.
"""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Q, Subquery, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER_MANAGER = "customer_manager", _("Customer manager")
    SERVICE_DEPT_SUPERVISOR = "service_dept_supervisor", _("Service department supervisor")
    MARKETING_CENTER_SUPERVISOR = (
        "marketing_center_supervisor",
        _("Marketing center supervisor"),
    )
    ASSESSMENT_CENTER = "assessment_center", _("Assessment center supervisor")
    HR = "hr", _("Human resources")
    ADMIN = "admin", _("System administrator")
    LEADER = "leader", _("Leader")


class OrgKind(models.TextChoices):
    PROVINCE = "province", _("Province company")
    COMPANY = "company", _("Company")
    MARKETING_CENTER = "marketing_center", _("Marketing center")
    SERVICE_DEPARTMENT = "service_department", _("Service department")


# The kinds of parent each kind of org unit may hang under (None: it may be the root).
# A deployment's root is a province company or a single city company.
PARENT_KINDS = {
    OrgKind.PROVINCE: (None,),
    OrgKind.COMPANY: (None, OrgKind.PROVINCE),
    OrgKind.MARKETING_CENTER: (OrgKind.COMPANY,),
    OrgKind.SERVICE_DEPARTMENT: (OrgKind.MARKETING_CENTER,),
}

# The org-unit kinds each role may be attached to; a customer manager belongs to the
# department that holds their territory. HR and the assessment center belong to a city
# company (their work is per city); an admin may also sit at the province. A leader (领导:
# 省/市公司领导, 营销中心主任, 市场部经理) is attached to any org unit and reads its subtree.
ROLE_ORG_KINDS = {
    Role.CUSTOMER_MANAGER: (OrgKind.SERVICE_DEPARTMENT,),
    Role.SERVICE_DEPT_SUPERVISOR: (OrgKind.SERVICE_DEPARTMENT,),
    Role.MARKETING_CENTER_SUPERVISOR: (OrgKind.MARKETING_CENTER,),
    Role.ASSESSMENT_CENTER: (OrgKind.COMPANY,),
    Role.HR: (OrgKind.COMPANY,),
    Role.ADMIN: (OrgKind.PROVINCE, OrgKind.COMPANY),
    Role.LEADER: (
        OrgKind.PROVINCE,
        OrgKind.COMPANY,
        OrgKind.MARKETING_CENTER,
        OrgKind.SERVICE_DEPARTMENT,
    ),
}

SUPERVISOR_ROLES = (
    Role.SERVICE_DEPT_SUPERVISOR,
    Role.MARKETING_CENTER_SUPERVISOR,
    Role.ASSESSMENT_CENTER,
)

# Roles that read and never write: every write path refuses them (DOMAIN.md §1).
READ_ONLY_ROLES = (Role.LEADER,)


def parent_kind_error(kind: str, parent_kind: str | None) -> str | None:
    """Why a unit of ``kind`` may not hang under a unit of ``parent_kind`` (None: no parent),
    or None when it may (PARENT_KINDS)."""
    allowed = PARENT_KINDS.get(kind, ())
    if parent_kind in allowed:
        return None
    if parent_kind is None:
        return _("A %(kind)s must sit under a %(parent)s.") % {
            "kind": OrgKind(kind).label,
            "parent": OrgKind(allowed[0]).label,
        }
    if None in allowed and len(allowed) == 1:
        return _("A %(kind)s has no parent unit.") % {"kind": OrgKind(kind).label}
    return _("A %(kind)s must sit under a %(parent)s.") % {
        "kind": OrgKind(kind).label,
        "parent": " / ".join(str(OrgKind(k).label) for k in allowed if k),
    }


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows where its rows sit in the org tree.

    Subclasses set ``org_path_lookup`` (a lookup ending at ``OrgUnit.path``) and
    ``manager_lookup`` (a lookup ending at the customer manager who owns the row, or
    ``None`` when customer managers see no rows of this model).
    """

    org_path_lookup: str = ""
    manager_lookup: str | None = None

    def visible_to(self, user):
        """The rows in ``user``'s subtree. A superuser outside the tree (``createsuperuser``)
        sees everything; one attached to an org unit is scoped like anyone else."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser and user.org_unit_id is None:
            return self.all()
        if user.role == Role.CUSTOMER_MANAGER:
            if self.manager_lookup is None:
                return self.none()
            return self.filter(**{self.manager_lookup: user.pk}).distinct()
        if user.org_unit_id is None:
            return self.none()
        return self.filter(**{f"{self.org_path_lookup}__startswith": user.org_unit.path})


class OrgUnitQuerySet(ScopedQuerySet):
    org_path_lookup = "path"
    manager_lookup = "territories__manager"

    def companies(self):
        """City companies (市公司): the units every monthly rule applies to."""
        return self.filter(kind=OrgKind.COMPANY, is_active=True).order_by("code")

    def centers(self, companies):
        """The marketing centers of these city companies that hold territories, by code: the
        parts of a monthly job split by marketing center (README "More workers")."""
        return self.filter(
            kind=OrgKind.MARKETING_CENTER,
            company__in=companies,
            pk__in=Territory.objects.values("department__parent"),
        ).order_by("code")

    def sole_company(self) -> "OrgUnit":
        """The one city company of a single-city deployment; with several, a caller must
        name the city (a clear error instead of a silent choice)."""
        companies = list(self.companies()[:2])
        if len(companies) != 1:
            raise ValidationError(
                _("Name the city company: this deployment has %(n)s.") % {"n": len(companies)}
                if companies
                else _("There is no city company yet.")
            )
        return companies[0]


class OrgUnit(models.Model):
    """A node of the org tree: [province →] company → marketing center → service department.

    ``path`` is a materialised path of primary keys ("/1/4/9/"), so a subtree is one
    indexed prefix match. ``company`` is the city company (市公司) the unit belongs to
    (itself for a company, none for a province): every monthly rule applies per city
    company. Both are maintained by ``accounts.services``.
    """

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrgKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False, default="")
    company = models.ForeignKey(
        "self",
        verbose_name=_("city company"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[OrgKind.PROVINCE, OrgKind.COMPANY]) | Q(parent__isnull=False),
                name="orgunit_root_is_province_or_company",
            ),
            models.CheckConstraint(
                condition=~Q(kind=OrgKind.PROVINCE) | Q(parent__isnull=True),
                name="orgunit_province_is_root",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[OrgKind.MARKETING_CENTER, OrgKind.SERVICE_DEPARTMENT])
                | Q(company__isnull=False),
                name="orgunit_company_set_below_company",
            ),
            models.CheckConstraint(
                condition=~Q(kind=OrgKind.PROVINCE) | Q(company__isnull=True),
                name="orgunit_province_has_no_company",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        message = parent_kind_error(self.kind, self.parent.kind if self.parent_id else None)
        if message:
            raise ValidationError({"parent": message})

    @property
    def is_company(self) -> bool:
        return self.kind == OrgKind.COMPANY

    def is_within(self, other):
        """True when this unit is ``other`` or lies in its subtree."""
        return self.path.startswith(other.path)


class OrgUnitMove(models.Model):
    """A dated move of an org unit to another parent (DOMAIN §9).

    The current tree (``OrgUnit.parent``, ``path``, ``company``) is the latest move; the moves
    are its history. A move is never dated after the day it is recorded, nor inside a month in
    review or published of the old or the new city (``accounts.services.org_unit_move``).
    """

    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.CASCADE, related_name="moves"
    )
    from_parent = models.ForeignKey(
        OrgUnit,
        verbose_name=_("from parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_parent = models.ForeignKey(
        OrgUnit,
        verbose_name=_("to parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    effective_from = models.DateField(_("effective from"))
    recorded_by = models.ForeignKey(
        "User",
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: recorded by a file import."),
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("org unit move")
        verbose_name_plural = _("org unit moves")
        ordering = ["unit", "-effective_from", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(to_parent=F("unit")), name="orgunitmove_not_under_itself"
            ),
            models.CheckConstraint(
                condition=~Q(from_parent=F("to_parent")), name="orgunitmove_changes_parent"
            ),
        ]
        indexes = [models.Index(fields=["unit", "effective_from"], name="orgunitmove_unit_date")]

    def __str__(self):
        old, new = self.from_parent or "—", self.to_parent or "—"
        return f"{self.unit} {self.effective_from}: {old} → {new}"


class UserQuerySet(ScopedQuerySet):
    org_path_lookup = "org_unit__path"
    manager_lookup = "pk"


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_user(self, employee_no, password=None, **fields):
        if not employee_no:
            raise ValueError("employee_no is required")
        user = self.model(employee_no=employee_no, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, employee_no, password=None, **fields):
        fields.setdefault("role", Role.ADMIN)
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(employee_no, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """An employee who logs in with their employee number (工号)."""

    employee_no = models.CharField(
        _("employee number"),
        max_length=20,
        unique=True,
        help_text=_("Used to log in."),
    )
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("org unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Can log in to the admin site."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_(
            "Set for a one-time initial code or a reset: the person must choose their own "
            "password at the next login."
        ),
    )

    objects = UserManager()

    USERNAME_FIELD = "employee_no"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["employee_no"]

    def __str__(self):
        return f"{self.name}（{self.employee_no}）"

    def get_full_name(self):
        return self.name

    def get_short_name(self):
        return self.name

    def clean(self):
        super().clean()
        if self.is_superuser and not self.org_unit_id:
            return
        allowed = ROLE_ORG_KINDS.get(self.role)
        if allowed and (self.org_unit is None or self.org_unit.kind not in allowed):
            raise ValidationError(
                {
                    "org_unit": _("A %(role)s belongs to a %(kind)s.")
                    % {
                        "role": Role(self.role).label,
                        "kind": " / ".join(str(OrgKind(k).label) for k in allowed),
                    }
                }
            )

    @property
    def company(self):
        """The user's city company, or None for a user at the province (or outside the tree)."""
        unit = self.org_unit
        if unit is None:
            return None
        return unit if unit.kind == OrgKind.COMPANY else unit.company

    @property
    def is_customer_manager(self):
        return self.role == Role.CUSTOMER_MANAGER

    @property
    def is_supervisor(self):
        return self.role in SUPERVISOR_ROLES

    @property
    def is_read_only(self):
        """A leader reads their subtree and records nothing, changes nothing."""
        return self.role in READ_ONLY_ROLES


class TerritoryQuerySet(ScopedQuerySet):
    org_path_lookup = "department__path"
    manager_lookup = "manager"


class Territory(models.Model):
    """A territory (片区): the retailers served by one customer manager."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    department = models.ForeignKey(
        OrgUnit,
        verbose_name=_("service department"),
        on_delete=models.PROTECT,
        related_name="territories",
        limit_choices_to={"kind": OrgKind.SERVICE_DEPARTMENT},
    )
    manager = models.OneToOneField(
        User,
        verbose_name=_("customer manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="territory",
        limit_choices_to={"role": Role.CUSTOMER_MANAGER},
    )
    # The territory's centre, used to place it on maps and to start walking routes.
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = TerritoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="territory_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="territory_longitude_range",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.department_id and self.department.kind != OrgKind.SERVICE_DEPARTMENT:
            raise ValidationError({"department": _("A territory belongs to a service department.")})
        if self.manager_id:
            if self.manager.role != Role.CUSTOMER_MANAGER:
                raise ValidationError(
                    {"manager": _("Only a customer manager can own a territory.")}
                )
            if self.department_id and self.manager.org_unit_id != self.department_id:
                raise ValidationError(
                    {"manager": _("The manager must belong to the territory's department.")}
                )


class InitialCodeSheetQuerySet(ScopedQuerySet):
    org_path_lookup = "org_unit__path"
    manager_lookup = None


class InitialCodeSheet(models.Model):
    """The one-time initial codes of the people one staff import created (DOMAIN.md §9).

    An admin downloads it once as .xlsx; the codes are then erased (``codes`` emptied,
    ``downloaded_at`` set). ``org_unit`` is the lowest unit containing every person on the
    sheet, so only admins of that subtree see it. A person's own password is never stored.
    """

    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+"
    )
    people = models.PositiveIntegerField(_("people"))
    codes = models.JSONField(_("codes"), default=list, blank=True)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    downloaded_by = models.ForeignKey(
        User,
        verbose_name=_("downloaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    downloaded_at = models.DateTimeField(_("downloaded at"), null=True, blank=True)

    objects = InitialCodeSheetQuerySet.as_manager()

    class Meta:
        verbose_name = _("initial codes sheet")
        verbose_name_plural = _("initial codes sheets")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(downloaded_at__isnull=True) | Q(codes=[]),
                name="initial_code_sheet_erased_after_download",
            ),
        ]

    def __str__(self):
        return f"{self.org_unit} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_downloaded(self) -> bool:
        return self.downloaded_at is not None


def city_company_field(**options):
    """The ``company`` of what belongs to one city company (市公司): its months, pay runs,
    rule overrides."""
    return models.ForeignKey(
        OrgUnit,
        verbose_name=_("city company"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrgKind.COMPANY},
        **options,
    )


def rule_company_field():
    """The ``company`` field of a rule model: empty for the province default (set once for
    every city), or the city company (市公司) that overrides it."""
    return city_company_field(
        null=True,
        blank=True,
        help_text=_("Empty: the province default for every city. A city: its own override."),
    )


class CityRuleQuerySet(models.QuerySet):
    """Versioned rules (classification rules, visit rules, assessment and pay schemes, …).

    A version is in force from its ``effective_from`` month. Versions without a company are
    the province defaults; versions with a city company override them for that city: in a
    month, a city uses its own latest version in force, or else the latest default.
    """

    def _latest(self, queryset):
        return queryset.order_by(*self.model._meta.ordering).first()

    def in_force(self, month, company=None):
        candidates = self.filter(effective_from__lte=month)
        if company is not None:
            own = self._latest(candidates.filter(company=company))
            if own is not None:
                return own
        return self._latest(candidates.filter(company__isnull=True))

    def in_force_for_unit(self, month, unit_id):
        """``in_force`` for the city company of the org unit ``unit_id`` in one query (the
        unit's company is found inside it): the city's latest version, else the default's."""
        city = (
            OrgUnit.objects.filter(pk=unit_id)
            .annotate(city=Case(When(kind=OrgKind.COMPANY, then=F("pk")), default=F("company")))
            .values("city")
        )
        return (
            self.filter(effective_from__lte=month)
            .filter(Q(company__isnull=True) | Q(company=Subquery(city)))
            .order_by(F("company").asc(nulls_last=True), *self.model._meta.ordering)
            .first()
        )

    def in_force_by_company(self, month, companies) -> dict:
        """{company id: version} for several cities, in two queries."""
        candidates = list(
            self.filter(effective_from__lte=month)
            .filter(Q(company__isnull=True) | Q(company__in=companies))
            .order_by(*self.model._meta.ordering)
        )
        default = next((rule for rule in candidates if rule.company_id is None), None)
        result = {}
        for company in companies:
            pk = getattr(company, "pk", company)
            result[pk] = next((r for r in candidates if r.company_id == pk), default)
        return result

    def for_company(self, company):
        """The versions that concern one city: its own and the defaults."""
        return self.filter(Q(company__isnull=True) | Q(company=company))
