from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services
from .forms import OrgUnitAdminForm, UserChangeForm, UserCreationForm
from .models import InitialCodeSheet, OrgUnit, OrgUnitMove, Territory, User


class OrgUnitMoveInline(admin.TabularInline):
    """A unit's moves to another parent, latest first: the history of the tree."""

    model = OrgUnitMove
    fk_name = "unit"
    extra = 0
    fields = ["effective_from", "from_parent", "to_parent", "recorded_by", "created_at"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("moves to another parent")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    form = OrgUnitAdminForm
    list_display = ["name", "code", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["parent"]
    search_fields = ["name", "code"]
    readonly_fields = ["path"]
    inlines = [OrgUnitMoveInline]

    def save_model(self, request, obj, form, change):
        # The materialised path is kept by the services, never by hand; a new parent is a
        # dated move.
        if change:
            unit = OrgUnit.objects.get(pk=obj.pk)
            fields = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name not in ("parent", "move_effective_from")
            }
            if "parent" in form.changed_data:
                services.org_unit_move(
                    unit=unit,
                    parent=form.cleaned_data["parent"],
                    effective_from=form.cleaned_data["move_effective_from"],
                    recorded_by=request.user,
                )
            if fields:
                services.org_unit_update(unit=unit, **fields)
        else:
            created = services.org_unit_create(
                name=obj.name,
                code=obj.code,
                kind=obj.kind,
                parent=obj.parent,
                address=obj.address,
            )
            obj.pk, obj.path = created.pk, created.path


@admin.register(OrgUnitMove)
class OrgUnitMoveAdmin(admin.ModelAdmin):
    """Every move of the tree, read-only (moves are made on the unit or by import)."""

    list_display = [
        "unit",
        "effective_from",
        "from_parent",
        "to_parent",
        "recorded_by",
        "created_at",
    ]
    list_select_related = ["unit", "from_parent", "to_parent", "recorded_by"]
    date_hierarchy = "effective_from"
    search_fields = ["unit__code", "unit__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "department", "manager", "is_active"]
    list_filter = ["is_active", "department"]
    search_fields = ["code", "name", "manager__name", "manager__employee_no"]
    autocomplete_fields = ["manager"]
    list_select_related = ["department", "manager"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ["employee_no"]
    list_display = ["employee_no", "name", "role", "org_unit", "is_active", "must_change_password"]
    list_filter = ["role", "is_active", "must_change_password", "org_unit__kind"]
    actions = ["reset_passwords"]
    search_fields = ["employee_no", "name", "phone"]
    list_select_related = ["org_unit"]
    fieldsets = (
        (None, {"fields": ("employee_no", "password")}),
        (_("Personal info"), {"fields": ("name", "phone", "hire_date")}),
        (_("Position"), {"fields": ("role", "org_unit")}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "must_change_password",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "employee_no",
                    "name",
                    "role",
                    "org_unit",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    @admin.action(description=_("Reset password: give a new one-time code"))
    def reset_passwords(self, request, queryset):
        """New one-time codes for the selected people, shown once on the next page."""
        people = [
            (person, services.password_reset(user=person, by=request.user))
            for person in queryset.filter(pk__in=User.objects.visible_to(request.user))
        ]
        response = TemplateResponse(
            request,
            "admin/accounts/user/password_codes.html",
            {**self.admin_site.each_context(request), "people": people, "opts": self.model._meta},
        )
        response["Cache-Control"] = "no-store"
        return response


@admin.register(InitialCodeSheet)
class InitialCodeSheetAdmin(admin.ModelAdmin):
    """Read-only: the codes themselves are never shown here (they are downloaded once)."""

    list_display = ["org_unit", "people", "created_at", "created_by", "downloaded_at"]
    fields = ["org_unit", "people", "created_at", "created_by", "downloaded_at", "downloaded_by"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CityRuleAdminMixin:
    """For versioned rules with province defaults and city overrides: shows each version's
    scope and the city companies it is in force for this month."""

    list_filter = ["company"]

    def get_list_display(self, request):
        return [
            "version_label",
            "company_label",
            "in_force_for",
            *super().get_list_display(request),
        ]

    @admin.display(description=_("version"), ordering="effective_from")
    def version_label(self, obj):
        return str(obj)

    @admin.display(description=_("scope"), ordering="company")
    def company_label(self, obj):
        return obj.company.name if obj.company_id else _("Province default")

    @admin.display(description=_("in force this month for"))
    def in_force_for(self, obj):
        # Two queries a row; a list of rule versions is short.
        month = timezone.localdate().replace(day=1)
        companies = list(OrgUnit.objects.companies())
        in_force = type(obj).objects.in_force_by_company(month, companies)
        names = [c.name for c in companies if in_force.get(c.pk) and in_force[c.pk].pk == obj.pk]
        return "、".join(names) or "—"
