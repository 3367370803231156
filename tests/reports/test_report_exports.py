"""Every report of DOMAIN.md §8 downloads as .xlsx with the rows and filters of its page,
through the export path of the bonus sheet (at once, or as an export job when large).

Each test reads the workbook back with pandas and compares it with the page's rows, checks
the scope (a supervisor or a leader gets their subtree only, an outsider 404), the Chinese
file name (RFC 5987) and, for the report pages, that the number of queries does not grow
with the data.
"""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import quote

import openpyxl
import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from assessment import services as assessment_services
from reports.models import ExportJob, ExportStatus, ManagerMonthKpi
from reports.sheets import XLSX_CONTENT_TYPE, table_cell
from reports.views import exports as export_views
from retailers.models import ClassificationRecord, ClassificationRuleSet
from tests.factories import RetailerFactory, TerritoryFactory, UserFactory
from tests.visits.test_rates_counts import build_case, make_visit
from visits.services import feedback as feedback_services
from visits.services.rates import shelf_rates_refresh

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)
OCTOBER = date(2026, 10, 1)
NOVEMBER = date(2026, 11, 1)


# --- helpers ------------------------------------------------------------------------------------


def export_url(code, **params):
    return reverse("reports:report_export", args=[code]), params


def get(client, user, url, params=None):
    client.force_login(user)
    return client.get(url, params or {})


def export(client, user, code, **params):
    url, params = export_url(code, **params)
    return get(client, user, url, params)


def workbook(response) -> pd.DataFrame:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    return pd.read_excel(io.BytesIO(response.content), dtype=object)  # text stays text


def records(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple(None if pd.isna(value) else value for value in row)
        for row in frame.itertuples(index=False)
    ]


def assert_filename(response, name):
    """The Chinese file name, percent-encoded in ``filename*`` (RFC 5987)."""
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(name)}"


def same(sheet_value, page_value) -> bool:
    if page_value is None:
        return sheet_value is None
    if isinstance(page_value, float):
        return sheet_value == pytest.approx(page_value, abs=1e-9)
    if isinstance(page_value, datetime):
        return abs(pd.Timestamp(sheet_value).to_pydatetime() - page_value) < timedelta(seconds=1)
    if isinstance(page_value, date):
        return pd.Timestamp(sheet_value).date() == page_value
    return sheet_value == page_value


def assert_rows_equal(frame, table_rows, columns):
    """The sheet's rows are the page's rows, cell by cell, as the column kinds store them."""
    expected = [
        tuple(table_cell(value, column.kind) for value, column in zip(row, columns, strict=True))
        for row in table_rows
    ]
    got = records(frame)
    assert len(got) == len(expected)
    for got_row, expected_row in zip(got, expected, strict=True):
        assert all(same(g, e) for g, e in zip(got_row, expected_row, strict=True)), (
            got_row,
            expected_row,
        )


def page_table(response):
    """The rows a report page shows (all on one page in these tests) and its table."""
    assert response.status_code == 200
    table = response.context["table"]
    return list(response.context["page"].object_list), table


def count_queries(client, user, url, params=None) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


@pytest.fixture
def leader_a(org):
    """A leader (领导) of marketing center A: reads and exports center A only."""
    return UserFactory(
        employee_no="300001", name="A中心主任", role=Role.LEADER, org_unit=org.a.center
    )


# --- the export path ---------------------------------------------------------------------------


def test_unknown_report_and_anonymous(client, org):
    assert (
        get(client, org.assessor, reverse("reports:report_export", args=["nope"])).status_code
        == 404
    )
    client.logout()
    response = client.get(reverse("reports:report_export", args=["information"]))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- 考核得分: ranking with items ----------------------------------------------------------------


def deduct(inspector, manager, points, item):
    return assessment_services.inspection_record(
        inspector=inspector,
        manager_id=manager.pk,
        inspected_on=TODAY,
        item_code=item,
        points=Decimal(points),
        reason="督察扣分",
    )


@pytest.fixture
def scores(org):
    deduct(org.a.dept_supervisor, org.a.cm, "3", "visits")
    deduct(org.b.dept_supervisor, org.b.cm, "1.5", "discipline")
    assessment_services.month_close(month=MONTH)


