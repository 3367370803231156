"""The coverage report of the three supervision levels (层层监控, DOMAIN.md §4).

For a month: in each service department, which managers level 3 inspected at least twice
(the rest are the gaps); in each marketing center, the share of its managers inspected by
level 2; in each city company, the share inspected by level 1. Inspections count by the date
they were made (``inspected_on`` in the month); withdrawn ones do not count.

A fixed number of queries whatever the size of the org: the org units, the managers, and
one aggregate of inspections grouped by (manager, level).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count

from accounts.models import OrgKind, OrgUnit, Role, User
from retailers.models import add_months, month_start

from .models import Inspection, Level

# --- Minimum coverage per month (DOMAIN.md §4) -------------------------------------------------
# Defaults of the company; the scheme has no fields for them yet, so they live here, in one place.
LEVEL3_MIN_INSPECTIONS_PER_MANAGER = 2  # level 3: every manager of the department, ≥ 2 times
LEVEL2_MIN_SHARE = Decimal("0.30")  # level 2: ≥ 30 % of the center's managers
LEVEL1_MIN_SHARE = Decimal("0.10")  # level 1: ≥ 10 % of the company's managers


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class ManagerGap:
    manager: User
    inspections: int


@dataclass
class DepartmentCoverage:
    unit: OrgUnit
    managers: int = 0
    covered: int = 0  # managers with ≥ LEVEL3_MIN_INSPECTIONS_PER_MANAGER level-3 inspections
    gaps: list[ManagerGap] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.gaps


@dataclass
class ShareCoverage:
    unit: OrgUnit
    minimum: Decimal
    managers: int = 0
    inspected: int = 0

    @property
    def percent(self) -> Decimal | None:
        return _percent(self.inspected, self.managers)

    @property
    def share(self) -> Decimal | None:
        """Inspected ÷ managers (shown with ``|pct``)."""
        return Decimal(self.inspected) / self.managers if self.managers else None

    @property
    def required(self) -> int:
        """The number of managers the minimum share asks for (rounded up)."""
        needed = self.minimum * self.managers
        return int(needed.to_integral_value(rounding="ROUND_CEILING"))

    @property
    def ok(self) -> bool:
        return self.inspected >= self.required


@dataclass
class CoverageReport:
    month: date
    departments: list[DepartmentCoverage]
    centers: list[ShareCoverage]
    companies: list[ShareCoverage]
    level3_minimum: int = LEVEL3_MIN_INSPECTIONS_PER_MANAGER
    level2_minimum: Decimal = LEVEL2_MIN_SHARE
    level1_minimum: Decimal = LEVEL1_MIN_SHARE

    @property
    def company(self) -> ShareCoverage | None:
        """The city company of a user inside one city (level 1 is per city company)."""
        return self.companies[0] if len(self.companies) == 1 else None


def coverage_report(*, user, month: date) -> CoverageReport:
    """The coverage of ``month`` for the org units the user can see."""
    first = month_start(month)
    end = add_months(first, 1)
    units = {unit.pk: unit for unit in OrgUnit.objects.visible_to(user).order_by("path")}
    managers = list(
        User.objects.filter(
            role=Role.CUSTOMER_MANAGER, is_active=True, org_unit_id__in=list(units)
        ).order_by("employee_no")
    )
    counts = defaultdict(dict)  # manager id → {level: n}
    for row in (
        Inspection.objects.filter(
            manager__in=[m.pk for m in managers],
            withdrawn=False,
            inspected_on__gte=first,
            inspected_on__lt=end,
        )
        .values("manager_id", "level")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[row["manager_id"]][row["level"]] = row["n"]

    departments = {
        pk: DepartmentCoverage(unit=unit)
        for pk, unit in units.items()
        if unit.kind == OrgKind.SERVICE_DEPARTMENT
    }
    centers = {
        pk: ShareCoverage(unit=unit, minimum=LEVEL2_MIN_SHARE)
        for pk, unit in units.items()
        if unit.kind == OrgKind.MARKETING_CENTER
    }
    companies = {
        pk: ShareCoverage(unit=unit, minimum=LEVEL1_MIN_SHARE)
        for pk, unit in units.items()
        if unit.kind == OrgKind.COMPANY
    }

    for manager in managers:
        levels = counts.get(manager.pk, {})
        department = departments.get(manager.org_unit_id)
        if department is not None:
            department.managers += 1
            n = levels.get(Level.DEPARTMENT, 0)
            if n >= LEVEL3_MIN_INSPECTIONS_PER_MANAGER:
                department.covered += 1
            else:
                department.gaps.append(ManagerGap(manager=manager, inspections=n))
            center = centers.get(department.unit.parent_id)
            if center is not None:
                center.managers += 1
                center.inspected += bool(levels.get(Level.CENTER))
        company = companies.get(units[manager.org_unit_id].company_id)
        if company is not None:
            company.managers += 1
            company.inspected += bool(levels.get(Level.COMPANY))

    return CoverageReport(
        month=first,
        departments=list(departments.values()),
        centers=list(centers.values()),
        companies=list(companies.values()),
    )
