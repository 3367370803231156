from datetime import date

from django.db import migrations


def create_default_file_limits(apps, schema_editor):
    """The file limits of DOMAIN.md §9 as the province default (cities may override them)."""
    FileLimits = apps.get_model("imports", "FileLimits")
    if FileLimits.objects.exists():
        return
    FileLimits.objects.create(version=1, effective_from=date(2000, 1, 1), note="DOMAIN.md §9")


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_file_limits")]

    operations = [
        migrations.RunPython(create_default_file_limits, migrations.RunPython.noop),
    ]
