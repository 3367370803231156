from django.contrib import admin

from accounts.admin import CityRuleAdminMixin

from .models import FileLimits


@admin.register(FileLimits)
class FileLimitsAdmin(CityRuleAdminMixin, admin.ModelAdmin):
    list_display = [
        "effective_from",
        "xlsx_max_unpacked_mb",
        "max_rows",
        "max_columns",
        "max_cell_chars",
        "order_max_cartons",
        "order_max_amount",
    ]
