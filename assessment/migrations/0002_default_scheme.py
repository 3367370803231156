from datetime import date
from decimal import Decimal

from django.db import migrations

# DOMAIN.md §4: the default 百分制 scheme (items sum to 100, bonus capped at 5).
DEFAULT_ITEMS = [
    (
        "sales",
        "销量任务",
        "25",
        "ratio_to_target",
        {"actual": "sales_boxes", "target": "sales_target_boxes"},
    ),
    (
        "key_brand",
        "重点品牌销量",
        "10",
        "ratio_to_target",
        {"actual": "key_brand_boxes", "target": "key_brand_target_boxes"},
    ),
    ("new_shelf", "新品上柜率", "15", "mean_ratio_to_target", {"rates": "new_brand_rates"}),
    (
        "visits",
        "走访计划完成率",
        "15",
        "count_quota",
        {"count": "visits_completed", "quota_field": "visits_planned"},
    ),
    ("info", "信息反馈", "10", "count_quota", {"count": "info_items", "quota": 8}),
    (
        "satisfaction",
        "客户满意度",
        "10",
        "scale_mean",
        {"mean": "satisfaction_mean", "low": 1, "high": 5},
    ),
    (
        "discipline",
        "服务规范与工作纪律",
        "15",
        "deduction_per_count",
        {
            "per": {
                "late_plans": 1,
                "missing_plans": 2,
                "overdue_complaints": 1,
                "substantiated_complaints": 2,
            }
        },
    ),
]


def create_default_scheme(apps, schema_editor):
    Scheme = apps.get_model("assessment", "AssessmentScheme")
    Item = apps.get_model("assessment", "SchemeItem")
    if Scheme.objects.exists():
        return
    scheme = Scheme.objects.create(
        version=1,
        effective_from=date(2000, 1, 1),
        bonus_cap=Decimal("5"),
        appeal_days=5,
        note="DOMAIN.md §4 defaults",
    )
    Item.objects.bulk_create(
        Item(
            scheme=scheme,
            code=code,
            name=name,
            max_points=Decimal(points),
            metric=metric,
            params=params,
            position=position,
        )
        for position, (code, name, points, metric, params) in enumerate(DEFAULT_ITEMS)
    )


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(create_default_scheme, migrations.RunPython.noop)]
