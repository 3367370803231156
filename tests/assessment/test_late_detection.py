"""Late data is detected where it arrives (DOMAIN §4): data dated in a month in review or
published — through the phone API, the supervisors' reviews, the feedback services and the
imports — is recorded once as a ``LateEntry`` of that month, with its city, kind and the
manager it counts for; data of a draft or missing month records nothing."""

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import OrgKind
from assessment.models import AssessmentMonth, LateEntry, LateKind, MonthState
from imports.kinds import import_file
from imports.report import LATE_LABEL
from retailers.imports.orders import OrderImporter
from retailers.imports.targets import note_late_shelf_target
from retailers.models import OrderLine, SalesTarget, ShelfTarget, month_start
from tests.factories import (
    BrandFactory,
    CompanyFactory,
    OrderLineFactory,
    OrgUnitFactory,
    RetailerFactory,
)
from visits.models import Visit, VisitSource
from visits.services import feedback
from visits.services.visits import visit_review

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
TZ = ZoneInfo("Asia/Shanghai")
OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)
LOCKED = [MonthState.PUBLISHED, MonthState.REVIEW]


def lock(org, day, state=MonthState.PUBLISHED):
    AssessmentMonth.objects.get_or_create(
        company=org.company, month=month_start(day), defaults={"state": state}
    )


def entries():
    """(kind, month, manager id, company id, object id) of every entry."""
    return sorted(
        LateEntry.objects.values_list("kind", "month", "manager_id", "company_id", "object_id"),
        key=str,
    )


def at(day, hour=10):
    return datetime.combine(day, datetime.min.time(), TZ).replace(hour=hour)


@pytest.fixture
def shop(org):
    return RetailerFactory(territory=org.a.territory, abc_class="C")


# --- Visits from the phone ----------------------------------------------------------------


def post_visit(client, shop, checked_in, **extra):
    body = {
        "client_id": str(uuid.uuid4()),
        "retailer": shop.pk,
        "checked_in_at": checked_in.isoformat(),
        "checked_out_at": (checked_in + timedelta(minutes=10)).isoformat(),
        "latitude": "31.950000",
        "longitude": "118.850000",
        "location_status": "ok",
        **extra,
    }
    response = client.post(reverse("visit-list"), body, format="json")
    assert response.status_code == 201, response.content
    return body, response.json()


@pytest.mark.parametrize("state", LOCKED)
def test_a_visit_dated_in_a_locked_month_is_late_once(org, shop, state):
    client = APIClient()
    client.force_authenticate(org.a.cm)
    checked_in = timezone.now().astimezone(TZ).replace(microsecond=0) - timedelta(days=10)
    lock(org, checked_in.date(), state)
    body, visit = post_visit(
        client, shop, checked_in, information=[{"kind": "price", "content": "涨价"}]
    )

    month = month_start(checked_in.date())
    assert entries() == [(LateKind.VISIT, month, org.a.cm.pk, org.company.pk, visit["id"])]
    entry = LateEntry.objects.get()
    assert entry.month_state == state and entry.day == checked_in.date()
    assert entry.note == f"走访 {shop.shop_name}（{checked_in.date():%Y-%m-%d}），信息 1 条"
    # The phone retries the same visit: it is answered from the database, one entry stays.
    again = client.post(reverse("visit-list"), body, format="json")
    assert again.status_code in (200, 201) and LateEntry.objects.count() == 1


def test_a_visit_with_an_overdue_complaint_is_late_twice(org, shop):
    """The complaint's 72 h deadline passed before it arrived: overdue, in a locked month."""
    client = APIClient()
    client.force_authenticate(org.a.cm)
    checked_in = timezone.now().astimezone(TZ).replace(microsecond=0) - timedelta(days=10)
    deadline = (checked_in + timedelta(hours=72)).date()
    lock(org, checked_in.date())
    lock(org, deadline)
    _body, visit = post_visit(client, shop, checked_in, complaint="送货不及时")

    complaint = Visit.objects.get(pk=visit["id"]).complaints.get()
    assert entries() == sorted(
        [
            (
                LateKind.VISIT,
                month_start(checked_in.date()),
                org.a.cm.pk,
                org.company.pk,
                visit["id"],
            ),
            (LateKind.COMPLAINT, month_start(deadline), org.a.cm.pk, org.company.pk, complaint.pk),
        ],
        key=str,
    )


