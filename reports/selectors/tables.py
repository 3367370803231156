"""The reports of DOMAIN.md §8 as tables (``reports.tables``), each with the page's filters.

| code | title | page |
|---|---|---|
| ``ranking`` | 考核得分 | ``assessment:ranking`` (one column per assessment item) |
| ``shelf_rates`` | 上柜率 | ``visits:shelf_rates`` |
| ``shelf_gaps`` | 未上柜零售户 | ``reports:shelf_gaps`` (retailers without brand b on shelf) |
| ``visit_completion`` | 走访完成率 | ``reports:visit_completion`` (``ManagerMonthKpi`` rollup) |
| ``coverage`` | 督察覆盖 | ``assessment:coverage`` |
| ``class_changes`` | 客户分类变动 | ``reports:class_changes`` |
| ``information`` | 信息反馈 | ``visits:info_feed`` |
| ``complaints`` | 投诉 | ``visits:complaints`` |
| ``order_anomalies`` | 订单异动 | ``reports:order_anomalies`` (the 订单异动 alert's rows) |

Every ``build(user, params)`` reads through the selector or FilterSet its page uses, starting
from ``Model.objects.visible_to(user)``, so a page and its export hold the same rows. Who may
export a report is who may see its page (``allowed``). Headers are Chinese: the sheet is a
document, like the bonus sheet.
"""

from datetime import date
from decimal import Decimal

from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from assessment.coverage import coverage_report
from assessment.selectors import ranking_for
from retailers.filters import ClassificationRecordFilter
from retailers.models import Brand, ClassificationRecord, add_months, month_start, parse_month
from visits.forms_rates import shelf_rate_query
from visits.selectors.feedback import as_request, complaints_filtered, information_filtered
from visits.selectors.rates import retailers_without_brand, shelf_rate_report

from ..alerts import last_complete_month, shown_month
from ..filters import ManagerMonthKpiFilter
from ..models import ManagerMonthKpi
from ..tables import Column, Kind, QueryRows, ReportNotFound, ReportTable, Table
from .alerts import ORDER_ANOMALY, order_anomaly_rows, sections_for

YES, NO = "是", "否"
# Report pages for the supervising roles and leaders (领导 read and export every report).
READER_ROLES = (
    Role.SERVICE_DEPT_SUPERVISOR,
    Role.MARKETING_CENTER_SUPERVISOR,
    Role.ASSESSMENT_CENTER,
    Role.HR,
    Role.ADMIN,
    Role.LEADER,
)


def signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_read_reports(user) -> bool:
    return signed_in(user) and (user.is_superuser or user.role in READER_ROLES)


def can_view_scores(user) -> bool:
    """The rule of the ranking and coverage pages (``assessment.views``)."""
    from assessment.views import SCORE_VIEWER_ROLES

    return signed_in(user) and (user.is_superuser or user.role in SCORE_VIEWER_ROLES)


def _yes_no(value) -> str | None:
    return None if value is None else (YES if value else NO)


def _ratio(part, whole) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


def report_month(params, default: date) -> date:
    """The ``month`` parameter (YYYY-MM or a date in it), else ``default``."""
    try:
        return parse_month(params.get("month") or "")
    except ValueError:
        return default


def _period(month: date | None) -> str:
    return f"{month:%Y-%m}" if month else ""


# --- 考核得分: ranking with items --------------------------------------------------------------


def ranking_table(user, params) -> Table:
    ranking = ranking_for(user, params)
    codes = [code for code, _name in ranking.columns]
    columns = [
        Column("rank", "名次", Kind.INT, 6),
        Column("employee_no", "工号", Kind.TEXT, 10),
        Column("name", "客户经理", Kind.TEXT, 10),
        Column("unit", "单位", Kind.TEXT, 18),
        *(Column(f"item_{code}", name, Kind.DECIMAL) for code, name in ranking.columns),
        Column("bonus", "加分", Kind.DECIMAL, 8),
        Column("total", "总分", Kind.DECIMAL, 8),
    ]

    def row(n, score):
        points = {item.code: item.points for item in score.items.all()}
        return (
            n,
            score.manager.employee_no,
            score.manager.name,
            score.manager.org_unit.name if score.manager.org_unit_id else "",
            *(points.get(code) for code in codes),
            score.bonus,
            score.total,
        )

    return Table(
        title="考核得分",
        columns=columns,
        rows=QueryRows(ranking.filterset.qs, row, numbered=True),
        period=_period(ranking.month),
        extra={"ranking": ranking},
    )


