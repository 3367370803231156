from django.db import migrations


def split_months_by_company(apps, schema_editor):
    """A month was global; it becomes one row per city company. The scores of each city's
    managers move to that city's row (a single-city deployment keeps its rows as they are)."""
    AssessmentMonth = apps.get_model("assessment", "AssessmentMonth")
    ManagerScore = apps.get_model("assessment", "ManagerScore")
    OrgUnit = apps.get_model("accounts", "OrgUnit")
    first_company = OrgUnit.objects.filter(kind="company").order_by("pk").first()
    for month in AssessmentMonth.objects.filter(company__isnull=True):
        companies = sorted(
            set(
                ManagerScore.objects.filter(assessment=month)
                .exclude(manager__org_unit__company__isnull=True)
                .values_list("manager__org_unit__company_id", flat=True)
            )
        )
        if not companies:
            if first_company is None:
                month.delete()
                continue
            companies = [first_company.pk]
        month.company_id = companies[0]
        month.save(update_fields=["company"])
        for company_id in companies[1:]:
            copy = AssessmentMonth.objects.create(
                company_id=company_id,
                month=month.month,
                state=month.state,
                scheme_id=month.scheme_id,
                closed_at=month.closed_at,
                review_from=month.review_from,
                published_at=month.published_at,
                published_by_id=month.published_by_id,
            )
            ManagerScore.objects.filter(
                assessment=month, manager__org_unit__company_id=company_id
            ).update(assessment=copy)


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0003_month_and_scheme_per_city"),
    ]

    operations = [
        migrations.RunPython(split_months_by_company, migrations.RunPython.noop),
    ]