@pytest.mark.parametrize("state", [MonthState.DRAFT, None])
def test_a_visit_of_a_draft_or_missing_month_is_not_late(org, shop, state):
    client = APIClient()
    client.force_authenticate(org.a.cm)
    checked_in = timezone.now().astimezone(TZ).replace(microsecond=0) - timedelta(days=10)
    if state:
        lock(org, checked_in.date(), state)
    post_visit(client, shop, checked_in, complaint="送货不及时")
    assert entries() == []


# --- Visit review ---------------------------------------------------------------------------


def stored_visit(org, shop, day):
    return Visit.objects.create(
        manager=org.a.cm,
        retailer=shop,
        territory=shop.territory,
        checked_in_at=at(day),
        check_in_date=day,
        checked_out_at=at(day, 11),
    )


@pytest.mark.parametrize("state", LOCKED)
def test_a_visit_marked_in_a_locked_month_is_late_once(org, shop, state):
    visit = stored_visit(org, shop, date(2026, 10, 20))
    lock(org, OCT, state)
    visit_review(visit=visit, user=org.a.dept_supervisor, valid=True)  # valid already
    assert entries() == []

    visit_review(visit=visit, user=org.a.dept_supervisor, valid=False, note="照片造假")
    visit_review(visit=visit, user=org.a.center_supervisor, valid=True, note="复核有效")
    assert entries() == [(LateKind.VISIT_REVIEW, OCT, org.a.cm.pk, org.company.pk, visit.pk)]
    assert LateEntry.objects.get().note == "走访（2026-10-20）改判为有效"


def test_a_visit_marked_in_a_draft_month_is_not_late(org, shop):
    visit = stored_visit(org, shop, date(2026, 10, 20))
    lock(org, OCT, MonthState.DRAFT)
    visit_review(visit=visit, user=org.a.dept_supervisor, valid=False, note="照片造假")
    assert entries() == []


# --- Visit import ---------------------------------------------------------------------------

VISIT_HEADER = ["来源编号", "许可证号", "客户经理工号", "签到时间", "规格编码", "上柜"]


def test_imported_visits_in_a_locked_month_are_late_once(org, shop, write_csv):
    brand = BrandFactory()
    lock(org, OCT)
    rows = [
        VISIT_HEADER,
        ["V-OCT", shop.license_no, org.a.cm.employee_no, "2026-10-20 10:00:00", brand.code, "是"],
        ["V-SEP", shop.license_no, org.a.cm.employee_no, "2026-09-20 10:00:00", "", ""],
    ]
    report = import_file("visits", write_csv(rows))
    assert report.ok, report.errors

    october = Visit.objects.get(external_id="V-OCT", source=VisitSource.IMPORTED)
    assert entries() == [(LateKind.VISIT, OCT, org.a.cm.pk, org.company.pk, october.pk)]
    assert (str(LATE_LABEL), 1) in [(str(label), n) for label, n in report.details]
    # The same file again writes nothing: no new entry; a changed observation: still one.
    again = import_file("visits", write_csv(rows))
    assert again.unchanged == 2 and LateEntry.objects.count() == 1
    rows[1][5] = "否"
    changed = import_file("visits", write_csv(rows, name="changed.csv"))
    assert changed.updated == 1 and LateEntry.objects.count() == 1


# --- Information items ----------------------------------------------------------------------


@pytest.mark.parametrize("state", LOCKED)
def test_an_information_item_of_a_locked_month_is_late_once(org, shop, state):
    lock(org, OCT, state)
    item = feedback.info_report(
        user=org.a.cm,
        kind="price",
        content="某品牌涨价",
        retailer=shop,
        reported_at=at(date(2026, 10, 31), 23),
    )
    assert entries() == [(LateKind.INFO_ITEM, OCT, org.a.cm.pk, org.company.pk, item.pk)]

    feedback.info_review(item=item, user=org.a.dept_supervisor, valid=False)
    feedback.info_review(item=item, user=org.a.dept_supervisor, valid=False)
    assert entries() == [(LateKind.INFO_ITEM, OCT, org.a.cm.pk, org.company.pk, item.pk)]
    assert LateEntry.objects.get().note == "信息改判为无效：某品牌涨价"


