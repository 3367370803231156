"""Appeals against a visit or an information item marked invalid, besides deductions
(DOMAIN §10.11): the appeal carries its manager, month and the level appealed, filled here
from the inspection of every existing appeal."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_from_inspection(apps, schema_editor):
    Appeal = apps.get_model("assessment", "Appeal")
    appeals = list(Appeal.objects.filter(manager__isnull=True).select_related("inspection"))
    for appeal in appeals:
        inspection = appeal.inspection
        appeal.manager_id = inspection.manager_id
        appeal.month = inspection.month
        appeal.level = inspection.level
        appeal.marked_by_id = inspection.inspector_id
    Appeal.objects.bulk_update(appeals, ["manager", "month", "level", "marked_by"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0006_month_send_back"),
        ("visits", "0007_holiday_calendar"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="appeal",
            name="manager",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="appeals",
                to=settings.AUTH_USER_MODEL,
                verbose_name="manager",
            ),
        ),
        migrations.AddField(
            model_name="appeal",
            name="month",
            field=models.DateField(null=True, verbose_name="month"),
        ),
        migrations.AddField(
            model_name="appeal",
            name="level",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "Level 1: assessment center"),
                    (2, "Level 2: marketing center"),
                    (3, "Level 3: service department"),
                ],
                null=True,
                verbose_name="level appealed",
            ),
        ),
        migrations.AddField(
            model_name="appeal",
            name="marked_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="decision appealed by",
            ),
        ),
        migrations.AddField(
            model_name="appeal",
            name="invalid_note",
            field=models.CharField(
                blank=True, max_length=500, verbose_name="reason marked invalid"
            ),
        ),
        migrations.AddField(
            model_name="appeal",
            name="visit",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="appeals",
                to="visits.visit",
                verbose_name="visit",
            ),
        ),
        migrations.AddField(
            model_name="appeal",
            name="info_item",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="appeals",
                to="visits.informationitem",
                verbose_name="information item",
            ),
        ),
        migrations.AlterField(
            model_name="appeal",
            name="inspection",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="appeals",
                to="assessment.inspection",
                verbose_name="inspection",
            ),
        ),
        migrations.RunPython(fill_from_inspection, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="appeal",
            name="manager",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="appeals",
                to=settings.AUTH_USER_MODEL,
                verbose_name="manager",
            ),
        ),
        migrations.AlterField(
            model_name="appeal",
            name="month",
            field=models.DateField(verbose_name="month"),
        ),
        migrations.AlterField(
            model_name="appeal",
            name="level",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "Level 1: assessment center"),
                    (2, "Level 2: marketing center"),
                    (3, "Level 3: service department"),
                ],
                verbose_name="level appealed",
            ),
        ),
        migrations.AddConstraint(
            model_name="appeal",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("info_item__isnull", True),
                    ("inspection__isnull", False),
                    ("visit__isnull", True),
                )
                | models.Q(
                    ("info_item__isnull", True),
                    ("inspection__isnull", True),
                    ("visit__isnull", False),
                )
                | models.Q(
                    ("info_item__isnull", False),
                    ("inspection__isnull", True),
                    ("visit__isnull", True),
                ),
                name="appeal_exactly_one_target",
            ),
        ),
        migrations.AddConstraint(
            model_name="appeal",
            constraint=models.CheckConstraint(
                condition=models.Q(("month__day", 1)), name="appeal_month_first_day"
            ),
        ),
        migrations.AddConstraint(
            model_name="appeal",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "pending")),
                fields=("inspection",),
                name="appeal_one_open_per_inspection",
            ),
        ),
        migrations.AddConstraint(
            model_name="appeal",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "pending")),
                fields=("visit",),
                name="appeal_one_open_per_visit",
            ),
        ),
        migrations.AddConstraint(
            model_name="appeal",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "pending")),
                fields=("info_item",),
                name="appeal_one_open_per_info_item",
            ),
        ),
        migrations.AddIndex(
            model_name="appeal",
            index=models.Index(fields=["month", "status"], name="appeal_month_status"),
        ),
    ]
