import pytest

from tests.schema_client import keep_connection


@pytest.fixture
def same_connection(monkeypatch):
    """WSGI calls (Schemathesis) run inside the test's transaction."""
    keep_connection(monkeypatch)