def test_an_information_item_of_an_open_month_is_not_late(org, shop):
    lock(org, OCT)  # the item is dated 1 November (local time), an open month
    item = feedback.info_report(
        user=org.a.cm, kind="price", content="x", retailer=shop, reported_at=at(NOV, 0)
    )
    feedback.info_review(item=item, user=org.a.dept_supervisor, valid=False)
    assert entries() == []


# --- Complaints -----------------------------------------------------------------------------


@pytest.mark.parametrize("state", LOCKED)
def test_a_complaint_decided_in_a_locked_month_is_late_once(org, shop, state):
    """Opened 10 October: overdue on its deadline (13 October), then closed as substantiated
    on 20 October: one entry, which follows the latest decisive event."""
    lock(org, OCT, state)
    complaint = feedback.complaint_open(
        retailer=shop, user=org.a.cm, content="服务差", opened_at=at(date(2026, 10, 10))
    )
    assert entries() == [(LateKind.COMPLAINT, OCT, org.a.cm.pk, org.company.pk, complaint.pk)]
    assert LateEntry.objects.get().day == date(2026, 10, 13)

    feedback.complaint_resolve(
        complaint=complaint, user=org.a.cm, resolution="已道歉", now=at(date(2026, 10, 18))
    )
    feedback.complaint_close(
        complaint=complaint,
        user=org.a.dept_supervisor,
        substantiated=True,
        now=at(date(2026, 10, 20)),
    )
    assert entries() == [(LateKind.COMPLAINT, OCT, org.a.cm.pk, org.company.pk, complaint.pk)]
    entry = LateEntry.objects.get()
    assert (entry.day, entry.note) == (date(2026, 10, 20), "投诉属实（2026-10-20结案）")


def test_a_complaint_decided_in_two_locked_months_is_late_in_each(org, shop):
    """Entered late: opened 29 October, its 72 h deadline (1 November) already passed when it
    arrived, then resolved and closed as substantiated on 29 October: late data of November
    (its deadline) and of October (its closing), a row each."""
    lock(org, OCT)
    lock(org, NOV)
    complaint = feedback.complaint_open(
        retailer=shop, user=org.a.cm, content="服务差", opened_at=at(date(2026, 10, 29))
    )
    feedback.complaint_resolve(
        complaint=complaint, user=org.a.cm, resolution="已道歉", now=at(date(2026, 10, 29), 15)
    )
    feedback.complaint_close(
        complaint=complaint,
        user=org.a.dept_supervisor,
        substantiated=True,
        now=at(date(2026, 10, 29), 18),
    )
    assert entries() == [
        (LateKind.COMPLAINT, OCT, org.a.cm.pk, org.company.pk, complaint.pk),
        (LateKind.COMPLAINT, NOV, org.a.cm.pk, org.company.pk, complaint.pk),
    ]


def test_complaints_decided_in_open_months_are_not_late(org, shop):
    lock(org, OCT, MonthState.DRAFT)
    old = feedback.complaint_open(
        retailer=shop, user=org.a.cm, content="服务差", opened_at=at(date(2026, 10, 10))
    )
    fresh = feedback.complaint_open(
        retailer=shop, user=org.a.cm, content="服务差"
    )  # deadline ahead
    feedback.complaint_resolve(complaint=fresh, user=org.a.cm, resolution="已处理")
    feedback.complaint_close(complaint=fresh, user=org.a.dept_supervisor, substantiated=True)
    assert old.resolve_by < timezone.now() < fresh.resolve_by
    assert entries() == []


# --- Satisfaction surveys -------------------------------------------------------------------


@pytest.mark.parametrize("state", LOCKED)
def test_a_survey_of_a_locked_month_is_late(org, shop, state):
    lock(org, OCT, state)
    survey = feedback.survey_record(
        retailer=shop, user=org.assessor, score=4, surveyed_on=date(2026, 10, 9), channel="phone"
    )
    feedback.survey_record(
        retailer=shop, user=org.assessor, score=5, surveyed_on=NOV, channel="phone"
    )
    assert entries() == [(LateKind.SURVEY, OCT, org.a.cm.pk, org.company.pk, survey.pk)]
    assert LateEntry.objects.get().note == "满意度 4 分"


def superuser(org):
    return type(org.admin).objects.create_superuser(
        employee_no="999999", password="x-Secret-123", name="超级管理员"
    )