def test_ranking_export_has_the_page_rows_and_one_column_per_item(client, org, scores):
    params = {"month": MONTH.isoformat()}
    page = get(client, org.assessor, reverse("assessment:ranking"), params)
    rows, columns = page.context["rows"], page.context["columns"]
    assert len(rows) == 4 and len(columns) == 7
    body = page.content.decode()
    assert reverse("reports:report_export", args=["ranking"]) + "?month=" in body

    response = export(client, org.assessor, "ranking", **params)
    frame = workbook(response)
    assert list(frame.columns) == [
        "名次",
        "工号",
        "客户经理",
        "单位",
        *(name for _code, name in columns),
        "加分",
        "总分",
    ]
    assert "走访计划完成率" in frame.columns and "服务规范与工作纪律" in frame.columns
    assert list(frame["名次"]) == [1, 2, 3, 4]
    assert list(frame["客户经理"]) == [row.manager.name for row in rows]
    assert list(frame["工号"]) == [row.manager.employee_no for row in rows]
    assert list(frame["总分"]) == [float(row.total) for row in rows]
    for n, (_code, name) in enumerate(columns):
        assert list(frame[name]) == [float(row.cells[n].points) for row in rows]
    a_cm = frame[frame["工号"] == org.a.cm.employee_no].iloc[0]
    assert a_cm["走访计划完成率"] == 12.0  # 15 (不适用: full points) − 3
    assert a_cm["单位"] == org.a.department.name
    b_cm = frame[frame["工号"] == org.b.cm.employee_no].iloc[0]
    assert b_cm["服务规范与工作纪律"] == 13.5
    assert_filename(response, f"考核得分-{MONTH:%Y-%m}.xlsx")


def test_ranking_export_keeps_the_filters_and_the_order(client, org, scores):
    params = {"month": MONTH.isoformat(), "org_unit": org.a.department.pk, "sort": "total"}
    page = get(client, org.assessor, reverse("assessment:ranking"), params)
    frame = workbook(export(client, org.assessor, "ranking", **params))
    assert list(frame["客户经理"]) == [row.manager.name for row in page.context["rows"]]
    assert list(frame["客户经理"]) == [org.a.cm.name, org.a.cm2.name]  # lowest first


def test_ranking_export_is_scoped_and_follows_the_page_rule(client, org, scores, leader_a):
    for user in (org.a.center_supervisor, leader_a):
        frame = workbook(export(client, user, "ranking", month=MONTH.isoformat()))
        assert set(frame["工号"]) == {org.a.cm.employee_no, org.a.cm2.employee_no}
    assert export(client, org.a.cm, "ranking").status_code == 404


# --- 上柜率 and the retailers without the brand ---------------------------------------------------


@pytest.fixture
def rates(org):
    case = build_case(org)
    shelf_rates_refresh(month=OCTOBER)
    return case


def test_shelf_rate_export_has_the_page_blocks(client, org, rates):
    params = {"month": "2026-10"}
    page = get(client, org.a.center_supervisor, reverse("visits:shelf_rates"), params)
    blocks = page.context["report"].blocks
    body = page.content.decode()
    assert reverse("reports:report_export", args=["shelf_rates"]) + "?month=2026-10" in body

    response = export(client, org.a.center_supervisor, "shelf_rates", **params)
    frame = workbook(response)
    expected = [
        (block.brand.code, row.scope.name, row.active, row.observed_on_shelf, row.ordered)
        for block in blocks
        for row in (block.total, *block.children)
    ]
    got = list(
        zip(
            frame["规格编码"],
            frame["范围"],
            frame["有效零售户"],
            frame["实际上柜户数"],
            frame["订购户数"],
            strict=True,
        )
    )
    assert [tuple(None if pd.isna(v) else v for v in row) for row in got] == expected
    x = frame[(frame["规格编码"] == "X") & (frame["范围"] == org.a.center.name)].iloc[0]
    assert (x["有效零售户"], x["实际上柜户数"], x["未上柜户数"], x["订购户数"]) == (6, 2, 4, 1)
    assert x["实际上柜率"] == pytest.approx(2 / 6)
    assert x["订单上柜率"] == pytest.approx(1 / 6)
    assert org.b.center.name not in set(frame["范围"])
    assert_filename(response, f"上柜率-{org.a.center.name}-2026-10.xlsx")


def test_shelf_rate_export_outside_the_subtree_is_404(client, org, rates):
    response = export(client, org.a.center_supervisor, "shelf_rates", unit=org.b.center.pk)
    assert response.status_code == 404


def gaps_params(territory, brand, **extra):
    return {"month": "2026-10", "territory": territory.pk, "brand": brand.pk, **extra}


def test_the_rate_page_links_to_the_retailers_without_the_brand(client, org, rates):
    page = get(
        client,
        org.a.center_supervisor,
        reverse("visits:shelf_rates"),
        {"month": "2026-10", "unit": org.a.department.pk},
    )
    body = page.content.decode()
    link = (
        f"{reverse('reports:shelf_gaps')}?month=2026-10"
        f"&amp;brand={rates.x.pk}&amp;territory={rates.t1.pk}"
    )
    assert link in body