# --- 上柜率 and the retailers without a brand on shelf ---------------------------------------

SHELF_COLUMNS = [
    Column("brand_code", "规格编码", Kind.TEXT, 15),
    Column("brand", "规格名称", Kind.TEXT, 16),
    Column("new", "新品", Kind.TEXT, 6),
    Column("scope", "范围", Kind.TEXT, 16),
    Column("active", "有效零售户", Kind.INT),
    Column("observed_rate", "实际上柜率", Kind.PERCENT),
    Column("observed", "实际上柜户数", Kind.INT),
    Column("missing", "未上柜户数", Kind.INT),
    Column("order_rate", "订单上柜率", Kind.PERCENT),
    Column("ordered", "订购户数", Kind.INT),
    Column("target", "目标上柜率", Kind.PERCENT),
    Column("gap", "差距（实际−目标）", Kind.PERCENT),
]


def _shelf_query(user, params):
    query = shelf_rate_query(user, params)
    if query.refused:
        raise ReportNotFound
    return query


def shelf_rate_rows(report) -> list[tuple]:
    """Per brand, the scope's row then a row per child scope, as on the page."""
    rows = []
    for block in report.blocks if report else []:
        for rate_row in (block.total, *block.children):
            gap = None
            if rate_row.target_rate is not None and rate_row.observed_rate is not None:
                gap = rate_row.observed_rate - rate_row.target_rate
            rows.append(
                (
                    block.brand.code,
                    block.brand.name,
                    YES if block.is_new else "",
                    rate_row.scope.name,
                    rate_row.active,
                    rate_row.observed_rate,
                    rate_row.observed_on_shelf,
                    rate_row.missing,
                    rate_row.order_rate,
                    rate_row.ordered,
                    rate_row.target_rate,
                    gap,
                )
            )
    return rows


def shelf_rates_table(user, params) -> Table:
    query = _shelf_query(user, params)
    report = None
    if query.scope is not None:
        report = shelf_rate_report(
            user,
            scope=query.scope,
            month=query.month,
            abc_class=query.abc_class,
            brand_id=query.brand_id,
            new_only=query.new_only,
        )
    return Table(
        title="上柜率",
        columns=SHELF_COLUMNS,
        rows=shelf_rate_rows(report),
        period="-".join(
            filter(None, [query.scope.name if query.scope else "", _period(query.month)])
        ),
        extra={"report": report, "shelf": query},
    )


def shelf_gaps_table(user, params) -> Table:
    """The active retailers of the scope whose latest valid observation of the brand in the
    month is not on shelf, or that have none (``retailers_without_brand``)."""
    query = _shelf_query(user, params)
    brand = None
    if query.brand_id is not None:
        brand = Brand.objects.visible_to(user).filter(pk=query.brand_id).first()
    if query.scope is None or brand is None:
        raise ReportNotFound
    retailers = retailers_without_brand(
        user, scope=query.scope, brand_id=brand.pk, month=query.month, abc_class=query.abc_class
    )

    def row(retailer):
        manager = retailer.territory.manager
        return (
            retailer.license_no,
            retailer.shop_name,
            retailer.address,
            retailer.territory.name,
            manager.name if manager else "",
            retailer.abc_class,
            "未观察" if retailer.last_on_shelf is None else "未上柜",
            retailer.last_observed_at,
        )

    return Table(
        title="未上柜零售户",
        columns=[
            Column("license_no", "许可证号", Kind.TEXT, 14),
            Column("shop_name", "店铺名称", Kind.TEXT, 20),
            Column("address", "经营地址", Kind.TEXT, 28),
            Column("territory", "片区", Kind.TEXT, 14),
            Column("manager", "客户经理", Kind.TEXT, 10),
            Column("abc_class", "类别", Kind.TEXT, 6),
            Column("state", "本月观察", Kind.TEXT, 10),
            Column("observed_at", "最近观察时间", Kind.DATETIME),
        ],
        rows=QueryRows(retailers, row),
        period=f"{brand.name}-{query.scope.name}-{_period(query.month)}",
        extra={"brand": brand, "shelf": query},
    )


# --- 走访完成率: visit completion per manager (the ManagerMonthKpi rollup) ---------------------


