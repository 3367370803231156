"""The daily desk jobs in chromium at 1440×900 (issue #14): a supervisor walks the flagged
visits with "next", the assessment center publishes a month (refused inside the appeal
window, then allowed after it, through the confirmation step), and HR downloads the bonus
sheet and reads it back with openpyxl. Screenshots land in artifacts/screenshots/desk-*.png.
"""

import zipfile
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from assessment.models import AssessmentMonth, MonthState
from assessment.services import month_close, month_start_review
from reports.models import PayLine
from retailers.models import add_months, month_start
from tests.browser.conftest import assert_no_horizontal_scroll, log_in, screenshot
from tests.factories import RetailerFactory
from tests.reports.test_bonus_sheet_download import (
    NAME_A,
    NAME_B,
    SIGNATURE,
    assert_totals,
    footer_cells,
    stored_totals,
)
from tests.reports.test_export_sheet import make_run
from visits.models import Visit, VisitStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOP_LAT, SHOP_LNG = Decimal("31.950000"), Decimal("118.800000")


def flagged_visit(org, name, minutes_ago, minutes, **fields):
    retailer = RetailerFactory(
        territory=org.a.territory, shop_name=name, latitude=SHOP_LAT, longitude=SHOP_LNG
    )
    moment = timezone.now() - timedelta(minutes=minutes_ago)
    return Visit.objects.create(
        manager=org.a.cm,
        retailer=retailer,
        territory=org.a.territory,
        checked_in_at=moment,
        checked_out_at=moment + timedelta(minutes=minutes),
        check_in_date=timezone.localdate(moment),
        **fields,
    )


def test_supervisor_reviews_two_flagged_visits_with_next(desktop, org):
    # 0.004° north of the shop: 0.004 × π/180 × 6 371 000 = 444.8 m → 445 m, north (北).
    far = flagged_visit(
        org,
        "远点便利店",
        30,
        12,
        latitude=SHOP_LAT + Decimal("0.004"),
        longitude=SHOP_LNG,
        distance_m=445,
        flag_far=True,
    )
    short = flagged_visit(org, "匆匆烟酒店", 90, 1, flag_short=True)
    page = desktop
    log_in(page, org.a.dept_supervisor.employee_no, org.password)

    page.goto("/visits/?flagged=true")
    assert page.locator("#reviewed").input_value() == "false"  # opens on 未审核
    screenshot(page, "desk-1-flagged-list")
    assert "未审核 · 共 2 次" in page.locator("main").inner_text()
    shops = page.locator(".list-group-item strong").all_inner_texts()
    assert shops == ["远点便利店", "匆匆烟酒店"]  # latest check-in first
    assert_no_horizontal_scroll(page)
    screenshot(page, "desk-1-flagged-list")

    page.get_by_role("link", name="远点便利店").click()
    place = page.locator(".check-in-place")
    assert "签到点在门店北方向 445 米处" in place.inner_text()
    sketch = place.locator("svg")
    assert sketch.is_visible()
    shop_y = float(sketch.locator("rect").get_attribute("y")) + 5
    point_y = float(sketch.locator("circle").get_attribute("cy"))
    assert point_y < shop_y  # the check-in point is drawn above (north of) the shop
    screenshot(page, "desk-2-far-visit")

    page.get_by_role("button", name="标记有效").click()
    assert page.get_by_text("该走访已标记为有效。").is_visible()
    next_button = page.get_by_role("link", name="下一条异常走访")
    assert next_button.is_visible()
    assert_no_horizontal_scroll(page)
    screenshot(page, "desk-3-reviewed-next")

    next_button.click()
    assert page.locator("h1").inner_text() == "匆匆烟酒店"
    page.get_by_placeholder("审核意见（标记无效时必填）").fill("停留不足两分钟，未见陈列记录")
    page.get_by_role("button", name="标记无效").click()
    assert page.get_by_text("此列表中已没有未审核的异常走访。").is_visible()
    screenshot(page, "desk-4-queue-done")

    far.refresh_from_db()
    short.refresh_from_db()
    assert (far.status, far.reviewed_by) == (VisitStatus.VALID, org.a.dept_supervisor)
    assert (short.status, short.reviewed_by) == (VisitStatus.INVALID, org.a.dept_supervisor)
    assert short.review_note == "停留不足两分钟，未见陈列记录"

    page.get_by_role("link", name="返回列表").click()
    assert page.get_by_text("没有走访记录。").is_visible()


