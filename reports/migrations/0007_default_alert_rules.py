from datetime import date
from decimal import Decimal

from django.db import migrations


def create_default_alert_rules(apps, schema_editor):
    """The alert thresholds of DOMAIN.md §8 and the month deadlines of §4, as the province
    default (every city uses it until it sets its own)."""
    AlertRules = apps.get_model("reports", "AlertRules")
    if AlertRules.objects.exists():
        return
    AlertRules.objects.create(
        version=1,
        effective_from=date(2000, 1, 1),
        no_order_days=28,
        anomaly_ratio=Decimal("0.80"),
        violation_count=2,
        violation_months=12,
        score_floor=Decimal("60"),
        score_drop=Decimal("10"),
        close_by_day=5,
        publish_by_day=15,
        note="DOMAIN.md §8 defaults",
    )


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_dashboards_and_alerts")]

    operations = [
        migrations.RunPython(create_default_alert_rules, migrations.RunPython.noop),
    ]
