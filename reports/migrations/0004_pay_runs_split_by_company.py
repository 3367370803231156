from django.db import migrations


def split_runs_by_company(apps, schema_editor):
    """A pay run was global; it becomes one run per city company, each holding the lines of
    its city's managers (a single-city deployment keeps its runs as they are)."""
    PayRun = apps.get_model("reports", "PayRun")
    PayLine = apps.get_model("reports", "PayLine")
    OrgUnit = apps.get_model("accounts", "OrgUnit")
    first_company = OrgUnit.objects.filter(kind="company").order_by("pk").first()
    for run in PayRun.objects.filter(company__isnull=True):
        companies = sorted(
            set(
                PayLine.objects.filter(run=run)
                .exclude(manager__org_unit__company__isnull=True)
                .values_list("manager__org_unit__company_id", flat=True)
            )
        )
        if not companies:
            if first_company is None:
                run.delete()
                continue
            companies = [first_company.pk]
        run.company_id = companies[0]
        run.save(update_fields=["company"])
        for company_id in companies[1:]:
            copy = PayRun.objects.create(
                company_id=company_id,
                month=run.month,
                scheme_id=run.scheme_id,
                status=run.status,
                prepared_by_id=run.prepared_by_id,
                prepared_at=run.prepared_at,
                approved_by_id=run.approved_by_id,
                approved_at=run.approved_at,
            )
            PayLine.objects.filter(run=run, manager__org_unit__company_id=company_id).update(
                run=copy
            )


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_pay_per_city"),
    ]

    operations = [
        migrations.RunPython(split_runs_by_company, migrations.RunPython.noop),
    ]