def test_retailers_without_the_brand_page_and_export(client, org, rates):
    params = gaps_params(rates.t1, rates.x)
    page = get(client, org.a.center_supervisor, reverse("reports:shelf_gaps"), params)
    rows, table = page_table(page)
    # T1's active retailers: r1 (latest X off), r2 (X on), r3 (never visited), r5 (X only
    # outside October); r4 is suspended. Without X on shelf: r1, r3, r5 = 4 active − 1 on.
    assert [row[0] for row in rows] == [
        rates.r1.license_no,
        rates.r3.license_no,
        rates.r5.license_no,
    ]
    assert [row[6] for row in rows] == ["未上柜", "未观察", "未观察"]
    assert rows[0][7] is not None and rows[1][7] is None
    body = page.content.decode()
    assert reverse("reports:report_export", args=["shelf_gaps"]) + "?" in body

    response = export(client, org.a.center_supervisor, "shelf_gaps", **params)
    frame = workbook(response)
    assert list(frame.columns) == [column.header for column in table.columns]
    assert_rows_equal(frame, rows, table.columns)
    assert list(frame["许可证号"]) == [r[0] for r in rows]
    assert_filename(response, f"未上柜零售户-{rates.x.name}-{rates.t1.name}-2026-10.xlsx")


def test_retailers_without_the_brand_keep_the_class_filter(client, org, rates):
    params = gaps_params(rates.t1, rates.x, abc_class="A")
    rows, _table = page_table(
        get(client, org.a.center_supervisor, reverse("reports:shelf_gaps"), params)
    )
    assert [row[0] for row in rows] == [rates.r1.license_no]
    frame = workbook(export(client, org.a.center_supervisor, "shelf_gaps", **params))
    assert list(frame["许可证号"]) == [rates.r1.license_no]


def test_retailers_without_the_brand_scoping(client, org, rates, leader_a):
    params = gaps_params(rates.t3, rates.x)
    for user in (org.a.center_supervisor, leader_a, org.a.cm):
        assert get(client, user, reverse("reports:shelf_gaps"), params).status_code == 404
        assert export(client, user, "shelf_gaps", **params).status_code == 404
    # A customer manager sees their own territory's list.
    rows, _table = page_table(
        get(client, org.a.cm, reverse("reports:shelf_gaps"), gaps_params(rates.t1, rates.x))
    )
    assert len(rows) == 3
    # The leader of center A gets center A's list; the brand is required.
    frame = workbook(
        export(
            client, leader_a, "shelf_gaps", month="2026-10", unit=org.a.center.pk, brand=rates.x.pk
        )
    )
    assert set(frame["片区"]) == {rates.t1.name, rates.t2.name}
    assert len(frame) == 4  # 6 active in center A − 2 on shelf
    assert export(client, leader_a, "shelf_gaps", month="2026-10").status_code == 404


def test_retailers_without_the_brand_query_count_does_not_grow(client, org, rates):
    url, params = reverse("reports:shelf_gaps"), gaps_params(rates.t1, rates.x)
    small = count_queries(client, org.a.center_supervisor, url, params)
    for _ in range(6):
        retailer = RetailerFactory(territory=rates.t1, abc_class="B")
        make_visit(retailer, date(2026, 10, 8), shelf=[(rates.x, False)])
    large = count_queries(client, org.a.center_supervisor, url, params)
    assert small == large == 8


# --- 走访完成率: visit completion (the rollup) ----------------------------------------------------


def kpi(org_side, manager, planned, completed, month=NOVEMBER):
    return ManagerMonthKpi.objects.create(
        month=month,
        manager=manager,
        territory=getattr(manager, "territory", None),
        company=org_side.center.parent,
        center=org_side.center,
        department=org_side.department,
        org_path=org_side.department.path,
        plans_planned=planned,
        plans_completed=completed,
        refreshed_at=timezone.now(),
    )


@pytest.fixture
def completion(org):
    kpi(org.a, org.a.cm, 8, 6)
    kpi(org.a, org.a.cm2, 4, 4)
    kpi(org.b, org.b.cm, 5, 1)


