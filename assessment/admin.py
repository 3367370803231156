from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.admin import CityRuleAdminMixin
from retailers.models import add_months

from .models import (
    Appeal,
    AssessmentMonth,
    AssessmentScheme,
    BonusPoint,
    Inspection,
    ManagerScore,
    SchemeItem,
)


def scheme_in_use(scheme) -> bool:
    return AssessmentMonth.objects.filter(scheme=scheme).exists()


class SchemeItemInline(admin.TabularInline):
    model = SchemeItem
    extra = 0
    fields = ["position", "code", "name", "max_points", "metric", "params"]

    def has_change_permission(self, request, obj=None):
        return obj is None or not scheme_in_use(obj)

    def has_add_permission(self, request, obj=None):
        return obj is None or not scheme_in_use(obj)

    def has_delete_permission(self, request, obj=None):
        return obj is None or not scheme_in_use(obj)


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(CityRuleAdminMixin, admin.ModelAdmin):
    """Schemes are versioned: a version that scored a month is frozen; copy it to change."""

    list_display = ["version", "effective_from", "bonus_cap", "appeal_days", "note"]
    inlines = [SchemeItemInline]
    actions = ["copy_as_new_version"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and scheme_in_use(obj):
            return [field.name for field in obj._meta.fields]
        return []

    def has_delete_permission(self, request, obj=None):
        if obj is not None and scheme_in_use(obj):
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Copy as a new version from next month"))
    def copy_as_new_version(self, request, queryset):
        next_version = (AssessmentScheme.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        for scheme in queryset.order_by("version"):
            with transaction.atomic():
                items = list(scheme.items.all())
                original = scheme.version
                scheme.pk = None
                scheme.version = next_version
                scheme.effective_from = add_months(timezone.localdate(), 1)
                scheme.note = _("Copy of version %(version)s") % {"version": original}
                scheme.save()
                for item in items:
                    item.pk = None
                    item.scheme = scheme
                SchemeItem.objects.bulk_create(items)
            messages.success(
                request,
                _("Version %(version)s created; edit it before it takes effect.")
                % {"version": next_version},
            )
            next_version += 1


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["manager", "inspector", "level", "month", "item_code", "points", "withdrawn"]
    list_filter = ["level", "month", "withdrawn"]
    list_select_related = ["manager", "inspector"]

    def has_add_permission(self, request):
        return False  # through the inspection page, which checks the subtree and the month

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(BonusPoint)
class BonusPointAdmin(admin.ModelAdmin):
    list_display = ["manager", "granted_by", "month", "points"]
    list_select_related = ["manager", "granted_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AssessmentMonth)
class AssessmentMonthAdmin(admin.ModelAdmin):
    list_display = ["month", "company", "state", "scheme", "closed_at", "published_at"]
    list_filter = ["company", "state"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # states move through close_month / publish_month and the months page


@admin.register(ManagerScore)
class ManagerScoreAdmin(admin.ModelAdmin):
    list_display = ["manager", "assessment", "total", "bonus"]
    list_select_related = ["manager", "assessment"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["manager", "month", "inspection", "visit", "info_item", "status", "filed_at"]
    list_select_related = ["manager", "inspection", "visit", "info_item"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
