"""Schemathesis against the WSGI app: the API keeps the schema it publishes at /api/schema/.

On the demo data, signed in as a customer manager and as the supervisor of his service
department, every operation of the schema gets generated requests, valid ones and invalid
ones, a fixed number per operation and derandomized (the same requests every run): no answer
may be a server error, and every answer's status code, content type and body must be what the
schema documents. An operation with an ``{id}`` is tried with generated ids and with the id of
a row the user sees, so the steps (review, respond, decide …) run on real rows too.

PostgreSQL pass only (``services``); about 40 seconds. ``API_FUZZ_EXAMPLES`` and
``API_FUZZ_USERS`` (employee numbers) make a longer run by hand.
"""

import os

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.errors import FailureGroup

from accounts.models import User
from retailers import demo as retailer_demo
from tests.schema_client import CHECKS, Session, signed_in

pytestmark = [pytest.mark.services, pytest.mark.django_db]

# Generated requests per operation, user and kind (valid, invalid; generated id, visible id).
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "6"))
# The demo's first customer manager and the supervisor of his service department.
USERS = {"customer manager": "100001", "supervisor": "501011"}
if os.environ.get("API_FUZZ_USERS"):
    USERS = {number: number for number in os.environ["API_FUZZ_USERS"].split(",")}


@pytest.fixture
def demo(monkeypatch):
    # A few shops per territory keep the seeding quick; every kind of row is still there.
    monkeypatch.setitem(retailer_demo.RETAILERS_PER_TERRITORY, "small", 6)
    call_command("seed_demo", "--size", "small", stdout=open(os.devnull, "w"))  # noqa: SIM115


def visible_id(session: Session, path: str):
    """The id of the first row the user sees in the collection of ``path`` (or None)."""
    response = session.client.get(path.split("{")[0])
    data = response.json() if response.status_code == 200 else None
    rows = data.get("results") if isinstance(data, dict) else data
    if rows and isinstance(rows[0], dict) and "id" in rows[0]:
        return rows[0]["id"]
    return None


def exercise(operation, session: Session) -> list[str]:
    """Run the generated requests of one operation; the failures, one line per kind."""
    pk = visible_id(session, operation.path) if "{id}" in operation.path else None
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
        if pk is not None:
            strategies.append(
                operation.as_strategy(generation_mode=mode, path_parameters={"id": pk})
            )
    failures = {}

    @hypothesis_settings(
        max_examples=EXAMPLES * len(strategies),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def run(case):
        response = case.call(headers=session.headers, cookies=session.cookies)
        try:
            case.validate_response(response, checks=CHECKS, headers=session.headers)
        except FailureGroup as group:  # keep the first request of each kind of failure
            for failure in group.exceptions:
                message = " ".join(failure.message.split())[:300]
                body = response.text[:300] if response.status_code >= 400 else ""
                failures.setdefault(
                    failure.title,
                    f"{operation.label}: {failure.title} ({message}) "
                    f"{case.method} {case.formatted_path} {case.query or ''} {body}",
                )

    run()
    return list(failures.values())


def test_api_keeps_its_schema(demo, same_connection):
    failures = []
    for role, employee_no in USERS.items():
        session = signed_in(User.objects.get(employee_no=employee_no))
        schema = session.schema()
        for result in schema.get_all_operations():
            failures += [f"{role}: {line}" for line in exercise(result.ok(), session)]
    assert failures == [], "\n".join(failures)
