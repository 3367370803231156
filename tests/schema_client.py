"""Calls to the WSGI app that Schemathesis checks against the published schema (/api/schema/).

A ``Session`` is a logged-in user's cookies and CSRF header, as the phone sends them; the
schema is read from /api/schema/ with them. ``keep_connection`` must be in force while calls go
through the WSGI handler inside a test's transaction (see ``same_connection`` in
tests/project/conftest.py).
"""

import json
from dataclasses import dataclass

import schemathesis
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils.crypto import get_random_string
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application

# No server error, and the status code, content type and body the schema documents.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Session:
    client: Client
    cookies: dict
    headers: dict

    def schema(self):
        response = self.client.get("/api/schema/", {"format": "json"})
        assert response.status_code == 200, response.status_code
        schema = schemathesis.openapi.from_dict(json.loads(response.content))
        schema.app = application
        return schema

    def call(self, schema, method, path, *, query=None, body=None, **path_parameters):
        """Call ``method path`` (the schema's template, e.g. ``/api/v1/visits/{id}/``) and
        check the answer against the schema; the response."""
        kwargs = {"path_parameters": path_parameters, "query": query}
        if body is not None:
            kwargs.update(body=body, media_type="application/json")
        case = schema[path][method].Case(**kwargs)
        response = case.call(headers=self.headers, cookies=self.cookies)
        case.validate_response(response, checks=CHECKS, headers=self.headers)
        return response


def signed_in(user) -> Session:
    client = Client()
    client.force_login(user)
    token = get_random_string(32)
    cookies = {
        settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
        settings.CSRF_COOKIE_NAME: token,
    }
    return Session(client=client, cookies=cookies, headers={"X-CSRFToken": token})


def keep_connection(monkeypatch):
    """Django's handler closes the connection around each request (which would end the test's
    transaction); the test client unhooks this the same way."""
    monkeypatch.setattr(connection, "close_if_unusable_or_obsolete", lambda: None)
