"""Every existing retailer gets one status change: its current status, effective from the
day it was created (Asia/Shanghai).

The created date, not date.min: a status file imported later may date a change before that
day, and the current status must still hold from the creation on (with date.min the older
change would override it for ever after). Before the first change the first recorded status
applies anyway, so the days before the creation keep the current status too.
"""

from zoneinfo import ZoneInfo

from django.db import migrations


def history_from_current(apps, schema_editor):
    Retailer = apps.get_model("retailers", "Retailer")
    RetailerStatusChange = apps.get_model("retailers", "RetailerStatusChange")
    zone = ZoneInfo("Asia/Shanghai")
    batch = []
    rows = Retailer.objects.exclude(status_changes__isnull=False).values_list(
        "pk", "status", "created_at"
    )
    for pk, status, created_at in rows.iterator(chunk_size=5000):
        batch.append(
            RetailerStatusChange(
                retailer_id=pk, status=status, effective_from=created_at.astimezone(zone).date()
            )
        )
        if len(batch) >= 5000:
            RetailerStatusChange.objects.bulk_create(batch)
            batch = []
    RetailerStatusChange.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("retailers", "0004_retailer_status_history"),
    ]

    operations = [
        migrations.RunPython(history_from_current, migrations.RunPython.noop),
    ]
