"""run_pay → approve → export_bonus_sheet → read the xlsx back: every money cell by hand.

Default pay scheme (DOMAIN.md §5–§6); October 2026 published. Hand computation:
- A1 见习 (0.8, 0): 500 条 一类 = 2 箱 × 40 = 80.00; score 90 (info 0/8 → 0) → 0.90;
  round(80 × 0.90 × 0.8) = 57.60 + 0 = 57.60
- A2 五星 (1.3, 1,000): 250 条 三类 = 1 箱 × 20 = 20.00; 0.90; round(20 × 0.9 × 1.3) = 23.40
  + 1,000 = 1,023.40
- B1 二星 (1.0, 400): 1,000 条 一类 = 4 箱 × 40 = 160.00; 8 information items and 3 bonus
  points → score 103.00 → 1.03; round(160 × 1.03 × 1.0) = 164.80 + 400 = 564.80
- B2 一星 (0.9, 200): no sales → 200.00 (the allowance alone)
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from django.core.management import call_command
from django.utils import timezone

from assessment.services import bonus_grant, month_close, month_publish, month_start_review
from reports.models import ManagerTier, PayRun
from tests.factories import BrandFactory, OrderLineFactory, RetailerFactory
from visits.models import InformationItem

pytestmark = pytest.mark.django_db
OCT = date(2026, 10, 1)
TZ = ZoneInfo("Asia/Shanghai")


def test_pay_lines_end_to_end_through_the_sheet(org, tmp_path):
    one, three = BrandFactory(price_class=1), BrandFactory(price_class=3)
    sales = {org.a.cm: (one, 500), org.a.cm2: (three, 250), org.b.cm: (one, 1000)}
    for manager, (brand, cartons) in sales.items():
        shop = RetailerFactory(territory=manager.territory)
        OrderLineFactory(
            retailer=shop, brand=brand, order_date=date(2026, 10, 12), quantity=cartons
        )
    for n in range(8):
        InformationItem.objects.create(
            kind="price",
            content=f"信息{n}",
            reported_by=org.b.cm,
            territory=org.b.territory,
            reported_at=datetime(2026, 10, 2 + n, 10, tzinfo=TZ),
        )
    bonus_grant(
        user=org.b.center_supervisor,
        manager_id=org.b.cm.pk,
        day=date(2026, 10, 9),
        points=Decimal(3),
        reason="假烟线索查实",
    )
    tiers = {
        org.a.cm: "probation",
        org.a.cm2: "five_star",
        org.b.cm: "two_star",
        org.b.cm2: "one_star",
    }
    for manager, tier in tiers.items():
        ManagerTier.objects.create(manager=manager, tier=tier, effective_from=date(2020, 1, 1))
    month_close(month=OCT)
    month_start_review(month=OCT, now=timezone.now() - timedelta(days=6))  # window over
    month_publish(month=OCT)

    call_command("run_pay", "2026-10", "--user", org.hr.employee_no)
    call_command("approve_pay", "2026-10", "--user", org.admin.employee_no)
    assert PayRun.objects.get(month=OCT).status == "approved"
    out = tmp_path / "bonus.xlsx"
    call_command("export_bonus_sheet", "2026-10", "--out", str(out))

    expected = {
        org.a.cm.employee_no: ("80.00", "0.00", "57.60"),
        org.a.cm2.employee_no: ("20.00", "1000.00", "1023.40"),
        org.b.cm.employee_no: ("160.00", "400.00", "564.80"),
        org.b.cm2.employee_no: ("0.00", "200.00", "200.00"),
    }
    sheets = pd.read_excel(out, sheet_name=None, dtype={"工号": str})
    assert list(sheets)[0] == "汇总"
    seen = {}
    for name, frame in sheets.items():
        if name == "汇总":
            continue
        for _, row in frame[frame["工号"].isin(expected)].iterrows():
            seen[row["工号"]] = tuple(
                Decimal(str(row[column])).quantize(Decimal("0.01"))
                for column in ("计件工资", "等级津贴", "应发奖金")
            )
            assert row["营销中心"] == name
    assert seen == {k: tuple(Decimal(v) for v in values) for k, values in expected.items()}
    summary = sheets["汇总"]
    grand = summary[summary["序号"] == "合计"].iloc[0]
    assert Decimal(str(grand["应发奖金"])).quantize(Decimal("0.01")) == Decimal("1845.80")
    assert Decimal(str(grand["一类 (箱)"])).quantize(Decimal("0.01")) == Decimal("6.00")
    footer = " ".join(str(cell) for cell in summary.iloc[-1].tolist())
    assert "制表：人事专员" in footer and "审核：系统管理员" in footer and "已审批" in footer
    assert "批准：________" in footer
