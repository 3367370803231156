from datetime import date

from django.db import migrations


def create_default_rules(apps, schema_editor):
    """The thresholds of DOMAIN.md §3 (fields' defaults), in force from the start."""
    VisitRules = apps.get_model("visits", "VisitRules")
    if not VisitRules.objects.exists():
        VisitRules.objects.create(effective_from=date(2000, 1, 1))


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]

    operations = [migrations.RunPython(create_default_rules, migrations.RunPython.noop)]