def visit_completion_table(user, params) -> Table:
    month = report_month(params, month_start(timezone.localdate()))
    rollup = ManagerMonthKpi.objects.visible_to(user).filter(month=month)
    queryset = rollup.select_related("manager", "territory", "center", "department").order_by(
        "org_path", "manager__employee_no"
    )
    filterset = ManagerMonthKpiFilter(params, queryset=queryset, request=as_request(user))
    kpis = filterset.qs
    sums = kpis.aggregate(planned=Sum("plans_planned"), completed=Sum("plans_completed"))
    planned, completed = sums["planned"] or 0, sums["completed"] or 0

    def row(kpi):
        return (
            kpi.manager.employee_no,
            kpi.manager.name,
            kpi.center.name,
            kpi.department.name,
            kpi.territory.name if kpi.territory_id else "",
            kpi.plans_planned,
            kpi.plans_completed,
            _ratio(kpi.plans_completed, kpi.plans_planned),
        )

    rows = QueryRows(kpis, row)
    empty_note = ""
    if not rows and not rollup.exists():
        empty_note = _(
            "The monthly figures of %(month)s have not been computed yet: the rollup is empty "
            "for this month."
        ) % {"month": _period(month)}
    return Table(
        title="走访完成率",
        columns=[
            Column("employee_no", "工号", Kind.TEXT, 10),
            Column("name", "客户经理", Kind.TEXT, 10),
            Column("center", "营销中心", Kind.TEXT, 14),
            Column("department", "市场部", Kind.TEXT, 16),
            Column("territory", "片区", Kind.TEXT, 14),
            Column("planned", "计划走访", Kind.INT),
            Column("completed", "已完成", Kind.INT),
            Column("rate", "完成率", Kind.PERCENT),
        ],
        rows=rows,
        period=_period(month),
        totals=("合计", None, None, None, None, planned, completed, _ratio(completed, planned))
        if len(rows)
        else None,
        empty_note=empty_note,
        extra={"month": month, "filter": filterset},
    )


# --- 督察覆盖: coverage of the three supervision levels ------------------------------------------


def coverage_rows(report) -> list[tuple]:
    """Level 1 per company, level 2 per center, level 3 per department, as on the page."""
    rows = []
    for company in report.companies:
        rows.append(_share_row("一级（考评管理中心）", company))
    for center in report.centers:
        rows.append(_share_row("二级（营销中心）", center))
    for department in report.departments:
        gaps = "、".join(f"{gap.manager.name}（{gap.inspections}次）" for gap in department.gaps)
        rows.append(
            (
                "三级（市场部）",
                department.unit.name,
                department.managers,
                department.covered,
                _ratio(department.covered, department.managers),
                department.managers,
                YES if department.ok else NO,
                gaps,
            )
        )
    return rows


def _share_row(level: str, share) -> tuple:
    return (
        level,
        share.unit.name,
        share.managers,
        share.inspected,
        _ratio(share.inspected, share.managers),
        share.required,
        YES if share.ok else NO,
        "",
    )


def coverage_table(user, params) -> Table:
    month = report_month(params, month_start(timezone.localdate()))
    report = coverage_report(user=user, month=month)
    return Table(
        title="督察覆盖",
        columns=[
            Column("level", "督察层级", Kind.TEXT, 18),
            Column("unit", "单位", Kind.TEXT, 18),
            Column("managers", "客户经理数", Kind.INT),
            Column("covered", "已覆盖人数", Kind.INT),
            Column("rate", "覆盖率", Kind.PERCENT),
            Column("required", "最低要求人数", Kind.INT),
            Column("ok", "达标", Kind.TEXT, 6),
            Column("gaps", "未达标客户经理（督察次数）", Kind.TEXT, 40),
        ],
        rows=coverage_rows(report),
        period=_period(month),
        extra={"report": report},
    )


# --- 客户分类变动: classification changes -------------------------------------------------------

CLASS_RANK = {"A": 3, "B": 2, "C": 1}


