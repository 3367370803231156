from django.contrib import admin, messages
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.admin import CityRuleAdminMixin

from .models import (
    Brand,
    ClassificationRecord,
    ClassificationRuleSet,
    ClassOverride,
    KeyBrandMonth,
    OrderFileDrop,
    OrderLine,
    Retailer,
    SalesTarget,
    ShelfTarget,
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


@admin.register(Retailer)
class RetailerAdmin(admin.ModelAdmin):
    list_display = ["license_no", "shop_name", "territory", "abc_class", "status"]
    list_filter = ["status", "abc_class", "market_type", "retail_format"]
    search_fields = ["license_no", "shop_name", "owner_name"]
    list_select_related = ["territory"]
    readonly_fields = ["abc_class", "class_pinned", "territory"]
    inlines = [ViolationInline]

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


@admin.register(OrderLine)
class OrderLineAdmin(admin.ModelAdmin):
    list_display = ["source_order_no", "order_date", "retailer", "brand", "quantity", "amount"]
    list_select_related = ["retailer", "brand"]
    search_fields = ["source_order_no", "retailer__license_no"]
    date_hierarchy = "order_date"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SalesTarget)
class SalesTargetAdmin(admin.ModelAdmin):
    list_display = ["manager", "month", "total_boxes", "key_brand_boxes"]
    list_filter = ["month"]
    list_select_related = ["manager"]


@admin.register(ShelfTarget)
class ShelfTargetAdmin(admin.ModelAdmin):
    list_display = ["brand", "month", "org_unit", "territory", "rate"]
    list_filter = ["month"]
    list_select_related = ["brand", "org_unit", "territory"]


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
