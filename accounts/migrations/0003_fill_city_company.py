from django.db import migrations


def fill_company(apps, schema_editor):
    """Existing data: the existing company stays a city company at the root (under no
    province); every unit gets the city company above it."""
    OrgUnit = apps.get_model("accounts", "OrgUnit")
    units = {unit.pk: unit for unit in OrgUnit.objects.all()}
    for unit in units.values():
        ids = [int(pk) for pk in unit.path.strip("/").split("/") if pk]
        company = next((i for i in ids if units[i].kind == "company"), None)
        if company is not None:
            OrgUnit.objects.filter(pk=unit.pk).update(company_id=company)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_province_and_city_company"),
    ]

    operations = [
        migrations.RunPython(fill_company, migrations.RunPython.noop),
    ]
