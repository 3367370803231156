"""The order inbox (DOMAIN.md §9): order files dropped into a folder are imported by a
scheduled task through the order import, then moved aside with their report.

``settings.ORDERS_INBOX_DIR`` names the folder (empty: off). Every ``*.csv`` / ``*.xlsx``
file directly in it that has not been modified for ``ORDERS_INBOX_STABLE_SECONDS`` (so a
file the sender is still writing is left for the next run) is imported whole or not at all,
moved to ``done/`` or ``failed/`` with ``<name>.report.txt`` beside it, and recorded as an
``OrderFileDrop``. Running it again finds nothing to do; a file dropped twice imports as
"unchanged" (the order import is idempotent on order number and brand).
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from imports.kinds import ImportKind, import_file

from .models import OrderFileDrop, OrderFileStatus

SUFFIXES = (".csv", ".xlsx")
DONE, FAILED = "done", "failed"


def inbox_folder() -> Path | None:
    folder = settings.ORDERS_INBOX_DIR
    return Path(folder) if folder else None


def waiting_files(folder: Path, now: datetime) -> list[Path]:
    """The order files ready to import, oldest first (unchanged for the stable delay)."""
    if not folder.is_dir():
        return []
    stable_before = (now - timedelta(seconds=settings.ORDERS_INBOX_STABLE_SECONDS)).timestamp()
    files = [
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.suffix.lower() in SUFFIXES
        and not path.name.startswith(".")
        and path.stat().st_mtime <= stable_before
    ]
    return sorted(files, key=lambda path: (path.stat().st_mtime, path.name))


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or with a counter before the suffix when that name is taken."""
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 1
    while target.exists():
        target = folder / f"{stem}.{n}{suffix}"
        n += 1
    return target


def order_file_import(*, path: Path, folder: Path) -> OrderFileDrop:
    """Import one order file, move it aside with its report, record it."""
    received_at = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone())
    report = import_file(ImportKind.ORDERS, path, filename=path.name)
    status = OrderFileStatus.DONE if report.ok else OrderFileStatus.FAILED
    target_dir = folder / (DONE if report.ok else FAILED)
    target_dir.mkdir(exist_ok=True)
    target = _free_name(target_dir, path.name)
    shutil.move(str(path), target)
    text = "\n".join(report.lines())
    target.with_name(target.name + ".report.txt").write_text(text + "\n", encoding="utf-8")
    drop = OrderFileDrop(
        name=path.name,
        moved_to=str(target),
        received_at=received_at,
        status=status,
        rows=report.rows,
        created=report.created,
        report=text,
    )
    drop.full_clean()
    drop.save()
    return drop


def order_inbox_import(*, now: datetime | None = None) -> list[OrderFileDrop]:
    """Import every order file waiting in the inbox (none when the inbox is off)."""
    folder = inbox_folder()
    if folder is None:
        return []
    now = now or timezone.now()
    return [order_file_import(path=path, folder=folder) for path in waiting_files(folder, now)]
