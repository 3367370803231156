"""Late data in chromium at 1440×900 (issue #15): the assessment center follows the months
page to the adjustments of November — the 调整 line of October's late order lines and the
补发 of November's pay run — and HR sees the 补发/扣回 column of the pay run. Screenshots land
in artifacts/screenshots/late-*.png."""

from datetime import date

import pytest

from assessment.models import ScoreAdjustment
from assessment.services import month_close
from reports.services.pay import pay_run_prepare
from tests.assessment.test_late_adjustments import late_base, late_order, publish
from tests.browser.conftest import assert_no_horizontal_scroll, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_assessment_center_and_hr_see_the_adjustments(desktop, org):
    late_base(org)
    late_order(org, 500)
    month_close(month=date(2026, 11, 1))
    publish(date(2026, 11, 1))
    pay_run_prepare(month=date(2026, 11, 1), user=org.hr)
    line = ScoreAdjustment.objects.get()

    page = desktop
    log_in(page, org.assessor.employee_no, org.password)
    page.goto(f"/assessment/months/?company={org.company.pk}")
    page.locator("#month-2026-11 a", has_text="调整").click()
    page.wait_for_selector(f"#adjustment-{line.pk}")
    row = page.locator(f"#adjustment-{line.pk}")
    assert "+5.00" in row.inner_text() and "销量任务 20.00 → 25.00" in row.inner_text()
    assert "补发（2026-10）" in page.locator("#pay-adjustments").inner_text()
    assert_no_horizontal_scroll(page)
    screenshot(page, "late-1-adjustments")

    desktop.context.clear_cookies()
    hr = desktop
    log_in(hr, org.hr.employee_no, org.password)
    hr.goto(f"/pay/runs/?company={org.company.pk}&month=2026-11")
    assert hr.locator("[data-testid=total-adjustment]").inner_text() == "61.20"
    assert "261.20" in hr.locator(f"#line-{org.a.cm.employee_no}").inner_text()
    screenshot(hr, "late-2-pay-run")