def test_visit_completion_page_and_export(client, org, completion):
    params = {"month": "2026-11"}
    page = get(client, org.assessor, reverse("reports:visit_completion"), params)
    rows, table = page_table(page)
    assert [row[:3] for row in rows] == [
        (org.a.cm.employee_no, org.a.cm.name, org.a.center.name),
        (org.a.cm2.employee_no, org.a.cm2.name, org.a.center.name),
        (org.b.cm.employee_no, org.b.cm.name, org.b.center.name),
    ]
    assert [row[5:] for row in rows] == [
        (8, 6, Decimal("0.75")),
        (4, 4, Decimal(1)),
        (5, 1, Decimal("0.2")),
    ]
    assert table.totals == ("合计", None, None, None, None, 17, 11, Decimal(11) / Decimal(17))
    body = page.content.decode()
    assert "75.0%" in body and "64.7%" in body  # a row and the total, through |pct

    response = export(client, org.assessor, "visit_completion", **params)
    frame = workbook(response)
    assert list(frame.columns) == [
        "工号",
        "客户经理",
        "营销中心",
        "市场部",
        "片区",
        "计划走访",
        "已完成",
        "完成率",
    ]
    assert_rows_equal(frame.iloc[:-1], rows, table.columns)
    total = frame.iloc[-1]
    assert (total["工号"], total["计划走访"], total["已完成"]) == ("合计", 17, 11)
    assert total["完成率"] == pytest.approx(11 / 17)
    assert_filename(response, "走访完成率-2026-11.xlsx")


def test_visit_completion_scope_and_filter(client, org, completion, leader_a):
    for user in (org.a.center_supervisor, leader_a):
        rows, _t = page_table(
            get(client, user, reverse("reports:visit_completion"), {"month": "2026-11"})
        )
        assert [row[0] for row in rows] == [org.a.cm.employee_no, org.a.cm2.employee_no]
        frame = workbook(export(client, user, "visit_completion", month="2026-11"))
        assert list(frame["工号"]) == [org.a.cm.employee_no, org.a.cm2.employee_no, "合计"]
        assert list(frame["计划走访"]) == [8, 4, 12]
    params = {"month": "2026-11", "org_unit": org.b.department.pk}
    frame = workbook(export(client, org.assessor, "visit_completion", **params))
    assert list(frame["工号"]) == [org.b.cm.employee_no, "合计"]
    assert get(client, org.a.cm, reverse("reports:visit_completion")).status_code == 404
    assert export(client, org.a.cm, "visit_completion").status_code == 404


def test_visit_completion_says_when_the_rollup_is_empty(client, org, completion):
    page = get(client, org.assessor, reverse("reports:visit_completion"), {"month": "2026-09"})
    rows, table = page_table(page)
    assert rows == [] and table.empty_note
    assert table.empty_note in page.content.decode()
    # A month with figures but no row in the filter is not "empty".
    page = get(
        client,
        org.a.center_supervisor,
        reverse("reports:visit_completion"),
        {"month": "2026-11", "org_unit": org.a.department.pk},
    )
    assert not page.context["table"].empty_note


def test_visit_completion_query_count_does_not_grow(client, org, completion):
    url, params = reverse("reports:visit_completion"), {"month": "2026-11"}
    small = count_queries(client, org.assessor, url, params)
    for n in range(6):
        manager = UserFactory(
            employee_no=f"1A9{n}", role=Role.CUSTOMER_MANAGER, org_unit=org.a.department
        )
        TerritoryFactory(department=org.a.department, manager=manager)
        kpi(org.a, manager, 3, n % 4)
    large = count_queries(client, org.assessor, url, params)
    assert small == large == 8


# --- 督察覆盖: coverage ---------------------------------------------------------------------------


def test_coverage_export_has_the_page_figures(client, org):
    deduct(org.a.dept_supervisor, org.a.cm, "1", "visits")
    deduct(org.a.dept_supervisor, org.a.cm, "1", "visits")
    deduct(org.a.center_supervisor, org.a.cm2, "1", "visits")
    deduct(org.assessor, org.b.cm, "1", "visits")
    params = {"month": MONTH.isoformat()}
    page = get(client, org.assessor, reverse("assessment:coverage"), params)
    assert reverse("reports:report_export", args=["coverage"]) + "?month=" in page.content.decode()
    report = page.context["report"]

    response = export(client, org.assessor, "coverage", **params)
    frame = workbook(response)
    rows = records(frame)
    assert [row[:4] for row in rows] == [
        ("一级（考评管理中心）", org.company.name, 4, 1),
        ("二级（营销中心）", org.a.center.name, 2, 1),
        ("二级（营销中心）", org.b.center.name, 2, 0),
        ("三级（市场部）", org.a.department.name, 2, 1),
        ("三级（市场部）", org.b.department.name, 2, 0),
    ]
    assert [row[4] for row in rows] == [0.25, 0.5, 0.0, 0.5, 0.0]
    assert [row[5:7] for row in rows] == [(1, "是"), (1, "是"), (1, "否"), (2, "否"), (2, "否")]
    assert rows[3][7] == f"{org.a.cm2.name}（0次）"
    assert rows[4][7] == f"{org.b.cm.name}（0次）、{org.b.cm2.name}（0次）"
    # The same figures as the page's report.
    assert [c.inspected for c in report.centers] == [1, 0]
    assert [d.covered for d in report.departments] == [1, 0]
    assert_filename(response, f"督察覆盖-{MONTH:%Y-%m}.xlsx")