def class_changes_table(user, params) -> Table:
    """The retailers of a month whose class changed from a previous class (a first
    classification is not a change), with the factor scores."""
    month = report_month(params, month_start(timezone.localdate()))
    changed = (
        ClassificationRecord.objects.visible_to(user)
        .filter(month=month)
        .exclude(previous_class="")
        .exclude(previous_class=F("final_class"))
        .select_related("retailer", "retailer__territory", "retailer__territory__manager")
        .order_by("retailer__territory__code", "retailer__license_no")
    )
    filterset = ClassificationRecordFilter(params, queryset=changed, request=as_request(user))

    def row(record):
        retailer = record.retailer
        manager = retailer.territory.manager
        up = CLASS_RANK.get(record.final_class, 0) > CLASS_RANK.get(record.previous_class, 0)
        return (
            retailer.license_no,
            retailer.shop_name,
            retailer.territory.name,
            manager.name if manager else "",
            record.previous_class,
            record.final_class,
            "升级" if up else "降级",
            record.total_score,
            record.scale_score,
            record.environment_score,
            record.potential_score,
            record.compliance_score,
            record.credit_score,
            record.average_monthly_cartons,
        )

    return Table(
        title="客户分类变动",
        columns=[
            Column("license_no", "许可证号", Kind.TEXT, 14),
            Column("shop_name", "店铺名称", Kind.TEXT, 20),
            Column("territory", "片区", Kind.TEXT, 14),
            Column("manager", "客户经理", Kind.TEXT, 10),
            Column("previous_class", "原类别", Kind.TEXT, 7),
            Column("final_class", "新类别", Kind.TEXT, 7),
            Column("direction", "变动", Kind.TEXT, 7),
            Column("total_score", "加权得分", Kind.DECIMAL),
            Column("scale_score", "经营规模", Kind.DECIMAL),
            Column("environment_score", "所处环境", Kind.DECIMAL),
            Column("potential_score", "发展潜力", Kind.DECIMAL),
            Column("compliance_score", "守法情况", Kind.DECIMAL),
            Column("credit_score", "信誉", Kind.DECIMAL),
            Column("cartons", "月均订购量（条）", Kind.DECIMAL, 12),
        ],
        rows=QueryRows(filterset.qs, row),
        period=_period(month),
        extra={"month": month, "filter": filterset},
    )


# --- 信息反馈 and 投诉: the lists with their filters -------------------------------------------


def _date_period(filterset) -> str:
    """The file name's part for a list filtered by dates: the range, else today."""
    filterset.is_valid()
    data = getattr(filterset.form, "cleaned_data", {})
    start, end = data.get("date_from"), data.get("date_to")
    if start or end:
        return f"{start or ''}至{end or ''}"
    return timezone.localdate().isoformat()


def information_table(user, params) -> Table:
    filterset = information_filtered(user=user, params=params)

    def row(item):
        retailer = item.retailer
        return (
            item.reported_at,
            str(item.get_kind_display()),
            item.content,
            str(item.get_validity_display()),
            str(item.get_lead_status_display()) if item.lead_status else "",
            item.reported_by.name,
            item.territory.name,
            retailer.license_no if retailer else "",
            retailer.shop_name if retailer else "",
        )

    return Table(
        title="信息反馈",
        columns=[
            Column("reported_at", "上报时间", Kind.DATETIME),
            Column("kind", "类型", Kind.TEXT, 12),
            Column("content", "内容", Kind.TEXT, 50),
            Column("validity", "有效性", Kind.TEXT, 8),
            Column("lead_status", "跟进", Kind.TEXT, 8),
            Column("reported_by", "上报人", Kind.TEXT, 10),
            Column("territory", "片区", Kind.TEXT, 14),
            Column("license_no", "许可证号", Kind.TEXT, 14),
            Column("shop_name", "店铺名称", Kind.TEXT, 20),
        ],
        rows=QueryRows(filterset.qs, row),
        period=_date_period(filterset),
    )


def complaints_table(user, params) -> Table:
    filterset = complaints_filtered(user=user, params=params)

    def row(complaint):
        manager = complaint.territory.manager
        return (
            complaint.opened_at,
            complaint.retailer.license_no,
            complaint.retailer.shop_name,
            complaint.territory.name,
            manager.name if manager else "",
            str(complaint.get_status_display()),
            complaint.content,
            complaint.respond_by,
            complaint.first_response_at,
            complaint.resolve_by,
            complaint.resolved_at,
            _yes_no(complaint.response_late),
            _yes_no(complaint.resolution_late),
            _yes_no(complaint.substantiated),
            complaint.resolution,
        )

    return Table(
        title="投诉",
        columns=[
            Column("opened_at", "投诉时间", Kind.DATETIME),
            Column("license_no", "许可证号", Kind.TEXT, 14),
            Column("shop_name", "店铺名称", Kind.TEXT, 20),
            Column("territory", "片区", Kind.TEXT, 14),
            Column("manager", "客户经理", Kind.TEXT, 10),
            Column("status", "状态", Kind.TEXT, 8),
            Column("content", "投诉内容", Kind.TEXT, 40),
            Column("respond_by", "响应时限", Kind.DATETIME),
            Column("first_response_at", "首次响应", Kind.DATETIME),
            Column("resolve_by", "解决时限", Kind.DATETIME),
            Column("resolved_at", "解决时间", Kind.DATETIME),
            Column("response_late", "响应超时", Kind.TEXT, 8),
            Column("resolution_late", "解决超时", Kind.TEXT, 8),
            Column("substantiated", "属实", Kind.TEXT, 6),
            Column("resolution", "处理结果", Kind.TEXT, 30),
        ],
        rows=QueryRows(filterset.qs, row),
        period=_date_period(filterset),
    )


