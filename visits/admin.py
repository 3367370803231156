from django.contrib import admin
from django.utils import timezone

from accounts.admin import CityRuleAdminMixin

from .models import (
    CalendarDay,
    Complaint,
    InformationItem,
    SatisfactionSurvey,
    ShelfObservation,
    Visit,
    VisitPhoto,
    VisitPlan,
    VisitRules,
    WorkPlan,
)
from .services.feedback import (
    note_late_complaint,
    note_late_item,
    note_late_substantiated,
    note_late_survey,
)
from .services.visits import note_late_review

# An admin's edit of dated data of a month in review or published is late data of it, like
# the same change through the services (DOMAIN §4).


@admin.register(VisitRules)
class VisitRulesAdmin(CityRuleAdminMixin, admin.ModelAdmin):
    list_display = [
        "effective_from",
        "far_distance_m",
        "short_visit_minutes",
        "rapid_checkin_minutes",
        "complaint_response_hours",
        "complaint_resolve_hours",
    ]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name", "company"]
    list_filter = ["kind", "company"]
    date_hierarchy = "date"
    search_fields = ["name"]
    list_select_related = ["company"]


@admin.register(VisitPlan)
class VisitPlanAdmin(admin.ModelAdmin):
    list_display = ["retailer", "manager", "window_start", "window_end", "scheduled_for", "dropped"]
    list_filter = ["month", "planned_class", "dropped"]
    list_select_related = ["retailer", "manager"]
    search_fields = ["retailer__license_no", "retailer__shop_name", "manager__name"]
    show_full_result_count = False


class ShelfInline(admin.TabularInline):
    model = ShelfObservation
    extra = 0
    fields = ["brand", "on_shelf", "retail_price", "stock_level"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PhotoInline(admin.TabularInline):
    model = VisitPhoto
    extra = 0
    readonly_fields = ["image", "size_bytes", "uploaded_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["retailer", "manager", "checked_in_at", "status", "flag_far", "flag_short"]
    list_filter = ["status", "source", "flag_far", "flag_short", "flag_rapid", "flag_no_location"]
    list_select_related = ["retailer", "manager"]
    search_fields = [
        "retailer__license_no",
        "retailer__shop_name",
        "manager__name",
        "=external_id",
    ]
    date_hierarchy = "check_in_date"
    inlines = [ShelfInline, PhotoInline]
    show_full_result_count = False
    readonly_fields = [
        "client_id",
        "manager",
        "retailer",
        "territory",
        "plan",
        "checked_in_at",
        "check_in_date",
        "checked_out_at",
        "latitude",
        "longitude",
        "accuracy_m",
        "location_status",
        "distance_m",
        "flag_far",
        "flag_short",
        "flag_rapid",
        "flag_no_location",
        "reviewed_by",
        "reviewed_at",
        "received_at",
        "source",
        "external_id",
    ]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "status" in form.changed_data:
            note_late_review(obj)


@admin.register(InformationItem)
class InformationItemAdmin(admin.ModelAdmin):
    list_display = ["kind", "reported_by", "reported_at", "validity", "lead_status"]
    list_filter = ["kind", "validity"]
    list_select_related = ["reported_by"]
    search_fields = ["content"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change or {"reported_at", "reported_by", "territory", "validity"} & set(
            form.changed_data
        ):
            note_late_item(obj)


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ["retailer", "opened_at", "status", "resolve_by", "substantiated"]
    list_filter = ["status", "substantiated"]
    list_select_related = ["retailer"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = set(form.changed_data) | ({"retailer"} if not change else set())
        # Each decisive event (closing, deadline) is late data of its own month.
        if changed & {"retailer", "territory", "closed_at", "substantiated"}:
            note_late_substantiated(obj, verdict_changed="substantiated" in changed)
        if changed & {"retailer", "territory", "resolve_by", "resolved_at"}:
            note_late_complaint(obj, now=timezone.now())


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(admin.ModelAdmin):
    list_display = ["retailer", "surveyed_on", "score", "channel", "recorded_by"]
    list_filter = ["channel", "score"]
    list_select_related = ["retailer", "recorded_by"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change or {"retailer", "surveyed_on", "score"} & set(form.changed_data):
            note_late_survey(obj)


@admin.register(WorkPlan)
class WorkPlanAdmin(admin.ModelAdmin):
    list_display = ["manager", "kind", "period_start", "due_at", "submitted_at"]
    list_filter = ["kind"]
    list_select_related = ["manager"]