def test_coverage_export_is_scoped(client, org, leader_a):
    for user in (org.a.center_supervisor, leader_a):
        frame = workbook(export(client, user, "coverage", month=MONTH.isoformat()))
        assert list(frame["单位"]) == [org.a.center.name, org.a.department.name]
    assert export(client, org.a.cm, "coverage").status_code == 404


# --- 客户分类变动: classification changes ---------------------------------------------------------


def record(retailer, previous, final, total="80.00", month=NOVEMBER):
    return ClassificationRecord.objects.create(
        retailer=retailer,
        month=month,
        rule_set=ClassificationRuleSet.objects.order_by("version").first(),
        scale_score=Decimal("90.00"),
        environment_score=Decimal("70.00"),
        potential_score=Decimal("50.00"),
        compliance_score=Decimal("100.00"),
        credit_score=Decimal("50.00"),
        total_score=Decimal(total),
        average_monthly_cartons=Decimal("123.33"),
        computed_class=final,
        previous_class=previous,
        final_class=final,
    )


@pytest.fixture
def changes(org):
    shops = {
        name: RetailerFactory(territory=territory, license_no=f"32990100000{n}")
        for n, (name, territory) in enumerate(
            [
                ("up", org.a.territory),
                ("down", org.a.territory2),
                ("same", org.a.territory),
                ("first", org.a.territory),
                ("b", org.b.territory),
            ],
            start=1,
        )
    }
    record(shops["up"], "B", "A", total="82.50")
    record(shops["down"], "A", "C", total="45.10")
    record(shops["same"], "C", "C")
    record(shops["first"], "", "B")
    record(shops["b"], "C", "B")
    record(shops["up"], "C", "B", month=OCTOBER)
    return shops


def test_class_changes_page_and_export(client, org, changes):
    params = {"month": "2026-11"}
    page = get(client, org.a.center_supervisor, reverse("reports:class_changes"), params)
    rows, table = page_table(page)
    assert [(row[0], row[4], row[5], row[6]) for row in rows] == [
        (changes["up"].license_no, "B", "A", "升级"),
        (changes["down"].license_no, "A", "C", "降级"),
    ]
    assert rows[0][7:] == (
        Decimal("82.50"),
        Decimal("90.00"),
        Decimal("70.00"),
        Decimal("50.00"),
        Decimal("100.00"),
        Decimal("50.00"),
        Decimal("123.33"),
    )
    response = export(client, org.a.center_supervisor, "class_changes", **params)
    frame = workbook(response)
    assert list(frame.columns)[:7] == [
        "许可证号",
        "店铺名称",
        "片区",
        "客户经理",
        "原类别",
        "新类别",
        "变动",
    ]
    assert_rows_equal(frame, rows, table.columns)
    assert list(frame["加权得分"]) == [82.5, 45.1]
    assert_filename(response, "客户分类变动-2026-11.xlsx")


@pytest.mark.parametrize(
    "extra, expected",
    [
        ({"final_class": "A"}, ["up"]),
        ({"previous_class": "A"}, ["down"]),
        ({"direction": "down"}, ["down"]),
        ({"direction": "up"}, ["up", "b"]),
        ({"territory": "a2"}, ["down"]),
        ({"org_unit": "b"}, ["b"]),
    ],
)
def test_class_changes_filters(client, org, changes, extra, expected):
    values = {"a2": org.a.territory2.pk, "b": org.b.department.pk}
    params = {"month": "2026-11", **{k: values.get(v, v) for k, v in extra.items()}}
    rows, _t = page_table(get(client, org.assessor, reverse("reports:class_changes"), params))
    licences = [changes[name].license_no for name in expected]
    assert [row[0] for row in rows] == licences
    frame = workbook(export(client, org.assessor, "class_changes", **params))
    assert list(frame["许可证号"]) == licences


