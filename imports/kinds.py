"""What can be imported, which importer does it, and the entry point ``import_file``."""

from __future__ import annotations

from pathlib import Path

from django.db import models, transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy, pgettext_lazy

from .reading import FileError, Table
from .report import ImportReport
from .selectors import file_limits


class ImportKind(models.TextChoices):
    """In the order a new company brings its files (README "Bringing a company in")."""

    ORG_UNITS = "org_units", gettext_lazy("Org units")
    STAFF = "staff", gettext_lazy("Staff")
    TERRITORIES = "territories", pgettext_lazy("import kind", "Territories")
    BRANDS = "brands", gettext_lazy("Brands")
    RETAILERS = "retailers", gettext_lazy("Retailers")
    RETAILER_STATUSES = "retailer_statuses", gettext_lazy("Retailer status changes")
    VIOLATIONS = "violations", gettext_lazy("Violations")
    ORDERS = "orders", gettext_lazy("Order lines")
    TARGETS = "targets", gettext_lazy("Targets")
    HANDOVERS = "handovers", gettext_lazy("Territory handovers and coverings")
    HOLIDAYS = "holidays", gettext_lazy("Holiday calendar")
    VISITS = "visits", gettext_lazy("Historical visits")


# Each kind's importer, in the app whose models it writes: a RowImporter subclass or any
# callable ``(header, **options)`` returning an object with ``run(table, report, dry_run=)``.
IMPORTERS = {
    ImportKind.ORG_UNITS: "accounts.imports.org_units.OrgUnitImporter",
    ImportKind.STAFF: "accounts.imports.staff.StaffImporter",
    ImportKind.TERRITORIES: "accounts.imports.territories.TerritoryImporter",
    ImportKind.BRANDS: "retailers.imports.brands.BrandImporter",
    ImportKind.RETAILERS: "retailers.imports.retailers.RetailerImporter",
    ImportKind.RETAILER_STATUSES: "retailers.imports.statuses.RetailerStatusImporter",
    ImportKind.VIOLATIONS: "retailers.imports.violations.ViolationImporter",
    ImportKind.ORDERS: "retailers.imports.orders.OrderImporter",
    ImportKind.TARGETS: "retailers.imports.targets.target_importer_for",
    ImportKind.HANDOVERS: "retailers.imports.handovers.HandoverImporter",
    ImportKind.HOLIDAYS: "visits.imports.holidays.HolidayImporter",
    ImportKind.VISITS: "visits.imports.visits.VisitImporter",
}

# The sample files of each kind, in ``retailers/samples/``: one small company, consistent
# with the demo data (tests/project/test_onboarding.py imports them all, in this order).
SAMPLES_DIR = Path(__file__).resolve().parent.parent / "retailers" / "samples"
SAMPLES = {
    ImportKind.ORG_UNITS: ["org_units.csv"],
    ImportKind.STAFF: ["staff.csv"],
    ImportKind.TERRITORIES: ["territories.csv"],
    ImportKind.BRANDS: ["brands.csv"],
    ImportKind.RETAILERS: ["retailers.csv", "retailers_gb18030.csv"],
    ImportKind.RETAILER_STATUSES: ["retailer_statuses.csv"],
    ImportKind.VIOLATIONS: ["violations.csv"],
    ImportKind.ORDERS: ["orders.csv", "orders.xlsx"],
    ImportKind.TARGETS: ["targets_sales.csv", "targets_shelf.csv"],
    ImportKind.HANDOVERS: ["handovers.csv"],
    ImportKind.HOLIDAYS: ["holidays.csv"],
    ImportKind.VISITS: ["visits.csv"],
}


def importer_for(kind: str, header: list[str], **options):
    factory = import_string(IMPORTERS[ImportKind(kind)])
    return (
        factory.for_header(header, **options)
        if hasattr(factory, "for_header")
        else factory(header, **options)
    )


def import_file(
    kind: str,
    path: str | Path,
    *,
    filename: str | None = None,
    dry_run: bool = False,
    company=None,
    **options,
) -> ImportReport:
    """Import one file of ``kind`` (see ImportKind); return its report.

    ``filename`` is the name the user gave the file (an upload's temp file has another).
    ``options`` go to the importer: ``on`` is the effective date of retailer assignments
    (default: today); ``method`` forces the order staging path (``copy`` or ``insert``), for
    tests and benchmarks. The file is held to the limits in force for ``company`` (the
    uploader's city company; none: the province default), see ``imports.models.FileLimits``;
    ``datum`` is the coordinate datum of a file without a 坐标系 column.
    (default: today); ``datum`` the datum of a file's coordinates without a 坐标系 column
    (WGS-84, GCJ-02 or BD-09); ``method`` forces the order staging path (``copy`` or
    ``insert``), for tests and benchmarks.
    """
    limits = file_limits(company)
    kind = ImportKind(kind)
    report = ImportReport(kind=kind, dry_run=dry_run)
    try:
        with Table(path, filename, limits) as table, transaction.atomic():
            importer = importer_for(kind, table.header, limits=limits, **options)
            importer.run(table, report, dry_run=dry_run)
            if not report.ok or dry_run:
                transaction.set_rollback(True)
    except FileError as exc:
        report.add_error(exc.row, "", "", exc.reason)
    if not report.ok:
        report.fail()
    return report
