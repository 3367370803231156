import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_missing_migrations():
    # Exits non-zero (SystemExit) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_data_migrations_are_restored_for_transactional_tests():
    """Every RunPython of the project is listed in tests.conftest.MIGRATION_DATA."""
    from django.conf import settings
    from django.db.migrations import RunPython
    from django.db.migrations.loader import MigrationLoader

    from tests.conftest import MIGRATION_DATA

    base = str(settings.BASE_DIR)
    found = set()
    for migration in MigrationLoader(None, ignore_no_migrations=True).disk_migrations.values():
        module = __import__(migration.__module__, fromlist=["_"])
        if not module.__file__.startswith(base) or "/.venv/" in module.__file__:
            continue
        for operation in migration.operations:
            if isinstance(operation, RunPython):
                found.add((migration.__module__, operation.code.__name__))
    assert found == set(MIGRATION_DATA)