# --- 订单异动: order anomalies -----------------------------------------------------------------


def can_see_order_anomalies(user) -> bool:
    """Whoever has the 订单异动 alert (a customer manager for their own territory)."""
    return signed_in(user) and ORDER_ANOMALY in sections_for(user)


def order_anomalies_table(user, params) -> Table:
    """The retailers whose orders fell against their department's (the 订单异动 alert of the
    month, ``order_anomaly_rows``), lowest relative ratio first. Quantities in 箱."""
    today = timezone.localdate()
    try:
        asked = parse_month(params.get("month") or "")
    except ValueError:
        asked = None
    month = shown_month(asked, today)
    this = last_complete_month(month, today)
    last = add_months(this, -1)
    rows = [
        (
            anomaly.retailer.license_no,
            anomaly.retailer.shop_name,
            anomaly.retailer.territory.name,
            anomaly.manager.name if anomaly.manager else "",
            anomaly.department_name,
            anomaly.this_cartons,
            anomaly.last_cartons,
            anomaly.retailer_ratio,
            anomaly.department_ratio,
            anomaly.relative,
        )
        for anomaly in order_anomaly_rows(user, month=month)
    ]
    return Table(
        title="订单异动",
        columns=[
            Column("license_no", "许可证号", Kind.TEXT, 14),
            Column("shop_name", "店铺名称", Kind.TEXT, 20),
            Column("territory", "片区", Kind.TEXT, 14),
            Column("manager", "客户经理", Kind.TEXT, 10),
            Column("department", "市场部", Kind.TEXT, 16),
            Column("this_boxes", f"{this:%Y-%m}订购（箱）", Kind.BOXES, 12),
            Column("last_boxes", f"{last:%Y-%m}订购（箱）", Kind.BOXES, 12),
            Column("retailer_ratio", "零售户环比", Kind.PERCENT),
            Column("department_ratio", "市场部环比", Kind.PERCENT),
            Column("relative", "相对比（零售户÷市场部）", Kind.PERCENT, 14),
        ],
        rows=rows,
        period=_period(this),
        extra={"month": month, "this_month": this, "last_month": last},
    )


# --- The registry ---------------------------------------------------------------------------

REPORTS = [
    ReportTable("ranking", "考核得分", "assessment:ranking", can_view_scores, ranking_table),
    ReportTable("shelf_rates", "上柜率", "visits:shelf_rates", signed_in, shelf_rates_table),
    ReportTable("shelf_gaps", "未上柜零售户", "reports:shelf_gaps", signed_in, shelf_gaps_table),
    ReportTable(
        "visit_completion",
        "走访完成率",
        "reports:visit_completion",
        can_read_reports,
        visit_completion_table,
    ),
    ReportTable("coverage", "督察覆盖", "assessment:coverage", can_view_scores, coverage_table),
    ReportTable(
        "class_changes",
        "客户分类变动",
        "reports:class_changes",
        can_read_reports,
        class_changes_table,
    ),
    ReportTable("information", "信息反馈", "visits:info_feed", signed_in, information_table),
    ReportTable("complaints", "投诉", "visits:complaints", signed_in, complaints_table),
    ReportTable(
        "order_anomalies",
        "订单异动",
        "reports:order_anomalies",
        can_see_order_anomalies,
        order_anomalies_table,
    ),
]
REPORT_TABLES = {report.code: report for report in REPORTS}


def report_table(code: str) -> ReportTable:
    try:
        return REPORT_TABLES[code]
    except KeyError:
        raise ReportNotFound(code) from None
