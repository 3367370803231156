"""Reads of the org tree, scoped to the user asking."""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from .models import OrgUnit, Role, Territory, User


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
