from django.contrib import admin, messages
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.admin import CityRuleAdminMixin
from retailers.models import add_months

from .models import (
    AlertRules,
    ExportJob,
    ManagerTier,
    PayLine,
    PayRun,
    PayScheme,
    TierProposal,
)


def scheme_in_use(scheme) -> bool:
    return PayRun.objects.filter(scheme=scheme).exists()


@admin.register(PayScheme)
class PaySchemeAdmin(CityRuleAdminMixin, admin.ModelAdmin):
    """Pay schemes are versioned: one that paid a month is frozen; copy it to change."""

    list_display = ["version", "effective_from", "score_mode", "floor", "cap", "note"]
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
        next_version = (PayScheme.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        for scheme in queryset.order_by("version"):
            original = scheme.version
            scheme.pk = None
            scheme.version = next_version
            scheme.effective_from = add_months(timezone.localdate(), 1)
            scheme.note = _("Copy of version %(version)s") % {"version": original}
            scheme.save()
            messages.success(
                request,
                _("Version %(version)s created; edit it before it takes effect.")
                % {"version": next_version},
            )
            next_version += 1


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the pay run, the tier review and the exports, never by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ManagerTier)
class ManagerTierAdmin(ReadOnlyAdmin):
    list_display = ["manager", "tier", "effective_from", "reason", "created_by"]
    list_filter = ["tier"]
    list_select_related = ["manager", "created_by"]


@admin.register(TierProposal)
class TierProposalAdmin(ReadOnlyAdmin):
    list_display = ["manager", "quarter_start", "current_tier", "proposed_tier", "status"]
    list_filter = ["status", "quarter_start"]
    list_select_related = ["manager"]


@admin.register(PayRun)
class PayRunAdmin(ReadOnlyAdmin):
    list_display = ["month", "company", "status", "prepared_by", "approved_by"]
    list_filter = ["company", "status"]


@admin.register(PayLine)
class PayLineAdmin(ReadOnlyAdmin):
    list_display = ["run", "manager", "tier", "piece_pay", "score", "bonus"]
    list_select_related = ["run", "manager"]


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = [
        "run",
        "report",
        "requested_by",
        "file_format",
        "status",
        "progress",
        "created_at",
    ]


@admin.register(AlertRules)
class AlertRulesAdmin(CityRuleAdminMixin, admin.ModelAdmin):
    """Alert thresholds: a new version from a month; each city may override the default."""

    list_display = ["effective_from", "no_order_days", "anomaly_ratio", "score_floor", "note"]
