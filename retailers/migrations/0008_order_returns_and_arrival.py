"""Returns (退货) and the arrival time of order lines.

Order lines had no creation time, so existing lines are given the start (Asia/Shanghai) of the
day after their order date: the earliest moment a day's lines can all be known, before any
month containing them could be closed, so none of them looks like late data (DOMAIN §4, §10.7).
New lines take the database's current time when inserted (the import sets it explicitly).
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import django.db.models.deletion
import django.db.models.functions.datetime
from django.db import migrations, models

SHANGHAI = ZoneInfo("Asia/Shanghai")


def fill_arrival(apps, schema_editor):
    OrderLine = apps.get_model("retailers", "OrderLine")
    days = OrderLine.objects.filter(arrived_at__isnull=True).values_list("order_date", flat=True)
    for day in sorted(set(days.distinct().order_by())):
        OrderLine.objects.filter(order_date=day, arrived_at__isnull=True).update(
            arrived_at=datetime.combine(day + timedelta(days=1), time(), tzinfo=SHANGHAI)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("retailers", "0007_order_file_drops"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="orderline",
            name="order_line_quantity_positive",
        ),
        migrations.RemoveConstraint(
            model_name="orderline",
            name="order_line_amount_nonnegative",
        ),
        migrations.AddField(
            model_name="orderline",
            name="arrived_at",
            field=models.DateTimeField(null=True, verbose_name="arrived at"),
        ),
        migrations.RunPython(fill_arrival, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="orderline",
            name="arrived_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                db_index=True,
                verbose_name="arrived at",
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="returns_line",
            field=models.ForeignKey(
                blank=True,
                help_text="A return (退货) names the order line it returns: same retailer and brand, negative quantity and amount.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="returns",
                to="retailers.orderline",
                verbose_name="returns order line",
            ),
        ),
        migrations.AddConstraint(
            model_name="orderline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("amount__gte", 0), ("quantity__gt", 0), ("returns_line__isnull", True)
                    ),
                    models.Q(
                        ("amount__lt", 0), ("quantity__lt", 0), ("returns_line__isnull", False)
                    ),
                    _connector="OR",
                ),
                name="order_line_sign_consistent",
            ),
        ),
        migrations.AddConstraint(
            model_name="orderline",
            constraint=models.CheckConstraint(
                condition=models.Q(("returns_line", models.F("pk")), _negated=True),
                name="order_line_not_own_return",
            ),
        ),
    ]
