from datetime import date

from django.db import migrations

# DOMAIN.md §5–§6 defaults: piece rates per 箱 by price class, linear score coefficient,
# no floor and no cap, and the tier table.
PIECE_RATES = {"1": "40", "2": "30", "3": "20", "4": "12", "5": "8"}
TIERS = {
    "probation": {"coefficient": "0.8", "allowance": "0"},
    "one_star": {"coefficient": "0.9", "allowance": "200"},
    "two_star": {"coefficient": "1.0", "allowance": "400"},
    "three_star": {"coefficient": "1.1", "allowance": "600"},
    "four_star": {"coefficient": "1.2", "allowance": "800"},
    "five_star": {"coefficient": "1.3", "allowance": "1000"},
}


def create_default_pay_scheme(apps, schema_editor):
    PayScheme = apps.get_model("reports", "PayScheme")
    if PayScheme.objects.exists():
        return
    PayScheme.objects.create(
        version=1,
        effective_from=date(2000, 1, 1),
        piece_rates=PIECE_RATES,
        score_mode="linear",
        score_bands=[],
        floor=None,
        cap=None,
        tiers=TIERS,
        note="DOMAIN.md §5–§6 defaults",
    )


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(create_default_pay_scheme, migrations.RunPython.noop)]
