from datetime import date
from decimal import Decimal

from django.db import migrations

DEFAULT_ENVIRONMENT_SCORES = {
    "business_center": 100,
    "transport_hub": 90,
    "residential": 70,
    "school_hospital": 60,
    "urban_fringe": 50,
    "rural_town": 40,
    "remote_rural": 20,
}


def create_default_rules(apps, schema_editor):
    """Version 1 of the classification rules: the defaults of DOMAIN.md §2."""
    RuleSet = apps.get_model("retailers", "ClassificationRuleSet")
    if RuleSet.objects.exists():
        return
    RuleSet.objects.create(
        version=1,
        effective_from=date(2000, 1, 1),
        note="DOMAIN.md §2 defaults",
        weight_scale=Decimal("0.40"),
        weight_environment=Decimal("0.15"),
        weight_potential=Decimal("0.15"),
        weight_compliance=Decimal("0.20"),
        weight_credit=Decimal("0.10"),
        environment_scores=DEFAULT_ENVIRONMENT_SCORES,
        scale_months=3,
        potential_default=3,
        minor_violation_points=10,
        serious_violation_points=30,
        violation_months=12,
        credit_without_orders=50,
        threshold_a=Decimal("75"),
        threshold_b=Decimal("50"),
        serious_violation_cap="C",
        visits_a=4,
        visits_b=2,
        visits_c=1,
    )


class Migration(migrations.Migration):
    dependencies = [("retailers", "0001_initial")]

    operations = [migrations.RunPython(create_default_rules, migrations.RunPython.noop)]
