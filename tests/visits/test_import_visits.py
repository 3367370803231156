"""Historical visits from a previous system (import kind ``visits``, DOMAIN.md §9).

The sample ``retailers/samples/visits.csv`` holds 17 visits in 24 rows (3 visits without
observations, 21 shelf observations): 15 valid, 2 imported as invalid. It deliberately
contains what would flag a phone visit (a 2-minute visit, two check-ins one minute apart,
a check-in about 1 km from the shop, a visit without a position): imported visits raise
no flags.
"""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Territory
from imports.kinds import ImportKind, import_file
from retailers.models import Brand, Retailer, RetailerAssignment
from tests.retailers.conftest import SAMPLES
from visits.models import (
    LocationStatus,
    ShelfObservation,
    ShelfRateRollup,
    Visit,
    VisitPlan,
    VisitSource,
    VisitStatus,
)
from visits.selectors.plans import plan_completion_counts

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
SAMPLE = SAMPLES / "visits.csv"
HEADER = [
    "来源编号",
    "许可证号",
    "客户经理工号",
    "签到时间",
    "签退时间",
    "纬度",
    "经度",
    "坐标系",
    "有效",
    "备注",
    "规格编码",
    "上柜",
    "零售价",
    "库存",
]
NEW_BRAND = "6901000000606"


@pytest.fixture
def company(sample_org):
    """The sample company with the sample brands and retailers (assigned from 2026-10-01)."""
    for kind, name in ((ImportKind.BRANDS, "brands.csv"), (ImportKind.RETAILERS, "retailers.csv")):
        report = import_file(kind, SAMPLES / name, on=date(2026, 10, 1))
        assert report.ok, report.errors
    return sample_org


def import_sample(**options):
    return import_file(ImportKind.VISITS, SAMPLE, **options)


def visit(source_id):
    return Visit.objects.get(external_id=source_id)


def test_sample_imports_as_reviewed_visits_without_flags(company, english):
    report = import_sample()

    assert report.errors == []
    assert (report.rows, report.created, report.updated, report.unchanged) == (24, 24, 0, 0)
    assert dict(report.details) == {
        "Visits created": 17,
        "Visits updated": 0,
        "Shelf observations created": 21,
        "Shelf observations updated": 0,
        "Months whose shelf-placement rates are refreshed": 2,
    }
    assert Visit.objects.count() == 17
    assert ShelfObservation.objects.count() == 21
    assert set(Visit.objects.values_list("source", flat=True)) == {VisitSource.IMPORTED}
    assert Visit.objects.valid().count() == 15
    invalid = Visit.objects.filter(status=VisitStatus.INVALID).order_by("external_id")
    assert [(v.external_id, v.review_note) for v in invalid] == [
        ("ZF-2026-10-0009", "Imported as invalid"),
        ("ZF-2026-11-0007", "Imported as invalid"),
    ]
    # Already reviewed, never in the flagged-visit queue.
    assert Visit.objects.flagged().count() == 0
    assert not Visit.objects.filter(reviewed_at__isnull=True).exists()
    assert set(Visit.objects.valid().values_list("review_note", flat=True)) == {""}

    first = visit("ZF-2026-10-0001")
    assert first.checked_in_at == datetime(2026, 10, 3, 1, 10, tzinfo=UTC)  # 09:10 in Shanghai
    assert first.checked_out_at == datetime(2026, 10, 3, 1, 25, tzinfo=UTC)
    assert first.check_in_date == date(2026, 10, 3)
    assert first.manager == company.managers["100001"]
    assert first.territory.code == "3299-01-01-01"
    assert first.retailer.license_no == "329901100001"
    assert sorted(
        (o.brand.code, o.on_shelf, o.retail_price, o.stock_level) for o in first.shelf.all()
    ) == [
        ("6901000000101", True, Decimal("28.50"), "normal"),
        (NEW_BRAND, True, Decimal("21.00"), "low"),
    ]
    assert all(o.observed_at == first.checked_in_at for o in first.shelf.all())

    far = visit("ZF-2026-11-0006")  # 0.009° north of the shop: 1,001 m
    assert (far.distance_m, far.flag_far) == (1001, False)
    short = visit("ZF-2026-11-0002")  # two minutes, one minute after ZF-2026-11-0001
    assert (short.flag_short, short.flag_rapid) == (False, False)
    unlocated = visit("ZF-2026-10-0010")
    assert (unlocated.latitude, unlocated.location_status) == (None, LocationStatus.UNAVAILABLE)
    assert unlocated.flag_no_location is False
    assert visit("ZF-2026-10-0008").shelf.count() == 0
    assert visit("ZF-2026-11-0003").checked_out_at is None
    assert visit("ZF-2026-10-0002").notes == "店主想进新禾"


