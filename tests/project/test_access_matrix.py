"""The access matrix: every route of the product (tests/routes.py, from the URLconf and the
API router) × every role, with center A's objects.

- anonymous reaches only the login page, the health check, the manifest and the service
  worker; every other page sends it to the login page and every API route refuses it;
- an object of center A is 404 for the users of center B (every page, action and API
  detail), and a manager's own object is 404 for the other manager of the same department;
- inside the subtree the object's first reader gets it (not 404);
- no route answers any role with a server error;
- API lists of center B's users hold none of center A's rows.

A new route with an object in its URL fails ``test_every_object_route_is_in_the_matrix``
until it is added to ``OBJECTS``. Role rules that need more than a URL (no one decides their
own appeal, approves their own run, inspects outside their subtree) are tested at their
services: tests/assessment/test_close_month.py, tests/reports/test_pay_run.py and
tests/accounts/test_leader.py.
"""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from jobs.models import JobRun
from tests.accounts import test_leader
from tests.routes import product_routes
from visits.models import VisitPhoto

pytestmark = pytest.mark.django_db
# The leader tests' world: in each center a retailer, a visit with a photo, information, a
# complaint, a lead, scores in review with a deduction, a bonus and an appeal, a pay run …
leaders = test_leader.leaders
world = test_leader.world

# Routes anonymous may reach, with the status it gets.
PUBLIC = {
    "login": {200},
    "healthz": {200, 503},
    "visits:service_worker": {200},
    "visits:manifest": {200},
    # Changes no data: switching the language (a redirect) and signing out (POST only).
    "set_language": {302, 204},
    "logout": {405},
}

# Route name → (how to find center A's object in ``targets``, first reader inside the
# subtree, whether the object is one manager's own). ``None`` as reader: no reader check
# (the object lacks what the route serves, e.g. an inspection without a photo).
OBJECTS = {
    "accounts:territory_detail": ("territory", "a.dept_supervisor", False),
    "accounts:person_password_reset": ("cm", "admin", False),
    "accounts:code_sheet_download": ("code_sheet", None, False),  # none in the world
    "retailers:detail": ("shop", "a.cm", False),
    "retailers:override": ("shop", "a.dept_supervisor", False),
    "retailers:register": ("territory", "a.dept_supervisor", False),
    "retailers:import_sample": ("sample", "admin", False),
    "visits:plan_move": ("plan", "a.cm", True),
    "visits:plan_reschedule": ("plan", "a.cm", True),
    "visits:detail": ("visit", "a.dept_supervisor", True),
    "visits:review": ("visit", "a.dept_supervisor", True),
    "visits:photo": ("photo", "a.dept_supervisor", True),
    "visits:info_detail": ("lead", "a.dept_supervisor", True),
    "visits:info_review": ("lead", "a.dept_supervisor", True),
    "visits:lead_update": ("lead", "a.cm", True),
    "visits:complaint_detail": ("complaint", "a.dept_supervisor", False),
    "visits:complaint_action": ("complaint", "a.dept_supervisor", False),
    "visits:work_plan_submit": ("work_plan", "a.cm", True),
    "assessment:score_detail": ("score", "a.dept_supervisor", True),
    "assessment:appeal_file": ("inspection", "a.cm", True),
    "assessment:appeal_visit": ("visit", "a.cm", True),
    "assessment:appeal_info_item": ("lead", "a.cm", True),
    "assessment:inspection_photo": ("inspection", None, True),
    "assessment:appeal_decide": ("appeal", "a.center_supervisor", True),
    "reports:tier_decide": ("proposal", "admin", True),
    "reports:export_job": ("job", "hr", False),
    "reports:export_job_status": ("job", "hr", False),
    "reports:export_download": ("job", None, False),  # the job of the world has no file
    "reports:export_retry": ("job", "hr", False),
    "jobs:job": ("job_run", "assessor", False),
    "jobs:job_retry": ("job_run", "assessor", False),
    # API details and actions.
    "orgunit-detail": ("department", "a.dept_supervisor", False),
    "territory-detail": ("territory", "a.dept_supervisor", False),
    "user-detail": ("cm", "a.dept_supervisor", True),
    "retailer-detail": ("shop", "a.cm", False),
    "orderline-detail": ("order_line", "a.dept_supervisor", False),
    "salestarget-detail": ("sales_target", "a.dept_supervisor", True),
    "classificationrecord-detail": ("class_record", None, False),  # none in the world
    "visitplan-detail": ("plan", "a.cm", True),
    "visit-detail": ("visit", "a.dept_supervisor", True),
    "visit-review": ("visit", "a.dept_supervisor", True),
    "visit-photos": ("visit_client_id", "a.cm", True),
    "information-detail": ("lead", "a.dept_supervisor", True),
    "information-lead": ("lead", "a.cm", True),
    "information-review": ("lead", "a.dept_supervisor", True),
    "complaints-detail": ("complaint", "a.dept_supervisor", False),
    "complaints-close": ("complaint", "a.dept_supervisor", False),
    "complaints-resolve": ("complaint", "a.dept_supervisor", False),
    "complaints-respond": ("complaint", "a.dept_supervisor", False),
    "surveys-detail": ("survey", "a.dept_supervisor", False),
    "work-plans-detail": ("work_plan", "a.cm", True),
    "work-plans-submit": ("work_plan", "a.cm", True),
    "inspection-detail": ("inspection", "a.dept_supervisor", True),
    "bonuspoint-detail": ("bonus", "a.dept_supervisor", True),
    "appeal-detail": ("appeal", "a.center_supervisor", True),
    "appeal-decide": ("appeal", "a.center_supervisor", True),
    "managerscore-detail": ("score", "a.dept_supervisor", True),
    "payrun-detail": ("run", "hr", False),
    "payline-detail": ("pay_line", "hr", True),
}
# Company-wide rows every signed-in user of the company may read (no subtree), and the
# report exports, whose parameter is a report of the user's own scope, not an object.
UNSCOPED = {
    "reports:report_export",
    "brand-detail",
    "assessmentscheme-detail",
    "shelftarget-detail",
    "shelf-rates-detail",
}

