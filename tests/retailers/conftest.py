"""Fixtures for the import tests: the sample files (``sample_org``, ``english``, ``write_csv``
and ``write_xlsx`` are in tests/conftest.py, shared with the other apps' imports)."""

from pathlib import Path

from django.conf import settings

SAMPLES = Path(settings.BASE_DIR) / "retailers" / "samples"