def test_imported_visits_are_listed_for_their_manager(company, client):
    import_sample()
    manager = company.managers["100001"]
    assert Visit.objects.visible_to(manager).count() == 8
    assert Visit.objects.visible_to(company.managers["100007"]).count() == 6
    client.force_login(manager)
    response = client.get(reverse("visits:list"), {"date_from": "2026-10-01"})
    assert response.status_code == 200
    assert "学府便利店" not in response.content.decode()  # 100002's shop
    assert "车站食杂店" in response.content.decode()


def test_coordinates_are_stored_in_wgs84(company):
    import_sample()
    # The GCJ-02 row (31.958020, 118.845347) and the BD-09 row (32.075300, 118.813645).
    gcj = visit("ZF-2026-10-0003")
    assert (gcj.latitude, gcj.longitude) == (Decimal("31.960150"), Decimal("118.840260"))
    bd = visit("ZF-2026-11-0005")
    assert (bd.latitude, bd.longitude) == (Decimal("32.071049"), Decimal("118.802040"))
    wgs = visit("ZF-2026-10-0001")
    assert (wgs.latitude, wgs.longitude) == (Decimal("31.951300"), Decimal("118.846400"))


def test_datum_option_for_a_file_without_the_column(company, write_csv, english):
    header = [h for h in HEADER if h != "坐标系"]
    row = ["A-1", "329901100003", "100001", "2026-10-05 10:00", "", "31.958020", "118.845347"]
    path = write_csv([header, [*row, "是", "", "", "", "", ""]])

    refused = import_file(ImportKind.VISITS, path)
    assert [(e.row, e.column, e.reason) for e in refused.errors] == [
        (
            2,
            "坐标系",
            "Coordinates need a datum: fill in 坐标系 (WGS-84, GCJ-02 or BD-09) "
            "or choose one for the whole file.",
        )
    ]
    assert Visit.objects.count() == 0

    report = import_file(ImportKind.VISITS, path, datum="GCJ-02")
    assert report.ok, report.errors
    stored = visit("A-1")
    assert (stored.latitude, stored.longitude) == (Decimal("31.960150"), Decimal("118.840260"))
    # The shop is at 31.960100, 118.840200: 0.00005° north (5.56 m) and 0.00006° east
    # (0.00006 × 111,195 m × cos 31.96° = 5.66 m): √(5.56² + 5.66²) = 7.9 m.
    assert stored.distance_m == 8


def test_same_file_twice_changes_nothing(company, django_capture_on_commit_callbacks):
    import_sample()
    before = list(Visit.objects.order_by("pk").values())
    with django_capture_on_commit_callbacks() as callbacks:
        again = import_sample()
    assert again.ok
    assert (again.created, again.updated, again.unchanged) == (0, 0, 24)
    assert list(Visit.objects.order_by("pk").values()) == before
    assert ShelfObservation.objects.count() == 21
    assert callbacks == []  # nothing changed, nothing to refresh


