"""``manage.py export_bonus_sheet YYYY-MM --out FILE``."""

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from tests.reports.test_export_sheet import make_run


def test_writes_xlsx_and_csv_by_extension(org, tmp_path, capsys):
    make_run(org, approved=True)
    call_command("export_bonus_sheet", "2026-10", "--out", str(tmp_path / "sheet.xlsx"))
    assert "4 managers" in capsys.readouterr().out
    sheets = pd.read_excel(tmp_path / "sheet.xlsx", sheet_name=None)
    assert list(sheets) == ["汇总", "A营销部", "B营销部"]
    call_command("export_bonus_sheet", "2026-10", "--out", str(tmp_path / "sheet.csv"))
    assert (tmp_path / "sheet.csv").read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.django_db
def test_no_run_for_the_month(tmp_path):
    with pytest.raises(CommandError, match="no pay run for 2026-09"):
        call_command("export_bonus_sheet", "2026-09", "--out", str(tmp_path / "s.xlsx"))
    assert not (tmp_path / "s.xlsx").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("args", [["2026-9x", "--out", "s.xlsx"], ["2026-10", "--out", "s.pdf"]])
def test_bad_arguments(args):
    with pytest.raises(CommandError):
        call_command("export_bonus_sheet", *args)
