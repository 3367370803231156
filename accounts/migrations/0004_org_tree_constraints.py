from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_fill_city_company"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="orgunit",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("kind__in", ["province", "company"]),
                    ("parent__isnull", False),
                    _connector="OR",
                ),
                name="orgunit_root_is_province_or_company",
            ),
        ),
        migrations.AddConstraint(
            model_name="orgunit",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "province"), _negated=True),
                    ("parent__isnull", True),
                    _connector="OR",
                ),
                name="orgunit_province_is_root",
            ),
        ),
        migrations.AddConstraint(
            model_name="orgunit",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("kind__in", ["marketing_center", "service_department"]), _negated=True
                    ),
                    ("company__isnull", False),
                    _connector="OR",
                ),
                name="orgunit_company_set_below_company",
            ),
        ),
        migrations.AddConstraint(
            model_name="orgunit",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "province"), _negated=True),
                    ("company__isnull", True),
                    _connector="OR",
                ),
                name="orgunit_province_has_no_company",
            ),
        ),
    ]
