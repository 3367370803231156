"""The import_* management commands: report output, exit status, --dry-run, --effective-date."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

from retailers.models import Brand, OrderLine, RetailerAssignment

from .conftest import SAMPLES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().splitlines()


def test_imports_print_the_counts(sample_org):
    assert run("import_brands", str(SAMPLES / "brands.csv"))[:3] == [
        "6 rows: 6 created, 0 updated, 0 unchanged.",
        "Key-brand months flagged: 4",
        "Key-brand months removed: 0",
    ]
    lines = run(
        "import_retailers", str(SAMPLES / "retailers.csv"), "--effective-date", "2026-10-01"
    )
    assert lines == [
        "8 rows: 8 created, 0 updated, 0 unchanged.",
        "Moved to another territory: 0",
        "Assignments opened: 8",
        "Status changes recorded: 0",
        "Retailers whose current status changed: 0",
    ]
    assert set(RetailerAssignment.objects.values_list("valid_from", flat=True)) == {
        date(2026, 10, 1)
    }
    assert run("import_orders", str(SAMPLES / "orders.xlsx")) == [
        "20 rows: 20 created, 0 updated, 0 unchanged."
    ]
    assert run("import_targets", str(SAMPLES / "targets_shelf.csv")) == [
        "4 rows: 4 created, 0 updated, 0 unchanged."
    ]


def test_dry_run_writes_nothing(sample_org):
    lines = run("import_brands", str(SAMPLES / "brands.csv"), "--dry-run")
    assert lines[0] == (
        "Check only, nothing was written. 6 rows: 6 created, 0 updated, 0 unchanged."
    )
    assert Brand.objects.count() == 0


def test_a_file_with_errors_fails_and_lists_them(sample_org, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "订单号,许可证号,规格编码,订单日期,数量（条）,金额（元）,按时结算\n"
        "DD1,329901100001,6901000000101,2026-10-08,0,1,是\n"
        "DD2,329901199999,6901000000101,2026-10-08,1,1,是\n",
        encoding="utf-8",
    )
    out = StringIO()
    with pytest.raises(CommandError, match=r"^3 errors; nothing was imported\.$"):
        call_command("import_orders", str(path), stdout=out)
    assert out.getvalue().splitlines() == [
        "3 errors found in 2 rows; nothing was imported.",
        "Row 2, column 数量（条）, value “0”: Must not be 0 (a return has a negative quantity).",
        "Row 3, column 许可证号, value “329901199999”: No retailer has this licence number.",
        "Row 3, column 规格编码, value “6901000000101”: No brand has this code.",
    ]
    assert OrderLine.objects.count() == 0


def test_exit_status_is_non_zero_on_errors(sample_org, tmp_path, capsys):
    path = tmp_path / "brands.csv"
    path.write_text("规格编码\n6901\n", encoding="utf-8")
    command = load_command_class("retailers", "import_brands")
    with pytest.raises(SystemExit) as exit_info:
        command.run_from_argv(["manage.py", "import_brands", str(path)])
    assert exit_info.value.code == 1
    assert "1 error; nothing was imported." in capsys.readouterr().err


def test_missing_file(sample_org):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_orders", "/nonexistent/orders.csv", stdout=StringIO())