def test_an_admin_redating_a_survey_into_a_locked_month_is_late(org, shop, client):
    survey = feedback.survey_record(
        retailer=shop, user=org.assessor, score=2, surveyed_on=NOV, channel="phone"
    )
    lock(org, OCT)
    client.force_login(superuser(org))
    form = {
        "retailer": shop.pk,
        "score": "2",
        "surveyed_on": "2026-10-30",
        "channel": "phone",
        "recorded_by": org.assessor.pk,
        "note": "",
    }
    url = reverse("admin:visits_satisfactionsurvey_change", args=[survey.pk])
    response = client.post(url, form)
    assert response.status_code == 302, response.content[:2000]
    assert entries() == [(LateKind.SURVEY, OCT, org.a.cm.pk, org.company.pk, survey.pk)]
    client.post(url, form)  # saved again unchanged: still one entry
    assert LateEntry.objects.count() == 1


# --- Targets --------------------------------------------------------------------------------

SALES = ["工号", "月份", "销量目标（箱）", "重点品牌目标（箱）"]
SHELF = ["规格编码", "月份", "单位编码", "片区编码", "目标上柜率"]


@pytest.mark.parametrize("state", LOCKED)
def test_sales_targets_of_a_locked_month_are_late_once(org, write_csv, state):
    lock(org, OCT, state)
    rows = [SALES, ["1A01", "2026-10", "120", "30"], ["1A01", "2026-11", "100", "20"]]
    report = import_file("targets", write_csv(rows))
    assert report.ok, report.errors

    target = SalesTarget.objects.get(month=OCT)
    assert entries() == [(LateKind.TARGET, OCT, org.a.cm.pk, org.company.pk, target.pk)]
    assert import_file("targets", write_csv(rows)).unchanged == 2
    rows[1][2] = "125"  # a corrected target: the same entry, with the new figures
    assert import_file("targets", write_csv(rows, name="fixed.csv")).updated == 1
    assert entries() == [(LateKind.TARGET, OCT, org.a.cm.pk, org.company.pk, target.pk)]
    assert LateEntry.objects.get().note == "销量目标 125.00 箱（重点品牌 30.00 箱）"


def test_shelf_targets_of_a_locked_month_are_one_entry_per_import(org, write_csv):
    BrandFactory(code="N1", launch_date=date(2026, 9, 1))
    BrandFactory(code="N2", launch_date=date(2026, 9, 1))
    lock(org, OCT)
    rows = [
        SHELF,
        ["N1", "2026-10", "C0", "", "0.6"],
        ["N2", "2026-10", "", "T-A1", "0.5"],
        ["N1", "2026-11", "C0", "", "0.6"],
    ]
    report = import_file("targets", write_csv(rows))
    assert report.ok, report.errors
    assert ShelfTarget.objects.count() == 3
    assert entries() == [(LateKind.TARGET, OCT, None, org.company.pk, None)]
    assert LateEntry.objects.get().note == "新品上柜率目标 2 条"
    assert import_file("targets", write_csv(rows)).unchanged == 3
    assert LateEntry.objects.count() == 1


def test_a_province_wide_shelf_target_is_late_in_every_locked_city(org, write_csv):
    """A target set for the province applies in every city: one entry per city whose month
    is locked (here the test city and a second one; a third with a draft month has none)."""
    BrandFactory(code="N1", launch_date=date(2026, 9, 1))
    OrgUnitFactory(code="P0", kind=OrgKind.PROVINCE, name="省公司")
    other, draft = CompanyFactory(), CompanyFactory()
    lock(org, OCT)
    AssessmentMonth.objects.create(company=other, month=OCT, state=MonthState.REVIEW)
    AssessmentMonth.objects.create(company=draft, month=OCT, state=MonthState.DRAFT)
    report = import_file("targets", write_csv([SHELF, ["N1", "2026-10", "P0", "", "0.6"]]))
    assert report.ok, report.errors
    cities = sorted([org.company.pk, other.pk])
    assert entries() == [(LateKind.TARGET, OCT, None, pk, None) for pk in cities]

    LateEntry.objects.all().delete()
    note_late_shelf_target(ShelfTarget.objects.get())  # the admin's correction
    assert entries() == [(LateKind.TARGET, OCT, None, pk, None) for pk in cities]
    assert LateEntry.objects.filter(note="新品上柜率目标 60.00%").count() == 2