OUTSIDERS = ("b.cm", "b.dept_supervisor", "b.center_supervisor")
SWEEPERS = ("a.cm", "a.dept_supervisor", "assessor", "hr", "admin", "leaders.company")
# API lists: route name → the target of center A that center B's users must not see.
LISTS = {
    "retailer-list": "shop",
    "visit-list": "visit",
    "visitplan-list": "plan",
    "information-list": "lead",
    "complaints-list": "complaint",
    "surveys-list": "survey",
    "work-plans-list": "work_plan",
    "inspection-list": "inspection",
    "bonuspoint-list": "bonus",
    "appeal-list": "appeal",
    "managerscore-list": "score",
    "territory-list": "territory",
    "user-list": "cm",
    "orgunit-list": "department",
}


def user_of(org, leaders, label):
    if label.startswith("leaders."):
        return getattr(leaders, label.split(".", 1)[1])
    user = org
    for part in label.split("."):
        user = getattr(user, part)
    return user


@pytest.fixture
def targets(org, world):
    from retailers.models import ClassificationRecord, OrderLine, SalesTarget
    from tests.factories import OrderLineFactory

    OrderLineFactory(retailer=world.shop_a)
    SalesTarget.objects.create(
        manager=org.a.cm, month=world.score_a.assessment.month, total_boxes=Decimal("10")
    )
    record = ClassificationRecord.objects.filter(retailer=world.shop_a).first()
    values = {
        "territory": org.a.territory.pk,
        "department": org.a.department.pk,
        "cm": org.a.cm.pk,
        "code_sheet": 1,
        "job_run": JobRun.objects.create(
            kind="close", company=org.company, month=world.score_a.assessment.month
        ).pk,
        "shop": world.shop_a.pk,
        "sample": "retailers.csv",
        "plan": world.plan.pk,
        "visit": world.visit_a.pk,
        "visit_client_id": world.visit_a.client_id,
        "photo": VisitPhoto.objects.get(visit=world.visit_a).pk,
        "lead": world.lead_a.pk,
        "complaint": world.complaint_a.pk,
        "survey": world.survey_a.pk,
        "work_plan": world.work_plan.pk,
        "score": world.score_a.pk,
        "inspection": world.inspection_a.pk,
        "bonus": world.bonus_a.pk,
        "appeal": world.appeal_a.pk,
        "proposal": world.proposal.pk,
        "job": world.job.pk,
        "run": world.run.pk,
        "pay_line": world.line.pk,
        "report": "ranking",
        "order_line": OrderLine.objects.get(retailer=world.shop_a).pk,
        "sales_target": SalesTarget.objects.get(manager=org.a.cm).pk,
        "class_record": record.pk if record else 0,
    }
    return SimpleNamespace(values=values)


