"""Fixtures of the visit tests: the sample company of the import tests, for the visit import."""

from tests.retailers.conftest import english, sample_org, write_csv, write_xlsx

__all__ = ["english", "sample_org", "write_csv", "write_xlsx"]