def test_class_changes_scope(client, org, changes, leader_a):
    frame = workbook(export(client, leader_a, "class_changes", month="2026-11"))
    assert list(frame["许可证号"]) == [
        changes["up"].license_no,
        changes["down"].license_no,
    ]
    frame = workbook(export(client, org.b.dept_supervisor, "class_changes", month="2026-11"))
    assert list(frame["许可证号"]) == [changes["b"].license_no]
    assert export(client, org.a.cm, "class_changes", month="2026-11").status_code == 404
    assert get(client, org.a.cm, reverse("reports:class_changes")).status_code == 404


def test_class_changes_query_count_does_not_grow(client, org, changes):
    url, params = reverse("reports:class_changes"), {"month": "2026-11"}
    small = count_queries(client, org.assessor, url, params)
    for n in range(10):
        record(RetailerFactory(territory=org.b.territory2), "B", "C" if n % 2 else "A")
    large = count_queries(client, org.assessor, url, params)
    assert small == large == 9


# --- 信息反馈 and 投诉 -------------------------------------------------------------------------


@pytest.fixture
def feedback(org):
    shops = {
        "a1": RetailerFactory(territory=org.a.territory, shop_name="甲一便利店"),
        "a2": RetailerFactory(territory=org.a.territory2, shop_name="甲二烟酒行"),
        "b1": RetailerFactory(territory=org.b.territory, shop_name="乙一食杂店"),
    }
    now = timezone.now()
    items = [
        feedback_services.info_report(
            user=org.a.cm,
            kind="price",
            content='=HYPERLINK("x") 价格偏高',
            retailer=shops["a1"],
            reported_at=now - timedelta(days=3),
        ),
        feedback_services.info_report(
            user=org.a.cm2,
            kind="counterfeit",
            content="发现假烟线索",
            retailer=shops["a2"],
            reported_at=now - timedelta(days=2),
        ),
        feedback_services.info_report(
            user=org.b.cm,
            kind="brand",
            content="新品动销好",
            retailer=shops["b1"],
            reported_at=now - timedelta(days=1),
        ),
    ]
    feedback_services.info_review(item=items[1], user=org.a.dept_supervisor, valid=True)
    complaints = [
        feedback_services.complaint_open(
            retailer=shops["a1"],
            user=org.a.cm,
            content="送货不及时",
            opened_at=now - timedelta(days=5),
        ),
        feedback_services.complaint_open(
            retailer=shops["a2"],
            user=org.a.cm2,
            content="服务态度差",
            opened_at=now - timedelta(hours=2),
        ),
        feedback_services.complaint_open(
            retailer=shops["b1"],
            user=org.b.cm,
            content="价格不明",
            opened_at=now - timedelta(hours=1),
        ),
    ]
    feedback_services.complaint_respond(complaint=complaints[1], user=org.a.cm2, note="已联系")
    return shops, items, complaints