def test_publishing_waits_for_the_appeal_window(desktop, org):
    month = add_months(month_start(timezone.localdate()), -1)
    month_close(month=month, company=org.company)
    opened = month_start_review(month=month, company=org.company).review_from
    can_from = timezone.localtime(opened + timedelta(days=5)).strftime("%Y-%m-%d %H:%M")
    label = f"{month:%Y-%m}"
    page = desktop
    log_in(page, org.assessor.employee_no, org.password)

    page.goto(f"/assessment/months/?company={org.company.pk}")
    row = page.locator(f"#month-{label}")
    assert f"{can_from} 之后可发布" in row.inner_text()
    screenshot(page, "desk-5-months-in-review")
    row.get_by_role("button", name="发布").click()
    # The step says from when, and offers no button that would be refused.
    refused = page.locator("#confirm .publish-refused")
    end = timezone.localtime(opened + timedelta(days=5)).strftime("%Y-%m-%d %H:%M:%S")
    assert refused.inner_text() == f"客户经理可申诉至 {end}，此后方可发布该月。"
    assert page.locator("#confirm button").count() == 0
    assert_no_horizontal_scroll(page)
    screenshot(page, "desk-6-publish-refused")
    assert AssessmentMonth.objects.get(month=month).state == MonthState.REVIEW

    # Five days and a minute later (moved in the database): the confirmation step publishes.
    AssessmentMonth.objects.filter(month=month).update(
        review_from=opened - timedelta(days=5, minutes=1)
    )
    page.goto(f"/assessment/months/?company={org.company.pk}")
    page.locator(f"#month-{label}").get_by_role("button", name="发布").click()
    confirm = page.locator("#confirm")
    assert f"确认发布 {org.company.name} {label}？" in confirm.inner_text()
    screenshot(page, "desk-7-publish-confirm")
    assert AssessmentMonth.objects.get(month=month).state == MonthState.REVIEW
    confirm.get_by_role("button", name=f"发布 {label}").click()
    assert page.get_by_text(f"{org.company.name} {label} 已发布。").is_visible()
    screenshot(page, "desk-8-published")
    assessment = AssessmentMonth.objects.get(month=month)
    assert (assessment.state, assessment.published_by) == (MonthState.PUBLISHED, org.assessor)


def test_hr_downloads_the_bonus_sheet(desktop, org, tmp_path):
    run = make_run(org, approved=True)  # 2026-10: prepared by 人事专员, approved by 系统管理员
    run.lines.filter(center_code="C-A").update(center_name=NAME_A)
    run.lines.filter(center_code="C-B").update(center_name=NAME_B)
    page = desktop
    log_in(page, org.hr.employee_no, org.password)

    page.goto("/pay/bonus-sheet/")
    assert_no_horizontal_scroll(page)
    screenshot(page, "desk-9-bonus-sheets")
    with page.expect_download() as info:
        page.locator("#run-2026-10").get_by_role("link", name="XLSX").click()
    download = info.value
    assert download.suggested_filename == "奖金表-2026年10月.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    book = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(path, data_only=True)

    assert book.sheetnames == ["汇总", NAME_A, NAME_B]  # org-code order, not the names'
    with zipfile.ZipFile(path) as archive:  # the printed header as reports.sheets writes it
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert (
        '<oddHeader>&amp;C&amp;"-,Bold"&amp;12 测试市烟草公司2026年10月客户经理奖金表 汇总<' in xml
    )
    for name in book.sheetnames:
        header = book[name].oddHeader.center
        assert (header.font, header.size) == ("-,Bold", 12)
        assert header.text == f"测试市烟草公司2026年10月客户经理奖金表 {name}"
        assert footer_cells(book[name]) == [
            "制表：人事专员",
            "审核：系统管理员",
            f"批准：{SIGNATURE}",
        ]
    a, b = book[NAME_A], book[NAME_B]
    assert [a.cell(r, 2).value for r in (2, 3)] == ["1A01", "1A02"]
    assert [b.cell(r, 2).value for r in (2, 3)] == ["1B01", "1B02"]
    lines = list(PayLine.objects.filter(run=run))
    assert_totals(a, values[NAME_A], stored_totals(x for x in lines if x.center_code == "C-A"), 2)
    assert_totals(b, values[NAME_B], stored_totals(x for x in lines if x.center_code == "C-B"), 2)
    assert_totals(book["汇总"], values["汇总"], stored_totals(lines), 2)