def url_for(route, targets):
    key = OBJECTS[route.name][0]
    value = targets.values[key]
    return route.url({"pk": value, "client_id": value, "name": value, "code": value})


def request(client, route, url, method="get"):
    if route.api:
        return getattr(client, method)(url, format="json")
    return getattr(client, method)(url)


def api(user):
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def is_object_route(route):
    return "<" in route.pattern or "(?P<pk>" in route.pattern or "(?P<client_id>" in route.pattern


def test_every_object_route_is_in_the_matrix():
    missing = [
        r.name
        for r in product_routes()
        if is_object_route(r) and r.name not in OBJECTS and r.name not in UNSCOPED
    ]
    assert missing == [], "add these routes to OBJECTS (or UNSCOPED) in this test"


def test_anonymous_reaches_only_the_public_routes(targets):
    client = api(None)
    for route in product_routes():
        url = url_for(route, targets) if route.name in OBJECTS else route.url({})
        response = request(client, route, url)
        if route.name in PUBLIC:
            assert response.status_code in PUBLIC[route.name], (route.name, url)
        elif route.api or route.name in ("schema", "swagger-ui"):
            assert response.status_code in (401, 403), (route.name, url, response.status_code)
        else:
            assert response.status_code == 302, (route.name, url, response.status_code)
            assert response["Location"].startswith("/login/"), (route.name, url)


def test_center_a_objects_are_404_outside_and_readable_inside(org, leaders, targets):
    checked = 0
    for route in product_routes():
        if route.name not in OBJECTS:
            continue
        _key, reader, own = OBJECTS[route.name]
        url = url_for(route, targets)
        method = "get"
        if reader is not None:
            response = request(api(user_of(org, leaders, reader)), route, url)
            if response.status_code == 405:
                method = "post"
                response = request(api(user_of(org, leaders, reader)), route, url, "post")
            assert response.status_code != 404, (route.name, url, reader)
            assert response.status_code < 500, (route.name, url, reader)
        outsiders = OUTSIDERS + (("a.cm2",) if own else ())
        for label in outsiders:
            response = request(api(user_of(org, leaders, label)), route, url, method)
            if method == "get" and response.status_code == 405:
                response = request(api(user_of(org, leaders, label)), route, url, "post")
            assert response.status_code == 404, (route.name, url, label, response.status_code)
            checked += 1
    assert checked > 150


def test_no_route_answers_any_role_with_a_server_error(org, leaders, targets):
    clients = {label: api(user_of(org, leaders, label)) for label in SWEEPERS}
    for route in product_routes():
        if route.name in ("logout",):
            continue
        url = url_for(route, targets) if route.name in OBJECTS else route.url({})
        for label, client in clients.items():
            response = request(client, route, url)
            assert response.status_code < 500, (route.name, url, label)


def test_api_lists_of_center_b_hold_nothing_of_center_a(org, leaders, targets):
    for label in (*OUTSIDERS, "a.cm2"):
        client = api(user_of(org, leaders, label))
        for name, key in LISTS.items():
            own = OBJECTS.get(name.replace("-list", "-detail"), (None, None, False))[2]
            if label == "a.cm2" and not own:
                continue
            route = next(r for r in product_routes() if r.name == name)
            response = client.get(route.url({}), {"page_size": 500})
            assert response.status_code in (200, 404), (name, label)
            if response.status_code == 200:
                body = response.json()
                rows = body["results"] if isinstance(body, dict) else body
                assert targets.values[key] not in {row.get("id") for row in rows}, (name, label)
