"""The import fixtures (``english``, ``write_csv``, ``write_xlsx``) for the accounts imports."""

from tests.retailers.conftest import english, write_csv, write_xlsx  # noqa: F401
