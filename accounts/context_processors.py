"""Navigation by role.

Each entry names a URL and the roles that see it (``None``: every signed-in user).
Later features append their entries here so the menu stays in one place.
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

INSPECTING = (
    Role.SERVICE_DEPT_SUPERVISOR,
    Role.MARKETING_CENTER_SUPERVISOR,
    Role.ASSESSMENT_CENTER,
)
ASSESSING = (Role.CUSTOMER_MANAGER, *INSPECTING)
ASSESSMENT_ADMIN = (Role.ASSESSMENT_CENTER, Role.ADMIN)

NAVIGATION = [
    {"url": "home", "label": _("Home"), "roles": None},
    {"url": "visits:today", "label": _("Today's route"), "roles": (Role.CUSTOMER_MANAGER,)},
    {"url": "visits:list", "label": _("Visits"), "roles": None},
    {
        "url": "visits:list",
        "query": "flagged=true",
        "label": _("Flagged visits"),
        "roles": SUPERVISING,
    },
    {"url": "retailers:list", "label": _("Retailers"), "roles": None},
    {"url": "visits:shelf_rates", "label": _("Shelf-placement rate"), "roles": None},
    {"url": "visits:info_feed", "label": _("Market information"), "roles": SUPERVISING},
    {"url": "visits:complaints", "label": _("Complaints"), "roles": None},
    {"url": "visits:work_plans", "label": _("Work plans"), "roles": None},
    {"url": "visits:surveys", "label": _("Satisfaction"), "roles": SUPERVISING},
    {"url": "assessment:my_score", "label": _("My score"), "roles": (Role.CUSTOMER_MANAGER,)},
    {"url": "assessment:appeals", "label": _("Appeals"), "roles": ASSESSING},
    {"url": "assessment:ranking", "label": _("Scores"), "roles": SUPERVISING},
    {"url": "assessment:inspect", "label": _("Inspect"), "roles": INSPECTING},
    {"url": "assessment:inspections", "label": _("Inspections"), "roles": SUPERVISING},
    {"url": "assessment:coverage", "label": _("Inspection coverage"), "roles": SUPERVISING},
    {"url": "assessment:months", "label": _("Assessment months"), "roles": ASSESSMENT_ADMIN},
    {"url": "assessment:audit", "label": _("Audit trail"), "roles": ASSESSMENT_ADMIN},
    {"url": "accounts:org_tree", "label": _("Organisation"), "roles": SUPERVISING},
    {"url": "retailers:import", "label": _("Imports"), "roles": (Role.ADMIN,)},
    {"url": "admin:index", "label": _("Administration"), "roles": (Role.ADMIN,)},
    {"url": "swagger-ui", "label": _("API"), "roles": (Role.ADMIN,)},
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
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
                "active": current == entry["url"] and request.GET.urlencode() == query,
            }
        )
    return {"nav_items": items}