def test_information_export_with_the_filters(client, org, feedback):
    _shops, items, _c = feedback
    params = {"kind": ["price", "counterfeit", "brand"], "org_unit": org.a.center.pk}
    page = get(client, org.assessor, reverse("visits:info_feed"), params)
    shown = list(page.context["page"].object_list)
    assert [item.pk for item in shown] == [items[1].pk, items[0].pk]
    assert (
        reverse("reports:report_export", args=["information"]) + "?kind=price"
        in page.content.decode()
    )

    response = export(client, org.assessor, "information", **params)
    frame = workbook(response)
    assert list(frame["内容"]) == [item.content for item in shown]
    assert frame["内容"].iloc[1] == '=HYPERLINK("x") 价格偏高'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet["C3"].value == '=HYPERLINK("x") 价格偏高'
    assert sheet["C3"].data_type == "s"  # text, never a formula
    assert sheet["A2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet.freeze_panes == "A2"
    assert list(frame["上报人"]) == [org.a.cm2.name, org.a.cm.name]
    assert list(frame["片区"]) == [org.a.territory2.name, org.a.territory.name]
    assert list(frame["类型"]) == ["假烟线索", "价格异常"]
    assert list(frame["有效性"]) == ["有效", "未审核"]
    for got, item in zip(frame["上报时间"], shown, strict=True):
        assert same(got, timezone.localtime(item.reported_at).replace(tzinfo=None))
    assert_filename(response, f"信息反馈-{TODAY.isoformat()}.xlsx")

    dated = {"date_from": (TODAY - timedelta(days=2)).isoformat(), "date_to": TODAY.isoformat()}
    response = export(client, org.a.center_supervisor, "information", **dated)
    frame = workbook(response)
    assert list(frame["内容"]) == ["发现假烟线索"]
    assert_filename(response, f"信息反馈-{dated['date_from']}至{dated['date_to']}.xlsx")


def test_information_export_is_scoped(client, org, feedback, leader_a):
    for user in (leader_a, org.a.dept_supervisor):
        frame = workbook(export(client, user, "information"))
        assert set(frame["上报人"]) == {org.a.cm.name, org.a.cm2.name}
    frame = workbook(export(client, org.b.cm, "information"))
    assert list(frame["上报人"]) == [org.b.cm.name]


def test_complaint_export_with_the_filters(client, org, feedback):
    _shops, _items, complaints = feedback
    page = get(client, org.a.center_supervisor, reverse("visits:complaints"), {"status": "open"})
    shown = list(page.context["page"].object_list)
    assert [c.pk for c in shown] == [complaints[0].pk]
    assert (
        reverse("reports:report_export", args=["complaints"]) + "?status=open"
        in page.content.decode()
    )

    response = export(client, org.a.center_supervisor, "complaints", status="open")
    frame = workbook(response)
    row = frame.iloc[0]
    assert len(frame) == 1
    assert (row["店铺名称"], row["投诉内容"], row["状态"]) == ("甲一便利店", "送货不及时", "待处理")
    assert (row["响应超时"], row["解决超时"]) == ("是", "是")  # 5 days old, never answered
    assert pd.isna(row["首次响应"]) and pd.isna(row["属实"])
    assert same(row["解决时限"], timezone.localtime(complaints[0].resolve_by).replace(tzinfo=None))
    assert_filename(response, f"投诉-{TODAY.isoformat()}.xlsx")

    frame = workbook(export(client, org.a.center_supervisor, "complaints"))
    assert list(frame["投诉内容"]) == ["服务态度差", "送货不及时"]  # newest first, as the page
    assert list(frame["响应超时"]) == ["否", "是"]


def test_complaint_export_is_scoped(client, org, feedback, leader_a):
    frame = workbook(export(client, leader_a, "complaints"))
    assert set(frame["片区"]) == {org.a.territory.name, org.a.territory2.name}
    frame = workbook(export(client, org.b.center_supervisor, "complaints"))
    assert list(frame["投诉内容"]) == ["价格不明"]


# --- large exports go through an export job ----------------------------------------------------


@pytest.fixture
def small_limit(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(export_views, "DIRECT_LIMIT", 1)


def test_a_large_export_is_a_job_of_the_requester(
    client, org, feedback, small_limit, leader_a, celery_eager, django_capture_on_commit_callbacks
):
    client.force_login(leader_a)
    url, params = export_url("information", kind=["price", "counterfeit"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.get(url, params)
    assert len(callbacks) == 1
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:export_job", args=[job.pk])
    assert (job.report, job.run, job.requested_by) == ("information", None, leader_a)
    assert job.params == {"kind": ["price", "counterfeit"]}
    assert (job.status, job.progress) == (ExportStatus.DONE, 100)
    assert job.filename == f"信息反馈-{TODAY.isoformat()}.xlsx"

    page = client.get(reverse("reports:export_job", args=[job.pk]))
    assert page.status_code == 200
    assert job.filename in page.content.decode()
    download = client.get(reverse("reports:export_download", args=[job.pk]))
    assert download.status_code == 200
    assert_filename(download, job.filename)
    frame = pd.read_excel(io.BytesIO(b"".join(download.streaming_content)))
    assert list(frame["内容"]) == ["发现假烟线索", '=HYPERLINK("x") 价格偏高']

    # Only the requester opens it; HR sees bonus-sheet jobs, not others' report exports.
    for other in (org.a.center_supervisor, org.hr, org.admin):
        client.force_login(other)
        for name in ("reports:export_job", "reports:export_job_status", "reports:export_download"):
            assert client.get(reverse(name, args=[job.pk])).status_code == 404, (other, name)


def test_a_job_holds_the_rows_of_the_requester(
    client, org, completion, small_limit, celery_eager, django_capture_on_commit_callbacks
):
    client.force_login(org.a.center_supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(*export_url("visit_completion", month="2026-11"))
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert job.status == ExportStatus.DONE
    with job.file.open("rb") as handle:
        frame = pd.read_excel(io.BytesIO(handle.read()))
    assert list(frame["工号"]) == [org.a.cm.employee_no, org.a.cm2.employee_no, "合计"]
    assert job.filename == "走访完成率-2026-11.xlsx"


def test_an_outsider_gets_no_job(client, org, completion, small_limit):
    client.force_login(org.a.cm)
    assert client.get(*export_url("visit_completion", month="2026-11")).status_code == 404
    assert not ExportJob.objects.exists()


# --- query counts of the ranking page and of an export ------------------------------------------


def test_ranking_page_and_export_query_counts_do_not_grow(client, org):
    assessment_services.month_close(month=MONTH)
    page_url, params = reverse("assessment:ranking"), {"month": MONTH.isoformat()}
    export_path, _p = export_url("ranking")
    small = (
        count_queries(client, org.assessor, page_url, params),
        count_queries(client, org.assessor, export_path, params),
    )
    for n in range(8):
        manager = UserFactory(
            employee_no=f"1B9{n}", role=Role.CUSTOMER_MANAGER, org_unit=org.b.department
        )
        TerritoryFactory(department=org.b.department, manager=manager)
    assessment_services.month_close(month=MONTH)
    large = (
        count_queries(client, org.assessor, page_url, params),
        count_queries(client, org.assessor, export_path, params),
    )
    assert small == large, (small, large)
    assert small == (12, 9)  # the page: + the scope's average (reports.selectors.dashboards)


# --- 订单异动: order anomalies (the alert's rows) ----------------------------------------------


@pytest.fixture
def anomalies(org):
    """November against October, net 条. Department A: a1 100 ← 200 (½), a2 300 ← 200; the
    department 400 ← 400 (1): a1's relative ratio ½ < 0.80. Department B: b1 50 ← 100,
    b2 150 ← 100: b1 likewise."""
    from reports.models import RetailerOrderMonth

    shops = {}
    for name, territory, this, last in [
        ("a1", org.a.territory, 100, 200),
        ("a2", org.a.territory2, 300, 200),
        ("b1", org.b.territory, 50, 100),
        ("b2", org.b.territory2, 150, 100),
    ]:
        shop = RetailerFactory(territory=territory, shop_name=f"{name}烟酒店")
        RetailerOrderMonth.objects.create(retailer=shop, month=NOVEMBER, net_cartons=this)
        RetailerOrderMonth.objects.create(retailer=shop, month=OCTOBER, net_cartons=last)
        shops[name] = shop
    return shops


def test_order_anomaly_page_and_export(client, org, anomalies):
    from reports.selectors.alerts import order_anomaly_rows

    params = {"month": "2026-11"}
    page = get(client, org.assessor, reverse("reports:order_anomalies"), params)
    rows, table = page_table(page)
    expected = order_anomaly_rows(org.assessor, month=NOVEMBER)
    assert [row[0] for row in rows] == [a.retailer.license_no for a in expected]
    assert [row[0] for row in rows] == [anomalies["a1"].license_no, anomalies["b1"].license_no]
    assert rows[0][3:] == (
        org.a.cm.name,
        org.a.department.name,
        100,
        200,
        Decimal("0.5000"),
        Decimal("1.0000"),
        Decimal("0.5000"),
    )
    body = page.content.decode()
    assert "0.40" in body and "50.0%" in body  # 100 条 = 0.40 箱, through |boxes and |pct
    assert reverse("reports:report_export", args=["order_anomalies"]) + "?month=2026-11" in body

    response = export(client, org.assessor, "order_anomalies", **params)
    frame = workbook(response)
    assert list(frame.columns)[5:7] == ["2026-11订购（箱）", "2026-10订购（箱）"]
    assert_rows_equal(frame, rows, table.columns)
    assert list(frame["2026-11订购（箱）"]) == [0.4, 0.2]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [sheet.cell(1, col).value for col in (6, 8)] == ["2026-11订购（箱）", "零售户环比"]
    assert (sheet["F2"].number_format, sheet["H2"].number_format) == ("0.00", "0.0%")
    assert list(frame["相对比（零售户÷市场部）"]) == [0.5, 0.5]
    assert_filename(response, "订单异动-2026-11.xlsx")


def test_order_anomalies_are_scoped(client, org, anomalies, leader_a):
    for user in (org.a.center_supervisor, leader_a, org.a.cm):
        frame = workbook(export(client, user, "order_anomalies", month="2026-11"))
        assert list(frame["许可证号"]) == [anomalies["a1"].license_no], user
    frame = workbook(export(client, org.a.cm2, "order_anomalies", month="2026-11"))
    assert len(frame) == 0
    page = get(client, org.b.cm, reverse("reports:order_anomalies"), {"month": "2026-11"})
    assert [row[0] for row in page_table(page)[0]] == [anomalies["b1"].license_no]
    for user in (org.hr,):
        assert get(client, user, reverse("reports:order_anomalies")).status_code == 404
        assert export(client, user, "order_anomalies").status_code == 404
