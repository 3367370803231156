import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_pay_runs_split_by_company"),
    ]

    operations = [
        migrations.AlterField(
            model_name="payrun",
            name="company",
            field=models.ForeignKey(
                limit_choices_to={"kind": "company"},
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.orgunit",
                verbose_name="city company",
            ),
        ),
        migrations.AddConstraint(
            model_name="payrun",
            constraint=models.UniqueConstraint(
                fields=("company", "month"), name="pay_run_unique_month"
            ),
        ),
    ]