def test_a_changed_file_updates_the_visit(company, write_csv):
    import_sample()
    rows = [line.split(",") for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    for cells in rows:
        if cells[0] == "ZF-2026-10-0004":
            cells[8] = "否"  # the previous system now says invalid
            if cells[10] == NEW_BRAND:
                cells[11] = "是"
    report = import_file(ImportKind.VISITS, write_csv(rows))
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 2, 22)
    changed = visit("ZF-2026-10-0004")
    assert changed.status == VisitStatus.INVALID
    assert changed.shelf.get(brand__code=NEW_BRAND).on_shelf is True


def test_shelf_rate_after_the_queued_refresh(
    company, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_sample()
    assert len(callbacks) == 2  # October and November

    brand = Brand.objects.get(code=NEW_BRAND)
    territory = Territory.objects.get(code="3299-01-01-01")

    def rollup(month, code):
        return ShelfRateRollup.objects.get(
            month=month,
            brand=brand,
            level="territory",
            scope_id=Territory.objects.get(code=code).pk,
            abc_class="",
        )

    # October, 3299-01-01-01 (shops 1, 2, 3, all active): the latest valid observation of
    # 新禾 says shop 1 not on shelf (10-20, after 是 on 10-03), shop 2 on shelf (10-25, after
    # 否 on 10-03), shop 3 on shelf (10-05): 2 of 3.
    october = rollup(date(2026, 10, 1), territory.code)
    assert (october.observed_on_shelf, october.active_retailers) == (2, 3)
    # 3299-02-01-01: shop 6 on shelf, shop 7 visited without observations, shop 8's visit
    # imported as invalid: 1 of 3.
    north = rollup(date(2026, 10, 1), "3299-02-01-01")
    assert (north.observed_on_shelf, north.active_retailers) == (1, 3)
    # 3299-01-01-02: shop 4 on shelf; shop 5 is suspended (its observation counts nowhere).
    south = rollup(date(2026, 10, 1), "3299-01-01-02")
    assert (south.observed_on_shelf, south.active_retailers) == (1, 1)
    # November, 3299-01-01-01: shop 1 on shelf, shop 2 not, shop 3 visited without
    # observations: 1 of 3.
    november = rollup(date(2026, 11, 1), territory.code)
    assert (november.observed_on_shelf, november.active_retailers) == (1, 3)


def test_imported_visits_complete_plans(company):
    import_sample()
    manager = company.managers["100001"]
    territory = Territory.objects.get(code="3299-01-01-01")

    def plan(licence, start, end):
        return VisitPlan.objects.create(
            manager=manager,
            territory=territory,
            retailer=Retailer.objects.get(license_no=licence),
            month=date(2026, 11, 1),
            window_start=start,
            window_end=end,
            planned_class="A",
            scheduled_for=start,
        )

    plan("329901100001", date(2026, 11, 1), date(2026, 11, 7))  # visited 11-04
    plan("329901100002", date(2026, 11, 1), date(2026, 11, 7))  # visited 11-04
    plan("329901100003", date(2026, 11, 1), date(2026, 11, 7))  # visited 11-18 only
    plan("329901100003", date(2026, 11, 15), date(2026, 11, 21))  # visited 11-18
    assert plan_completion_counts(month=date(2026, 11, 1))[manager.pk] == {
        "planned": 4,
        "completed": 3,
    }


def test_visit_territory_is_the_one_on_the_check_in_date(company):
    """A retailer moved on 2026-11-01: its October visit stays in the old territory."""
    retailer = Retailer.objects.get(license_no="329901100002")
    old = retailer.territory
    new = Territory.objects.get(code="3299-01-01-02")
    RetailerAssignment.objects.filter(retailer=retailer).update(valid_to=date(2026, 11, 1))
    RetailerAssignment.objects.create(
        retailer=retailer, territory=new, manager=new.manager, valid_from=date(2026, 11, 1)
    )
    Retailer.objects.filter(pk=retailer.pk).update(territory=new)
    import_sample()
    assert visit("ZF-2026-10-0002").territory == old
    assert visit("ZF-2026-11-0002").territory == new


def bad_file(write_csv):
    good = [
        "V-1",
        "329901100001",
        "100001",
        "2026-10-03 09:10",
        "2026-10-03 09:25",
        "31.951300",
        "118.846400",
        "WGS-84",
        "是",
        "",
        NEW_BRAND,
        "是",
        "21.00",
        "正常",
    ]

    def row(**changes):
        cells = list(good)
        for key, value in changes.items():
            cells[HEADER.index(key)] = value
        return cells

    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    return write_csv(
        [
            HEADER,
            good,  # 2
            row(来源编号="V-2", 许可证号="329901199999"),  # 3 unknown licence
            row(来源编号="V-3", 客户经理工号="123456"),  # 4 unknown employee
            row(来源编号="V-4", 客户经理工号="900001"),  # 5 an admin
            row(来源编号="V-5", 签退时间="2026-10-03 09:00"),  # 6 out before in
            row(来源编号="V-6", 规格编码="6901000009999"),  # 7 unknown brand
            good,  # 8 duplicate (source id, brand)
            row(规格编码="6901000000101", 备注="另一次"),  # 9 disagrees with row 2
            row(来源编号="V-7", 签到时间=future, 签退时间=""),  # 10 in the future
            row(来源编号="V-8", 纬度="2.5"),  # 11 latitude out of range
            row(来源编号="V-9", 经度="140.0"),  # 12 longitude out of range
            row(来源编号="V-10", 规格编码="", 上柜=""),  # 13 price without brand
            row(来源编号="V-11", 签到时间="2026/10/03"),  # 14 no time
        ]
    )


def test_bad_rows_are_refused_whole_with_reasons(company, write_csv, english):
    report = import_file(ImportKind.VISITS, bad_file(write_csv))

    assert not report.ok
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (3, "许可证号", "329901199999", "No retailer has this licence number."),
        (4, "客户经理工号", "123456", "No user has this employee number."),
        (5, "客户经理工号", "900001", "This user is not a customer manager."),
        (6, "签退时间", "2026-10-03 09:00:00", "The check-out is before the check-in."),
        (7, "规格编码", "6901000009999", "No brand has this code."),
        (8, "来源编号", f"V-1 / {NEW_BRAND}", "Duplicate of row 2."),
        (9, "备注", "另一次", "Rows of one source id describe one visit; row 2 says “”."),
        (10, "签到时间", report.errors[7].value, "The visit is in the future."),
        (11, "纬度", "2.500000", "A latitude lies between 3 and 54 degrees north."),
        (12, "经度", "140.000000", "A longitude lies between 73 and 136 degrees east."),
        (13, "零售价", "21.00", "A shelf observation needs the brand code (规格编码)."),
        (
            14,
            "签到时间",
            "2026/10/03",
            "Not a date and time; use YYYY-MM-DD HH:MM (Asia/Shanghai).",
        ),
    ]
    assert report.created == 0
    assert Visit.objects.count() == 0
    assert ShelfObservation.objects.count() == 0