def test_key_brands_changed_for_a_locked_month_are_late_per_city(org, write_csv):
    header = ["规格编码", "规格名称", "生产厂家", "价类", "批发价（元/条）", "上市日期", "在销"]
    lock(org, OCT)
    rows = [
        [*header, "重点品牌月份"],
        ["6901", "东江（硬红）", "东江卷烟厂", "一类", "285", "", "是", "2026-10;2026-11"],
        ["6902", "东江（软蓝）", "东江卷烟厂", "二类", "180", "", "是", "2026-10"],
    ]
    assert import_file("brands", write_csv(rows)).ok
    assert entries() == [(LateKind.TARGET, OCT, None, org.company.pk, None)]
    assert LateEntry.objects.get().note == "重点品牌变动 2 个"
    assert import_file("brands", write_csv(rows)).ok  # nothing changes: nothing new
    assert LateEntry.objects.count() == 1


def test_an_admin_correcting_a_target_of_a_locked_month_is_late(org, client):
    target = SalesTarget.objects.create(
        manager=org.a.cm, month=OCT, total_boxes=Decimal(10), key_brand_boxes=Decimal(2)
    )
    lock(org, OCT)
    client.force_login(superuser(org))
    url = reverse("admin:retailers_salestarget_change", args=[target.pk])
    response = client.post(
        url,
        {
            "manager": org.a.cm.pk,
            "month": "2026-10-01",
            "total_boxes": "12",
            "key_brand_boxes": "2",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert entries() == [(LateKind.TARGET, OCT, org.a.cm.pk, org.company.pk, target.pk)]


# --- Order and return lines -----------------------------------------------------------------

ORDERS = [
    "订单号",
    "许可证号",
    "规格编码",
    "订单日期",
    "数量（条）",
    "金额（元）",
    "按时结算",
    "原订单号",
]


@pytest.fixture(params=["insert", "copy"])
def method(request):
    if request.param == "copy" and not OrderImporter.can_copy():
        pytest.skip("COPY needs PostgreSQL")
    return request.param


@pytest.mark.parametrize("state", LOCKED)
def test_order_lines_of_a_locked_month_are_one_entry_per_import(
    org, shop, write_csv, method, state
):
    brand = BrandFactory(code="B100", wholesale_price=Decimal("100.00"))
    OrderLineFactory(
        retailer=shop, brand=brand, source_order_no="OLD1", order_date=date(2026, 10, 3)
    )
    lock(org, OCT, state)
    lic = shop.license_no
    rows = [
        ORDERS,
        ["DD1", lic, "B100", "2026-10-30", "5", "500", "是", ""],
        ["DD2", lic, "B100", "2026-10-29", "3", "300", "是", ""],
        ["RT1", lic, "B100", "2026-10-31", "-2", "-200", "是", "OLD1"],
        ["DD3", lic, "B100", "2026-11-02", "4", "400", "是", ""],
    ]
    report = import_file("orders", write_csv(rows), method=method)
    assert report.ok, report.errors
    assert report.created == 4

    assert entries() == [(LateKind.ORDER_LINES, OCT, None, org.company.pk, None)]
    entry = LateEntry.objects.get()
    assert (entry.day, entry.note, entry.month_state) == (
        date(2026, 10, 29),
        "订单行 3 条（其中退货 1 条）",
        state,
    )
    assert entry.arrived_at == OrderLine.objects.get(source_order_no="DD1").arrived_at
    assert [(str(label), n) for label, n in report.details] == [(str(LATE_LABEL), 3)]

    again = import_file("orders", write_csv(rows), method=method)
    assert (again.created, again.unchanged) == (0, 4)
    assert LateEntry.objects.count() == 1 and again.details == []


def test_order_lines_of_open_months_are_not_late(org, shop, write_csv, method):
    BrandFactory(code="B100", wholesale_price=Decimal("100.00"))
    lock(org, OCT, MonthState.DRAFT)
    rows = [ORDERS, ["DD1", shop.license_no, "B100", "2026-10-30", "5", "500", "是", ""]]
    report = import_file("orders", write_csv(rows), method=method)
    assert report.ok and report.created == 1
    assert entries() == []
