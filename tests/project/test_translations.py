"""Every user-facing string has a Chinese translation, and the compiled catalogue is current."""

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_compiled_catalogue_matches_po():
    po = polib.pofile(str(PO))
    mo = gettext.GNUTranslations(MO.open("rb"))
    for entry in po.translated_entries():
        if entry.msgid_plural:
            continue
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        assert mo._catalog.get(key) == entry.msgstr, f"{entry.msgid!r}: run `make messages`"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_every_marked_string_is_translated(tmp_path):
    """Extract the strings afresh into a copy of the catalogue; none may lack a msgstr."""
    base = Path(settings.BASE_DIR)
    work = tmp_path / "src"
    ignore = shutil.ignore_patterns(
        ".venv", ".git", "staticfiles", "media", "tests", "__pycache__", "*.sqlite3", "artifacts"
    )
    shutil.copytree(base, work, ignore=ignore)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "DEBUG": "1"},
    )
    assert result.returncode == 0, result.stderr
    po = polib.pofile(str(work / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
    assert missing == [], "untranslated or fuzzy strings; run `make messages` and translate them"