def test_old_visit_imports_while_the_phone_api_still_refuses_it(company, write_csv):
    manager = company.managers["100001"]
    retailer = Retailer.objects.get(license_no="329901100001")
    three_months_ago = timezone.localtime() - timedelta(days=92)
    at = three_months_ago.strftime("%Y-%m-%d %H:%M")
    path = write_csv([HEADER, ["OLD-1", retailer.license_no, "100001", at, *[""] * 10]])
    report = import_file(ImportKind.VISITS, path)
    assert report.ok, report.errors
    assert visit("OLD-1").check_in_date == three_months_ago.date()

    api = APIClient()
    api.force_authenticate(manager)
    checked_in = datetime.now(TZ).replace(microsecond=0) - timedelta(days=32)
    response = api.post(
        reverse("visit-list"),
        {
            "client_id": str(uuid.uuid4()),
            "retailer": retailer.pk,
            "checked_in_at": checked_in.isoformat(),
            "checked_out_at": (checked_in + timedelta(minutes=10)).isoformat(),
            "location_status": "denied",
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "checked_in_at" in response.json()
    assert Visit.objects.count() == 1


def test_command_dry_run_and_import(company, capsys):
    call_command("import_visits", str(SAMPLE), "--dry-run")
    assert Visit.objects.count() == 0
    call_command("import_visits", str(SAMPLE))
    assert Visit.objects.count() == 17
    out = capsys.readouterr().out
    assert "24" in out


def test_command_reports_errors(company, write_csv):
    path = write_csv([HEADER, ["X", "329901199999", "100001", "2026-10-03 09:10", *[""] * 10]])
    with pytest.raises(CommandError):
        call_command("import_visits", str(path))
    assert Visit.objects.count() == 0


def test_upload_page_imports_visits_with_a_datum(client, company, write_csv):
    from django.core.files.uploadedfile import SimpleUploadedFile

    header = [h for h in HEADER if h != "坐标系"]
    row = ["U-1", "329901100003", "100001", "2026-10-05 10:00", "", "31.958020", "118.845347"]
    content = "\n".join(",".join(r) for r in [header, [*row, "", "", "", "", "", ""]])
    client.force_login(company.admin)
    response = client.post(
        reverse("retailers:import"),
        {
            "kind": "visits",
            "datum": "gcj02",
            "file": SimpleUploadedFile("visits.csv", content.encode()),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response.context["report"].errors == []
    assert visit("U-1").latitude == Decimal("31.960150")


def visits_file(write_csv, count, name):
    """``count`` visits to the sample shops in October, two observations each."""
    licences = list(Retailer.objects.order_by("license_no").values_list("license_no", flat=True))
    rows = [HEADER]
    for n in range(count):
        at = f"2026-10-{1 + n % 28:02d} {8 + n % 10:02d}:{n % 60:02d}"
        for brand in ("6901000000101", NEW_BRAND):
            rows.append(
                [f"Q-{n}", licences[n % len(licences)], "100001", at, "", "", "", "", "是", ""]
                + [brand, "是" if n % 3 else "否", "", ""]
            )
    return write_csv(rows, name=name)


def test_queries_do_not_grow_with_the_rows(company, write_csv):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # 30 visits stay inside one INSERT on SQLite (999 parameters, 25 per visit).
    small, large = visits_file(write_csv, 5, "small.csv"), visits_file(write_csv, 30, "large.csv")
    with CaptureQueriesContext(connection) as few:
        assert import_file(ImportKind.VISITS, small).ok
    Visit.objects.all().delete()
    with CaptureQueriesContext(connection) as many:
        report = import_file(ImportKind.VISITS, large)
    assert (report.ok, report.created) == (True, 60)
    assert ShelfObservation.objects.count() == 60
    assert len(many) == len(few)


def test_xlsx_date_and_time_cells(company, write_xlsx):
    at = datetime(2026, 10, 5, 10, 0, 30)
    path = write_xlsx([HEADER, ["X-1", "329901100003", "100001", at, at + timedelta(minutes=12)]])
    report = import_file(ImportKind.VISITS, path)
    assert report.ok, report.errors
    stored = visit("X-1")
    assert stored.checked_in_at == datetime(2026, 10, 5, 2, 0, 30, tzinfo=UTC)
    assert stored.checked_out_at == datetime(2026, 10, 5, 2, 12, 30, tzinfo=UTC)


def test_detail_page_and_api_say_imported(company, client, english):
    import_sample()
    manager = company.managers["100007"]
    invalid = visit("ZF-2026-10-0009")
    client.force_login(manager)
    response = client.get(reverse("visits:detail", args=[invalid.pk]), HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Imported from the previous system (source id ZF-2026-10-0009)" in body
    assert "(Imported as invalid)" in body
    other = visit("ZF-2026-10-0001")  # 100001's visit
    assert client.get(reverse("visits:detail", args=[other.pk])).status_code == 404

    api = APIClient()
    api.force_authenticate(manager)
    data = api.get(reverse("visit-detail", args=[invalid.pk])).json()
    assert (data["source"], data["external_id"], data["flagged"]) == (
        "imported",
        "ZF-2026-10-0009",
        False,
    )
