from datetime import date

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Max
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.admin import CityRuleAdminMixin

from .imports.targets import note_late_sales_target, note_late_shelf_target
from .models import (
    Brand,
    ClassificationRecord,
    ClassificationRuleSet,
    ClassOverride,
    KeyBrandMonth,
    OrderFileDrop,
    OrderLine,
    Retailer,
    RetailerStatusChange,
    SalesTarget,
    ShelfTarget,
    TerritoryHandover,
    Violation,
    add_months,
)


@admin.register(ClassificationRuleSet)
class ClassificationRuleSetAdmin(CityRuleAdminMixin, admin.ModelAdmin):
    list_display = ["version", "effective_from", "threshold_a", "threshold_b", "note"]
    actions = ["copy_as_new_version"]

    def get_readonly_fields(self, request, obj=None):
        # A version that has classified retailers is history: copy it to change the rules.
        if obj is not None and ClassificationRecord.objects.filter(rule_set=obj).exists():
            return [field.name for field in obj._meta.fields]
        return []

    def has_delete_permission(self, request, obj=None):
        if obj is not None and ClassificationRecord.objects.filter(rule_set=obj).exists():
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Copy as a new version from next month"))
    def copy_as_new_version(self, request, queryset):
        next_version = (ClassificationRuleSet.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        for rule_set in queryset.order_by("version"):
            original = rule_set.version
            rule_set.pk = None
            rule_set.version = next_version
            rule_set.effective_from = add_months(timezone.localdate(), 1)
            rule_set.note = _("Copy of version %(version)s") % {"version": original}
            rule_set.save()
            messages.success(
                request,
                _("Version %(version)s created; edit it before it takes effect.")
                % {"version": next_version},
            )
            next_version += 1


class ViolationInline(admin.TabularInline):
    model = Violation
    extra = 0
    fields = ["occurred_on", "severity", "description"]


class StatusChangeInline(admin.TabularInline):
    """The status history, read only: changes go through the status service or import."""

    model = RetailerStatusChange
    extra = 0
    fields = ["effective_from", "status", "note", "recorded_by", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Retailer)
class RetailerAdmin(admin.ModelAdmin):
    list_display = ["license_no", "shop_name", "territory", "abc_class", "status"]
    list_filter = ["status", "abc_class", "market_type", "retail_format"]
    search_fields = ["license_no", "shop_name", "owner_name"]
    list_select_related = ["territory"]
    readonly_fields = ["abc_class", "class_pinned", "territory", "status"]
    inlines = [StatusChangeInline, ViolationInline]

    def has_add_permission(self, request):
        # Retailers come in through imports, which keep the assignment history.
        return False


class KeyBrandMonthInline(admin.TabularInline):
    model = KeyBrandMonth
    extra = 1


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "manufacturer", "price_class", "wholesale_price", "launch_date"]
    list_filter = ["price_class", "is_active"]
    search_fields = ["code", "name"]
    inlines = [KeyBrandMonthInline]


class NoFullCountPaginator(Paginator):
    """A paginator that never counts a big table row by row.

    An unfiltered list on PostgreSQL takes the planner's estimate of the table's rows
    (``pg_class.reltuples``, kept by ANALYZE); any other list counts at most ``count_limit``
    rows (``SELECT COUNT(*) FROM (… LIMIT n)``), so its last pages are reached by narrowing
    the filter, not by counting millions of rows on every page.
    """

    count_limit = 100_000

    @cached_property
    def count(self):
        queryset = self.object_list
        if connection.vendor == "postgresql" and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] > self.count_limit:  # -1: never analysed
                return int(row[0])
        return queryset.order_by()[: self.count_limit].count()


class OrderMonthFilter(admin.SimpleListFilter):
    """The month of the order date: the last 24 months, listed without a query (a date
    hierarchy would scan the table for its distinct years and months)."""

    title = _("order month")
    parameter_name = "month"
    months = 24

    def lookups(self, request, model_admin):
        first = timezone.localdate().replace(day=1)
        return [
            (f"{month:%Y-%m}", f"{month:%Y-%m}")
            for month in (add_months(first, -n) for n in range(self.months))
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            first = date.fromisoformat(f"{self.value()}-01")
        except ValueError:
            return queryset.none()
        return queryset.filter(order_date__gte=first, order_date__lt=add_months(first, 1))


@admin.register(OrderLine)
class OrderLineAdmin(admin.ModelAdmin):
    """Millions of rows at city size: no full count, related rows joined, a month filter."""

    list_display = [
        "source_order_no",
        "order_date",
        "retailer",
        "brand",
        "quantity",
        "amount",
        "returns_line",
        "arrived_at",
    ]
    list_select_related = ["retailer", "brand", "returns_line"]
    list_filter = [OrderMonthFilter, "settled_on_time"]
    search_fields = ["source_order_no", "retailer__license_no"]
    raw_id_fields = ["retailer", "brand", "returns_line"]
    show_full_result_count = False
    paginator = NoFullCountPaginator

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SalesTarget)
class SalesTargetAdmin(admin.ModelAdmin):
    list_display = ["manager", "month", "total_boxes", "key_brand_boxes"]
    list_filter = ["month"]
    list_select_related = ["manager"]

    def save_model(self, request, obj, form, change):
        """An admin's correction of a target of a month in review or published is late data
        of it (DOMAIN §4, §10.1)."""
        super().save_model(request, obj, form, change)
        note_late_sales_target(obj)


@admin.register(ShelfTarget)
class ShelfTargetAdmin(admin.ModelAdmin):
    list_display = ["brand", "month", "org_unit", "territory", "rate"]
    list_filter = ["month"]
    list_select_related = ["brand", "org_unit", "territory"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        note_late_shelf_target(obj)


@admin.register(ClassificationRecord)
class ClassificationRecordAdmin(admin.ModelAdmin):
    list_display = ["retailer", "month", "previous_class", "final_class", "total_score"]
    list_filter = ["month", "final_class"]
    list_select_related = ["retailer"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ClassOverride)
class ClassOverrideAdmin(admin.ModelAdmin):
    list_display = ["retailer", "old_class", "new_class", "pinned", "created_by", "created_at"]
    list_select_related = ["retailer", "created_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TerritoryHandover)
class TerritoryHandoverAdmin(admin.ModelAdmin):
    """Handovers are recorded through the services (the import, a manager's leave), which
    write the dated assignments; here they are read, and only the note can be changed."""

    list_display = [
        "territory",
        "kind",
        "from_manager",
        "to_manager",
        "effective_from",
        "until",
        "applied_at",
        "recorded_by",
    ]
    list_filter = ["kind"]
    search_fields = ["territory__code", "to_manager__employee_no", "from_manager__employee_no"]
    date_hierarchy = "effective_from"
    raw_id_fields = ["retailers"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in TerritoryHandover._meta.fields if f.name != "note"] + ["retailers"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OrderFileDrop)
class OrderFileDropAdmin(admin.ModelAdmin):
    """The order files the inbox task took (read-only: the task writes them)."""

    list_display = ["received_at", "name", "status", "rows", "created", "moved_to"]
    list_filter = ["status"]
    date_hierarchy = "received_at"
    search_fields = ["name"]
    readonly_fields = [f.name for f in OrderFileDrop._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
