"""Navigation by role.

Each entry names a URL, the menu group it sits in and the roles that see it (``None``:
every signed-in user). Later features append their entries here so the menu stays in one
place. A group with one visible entry shows as a plain link, otherwise as a dropdown.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Role

SUPERVISING = (
    Role.SERVICE_DEPT_SUPERVISOR,
    Role.MARKETING_CENTER_SUPERVISOR,
    Role.ASSESSMENT_CENTER,
    Role.HR,
    Role.ADMIN,
)

# Read-only pages that a leader (领导) reads as well; a leader sees no pay and no audit.
READING = (*SUPERVISING, Role.LEADER)

INSPECTING = (
    Role.SERVICE_DEPT_SUPERVISOR,
    Role.MARKETING_CENTER_SUPERVISOR,
    Role.ASSESSMENT_CENTER,
)
ASSESSING = (Role.CUSTOMER_MANAGER, *INSPECTING)
ASSESSMENT_ADMIN = (Role.ASSESSMENT_CENTER, Role.ADMIN)

GROUPS = {
    "visits": _("Field work"),
    "feedback": _("Feedback"),
    "assessment": _("Assessment"),
    "pay": _("Pay"),
    "system": _("System"),
}

NAVIGATION = [
    {"url": "home", "label": _("Home"), "roles": None},
    {
        "url": "reports:dashboard",
        "label": _("Dashboard"),
        "roles": (*INSPECTING, Role.ADMIN, Role.LEADER),
    },
    {"url": "reports:alerts", "label": _("Alerts"), "roles": None},
    {
        "url": "visits:today",
        "label": _("Today's route"),
        "roles": (Role.CUSTOMER_MANAGER,),
        "group": "visits",
    },
    {"url": "visits:list", "label": _("Visits"), "roles": None, "group": "visits"},
    {
        "url": "visits:list",
        "query": "flagged=true",
        "group": "visits",
        "label": _("Flagged visits"),
        "roles": READING,
    },
    {"url": "retailers:list", "label": _("Retailers"), "roles": None},
    {
        "url": "visits:shelf_rates",
        "label": _("Shelf-placement rate"),
        "roles": None,
        "group": "visits",
    },
    {
        "url": "visits:info_feed",
        "label": _("Market information"),
        "roles": READING,
        "group": "feedback",
    },
    {"url": "visits:complaints", "label": _("Complaints"), "roles": None, "group": "feedback"},
    {"url": "visits:work_plans", "label": _("Work plans"), "roles": None, "group": "feedback"},
    {
        "url": "visits:surveys",
        "label": _("Satisfaction"),
        "roles": READING,
        "group": "feedback",
    },
    {
        "url": "assessment:my_score",
        "label": _("My score"),
        "roles": (Role.CUSTOMER_MANAGER,),
        "group": "assessment",
    },
    {"url": "assessment:appeals", "label": _("Appeals"), "roles": ASSESSING, "group": "assessment"},
    {
        "url": "assessment:ranking",
        "label": _("Scores"),
        "roles": READING,
        "group": "assessment",
    },
    {
        "url": "assessment:inspect",
        "label": _("Inspect"),
        "roles": INSPECTING,
        "group": "assessment",
    },
    {
        "url": "assessment:inspections",
        "label": _("Inspections"),
        "roles": READING,
        "group": "assessment",
    },
    {
        "url": "assessment:coverage",
        "label": _("Inspection coverage"),
        "roles": READING,
        "group": "assessment",
    },
    {
        "url": "assessment:months",
        "label": _("Assessment months"),
        "roles": ASSESSMENT_ADMIN,
        "group": "assessment",
    },
    {
        "url": "assessment:adjustments",
        "label": _("Late data and adjustments"),
        "roles": (Role.ASSESSMENT_CENTER, Role.HR, Role.ADMIN),
        "group": "assessment",
    },
    {
        "url": "reports:visit_completion",
        "label": _("Visit completion"),
        "roles": READING,
        "group": "visits",
    },
    {
        "url": "reports:class_changes",
        "label": _("Classification changes"),
        "roles": READING,
        "group": "visits",
    },
    {
        "url": "reports:order_anomalies",
        "label": _("Order anomalies"),
        "roles": (Role.CUSTOMER_MANAGER, *INSPECTING, Role.ADMIN, Role.LEADER),
        "group": "visits",
    },
    {
        "url": "reports:my_pay",
        "label": _("My pay"),
        "roles": (Role.CUSTOMER_MANAGER,),
        "group": "pay",
    },
    {
        "url": "reports:pay_run",
        "label": _("Pay run"),
        "roles": (Role.HR, Role.ADMIN),
        "group": "pay",
    },
    {
        "url": "reports:what_if",
        "label": _("Pay what-if"),
        "roles": (Role.HR, Role.ASSESSMENT_CENTER, Role.ADMIN),
        "group": "pay",
    },
    {
        "url": "reports:bonus_sheet",
        "label": _("Bonus sheets"),
        "roles": (Role.HR, Role.ADMIN),
        "group": "pay",
    },
    {
        "url": "reports:tier_history",
        "label": _("Tier history"),
        "roles": (Role.CUSTOMER_MANAGER, *SUPERVISING),
        "group": "pay",
    },
    {
        "url": "reports:tier_review",
        "label": _("Tier review"),
        "roles": (Role.ADMIN,),
        "group": "pay",
    },
    {
        "url": "assessment:audit",
        "label": _("Audit trail"),
        "roles": ASSESSMENT_ADMIN,
        "group": "system",
    },
    {
        "url": "accounts:org_tree",
        "label": _("Organisation"),
        "roles": READING,
        "group": "system",
    },
    {"url": "retailers:import", "label": _("Imports"), "roles": (Role.ADMIN,), "group": "system"},
    {"url": "accounts:people", "label": _("People"), "roles": (Role.ADMIN,), "group": "system"},
    {
        "url": "accounts:code_sheets",
        "label": _("Initial codes"),
        "roles": (Role.ADMIN,),
        "group": "system",
    },
    {"url": "admin:index", "label": _("Administration"), "roles": (Role.ADMIN,), "group": "system"},
    {"url": "swagger-ui", "label": _("API"), "roles": (Role.ADMIN,), "group": "system"},
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_menu": []}
    current = request.resolver_match.view_name if request.resolver_match else ""
    items = []
    for entry in NAVIGATION:
        roles = entry["roles"]
        if roles is not None and user.role not in roles and not user.is_superuser:
            continue
        url = reverse(entry["url"])
        query = entry.get("query", "")
        items.append(
            {
                "url": f"{url}?{query}" if query else url,
                "label": entry["label"],
                "group": entry.get("group"),
                "active": current == entry["url"] and request.GET.urlencode() == query,
            }
        )
    return {"nav_items": items, "nav_menu": _menu(items)}


def _menu(items):
    """Top-level entries in order: single links, and groups (dropdowns) of 2+ links."""
    grouped = {}
    for item in items:
        if item["group"]:
            grouped.setdefault(item["group"], []).append(item)
    menu, seen = [], set()
    for item in items:
        group = item["group"]
        if group is None or len(grouped[group]) == 1:
            menu.append({"link": item})
        elif group not in seen:
            seen.add(group)
            children = grouped[group]
            menu.append(
                {
                    "label": GROUPS[group],
                    "children": children,
                    "active": any(child["active"] for child in children),
                }
            )
    return menu
