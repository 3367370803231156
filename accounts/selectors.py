"""Reads of the org tree, scoped to the user asking."""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from .models import OrgKind, OrgUnit, Role, Territory, User


@dataclass
class OrgNode:
    unit: OrgUnit
    children: list["OrgNode"] = field(default_factory=list)
    territories: list[Territory] = field(default_factory=list)


def org_tree_for(user) -> list[OrgNode]:
    """The visible part of the org tree as nested nodes, in two queries."""
    units = list(OrgUnit.objects.visible_to(user).order_by("path"))
    territories = Territory.objects.visible_to(user).select_related("manager").order_by("code")
    nodes = {unit.pk: OrgNode(unit) for unit in units}
    for territory in territories:
        node = nodes.get(territory.department_id)
        if node is not None:
            node.territories.append(territory)
    roots = []
    for unit in units:
        parent = nodes.get(unit.parent_id)
        if parent is None:
            roots.append(nodes[unit.pk])
        else:
            parent.children.append(nodes[unit.pk])
    return roots


def scope_summary_for(user) -> dict:
    """Head counts of what the user can see, for the home page (two queries)."""
    territory_counts = Territory.objects.visible_to(user).aggregate(
        territories=Count("pk", filter=Q(is_active=True)),
        unassigned=Count("pk", filter=Q(is_active=True, manager__isnull=True)),
    )
    people = (
        User.objects.visible_to(user)
        .filter(is_active=True)
        .aggregate(
            managers=Count("pk", filter=Q(role=Role.CUSTOMER_MANAGER)),
            supervisors=Count(
                "pk",
                filter=Q(
                    role__in=[
                        Role.SERVICE_DEPT_SUPERVISOR,
                        Role.MARKETING_CENTER_SUPERVISOR,
                        Role.ASSESSMENT_CENTER,
                    ]
                ),
            ),
        )
    )
    return {**territory_counts, **people}


def territory_colleagues(territory: Territory):
    """The supervisors responsible for a territory: its department's and center's."""
    department = territory.department
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(role=Role.SERVICE_DEPT_SUPERVISOR, org_unit_id=department.pk)
            | Q(role=Role.MARKETING_CENTER_SUPERVISOR, org_unit_id=department.parent_id)
        )
        .select_related("org_unit")
        .order_by("role", "employee_no")
    )


def city_companies(code: str | None = None) -> list[OrgUnit]:
    """The city companies a monthly job runs for: the one with ``code``, or every one.
    Raises OrgUnit.DoesNotExist for a code that is not a city company."""
    companies = OrgUnit.objects.companies()
    if code:
        return [companies.get(code=code)]
    return list(companies)


def companies_visible_to(user) -> list[OrgUnit]:
    """The city companies whose months, pay runs and sheets the user may see: those in their
    subtree, or the one above them."""
    if user is None or not user.is_authenticated:
        return []
    if user.is_superuser and user.org_unit_id is None:
        return list(OrgUnit.objects.companies())
    if user.org_unit_id is None:
        return []
    if user.org_unit.kind == OrgKind.PROVINCE:
        return list(OrgUnit.objects.companies().filter(path__startswith=user.org_unit.path))
    company = user.company
    return [company] if company is not None else []


def company_chosen(user, company_id) -> OrgUnit | None:
    """The city a page works on: the one asked for (``?company=``), or the user's own (the
    first they see). None when they see none, or asked for a city they may not see (the
    page then answers 404)."""
    companies = companies_visible_to(user)
    if company_id:
        return next((c for c in companies if str(c.pk) == str(company_id)), None)
    return companies[0] if companies else None
