"""FilterSets of the assessment, shared by the HTML lists and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.filters import DateFilter, FilterSet
from accounts.models import OrgUnit, Role, User

from .models import Appeal, AppealStatus, BonusPoint, Inspection, Level, ManagerScore


def visible_units(request):
    if request is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.visible_to(request.user).order_by("path")


def visible_managers(request):
    if request is None:
        return User.objects.none()
    return (
        User.objects.visible_to(request.user)
        .filter(role=Role.CUSTOMER_MANAGER)
        .order_by("employee_no")
    )


class _OrgUnitMixin(FilterSet):
    """``org_unit``: rows whose manager sits in that unit's subtree."""

    manager_path = "manager__org_unit__path"

    org_unit = django_filters.ModelChoiceFilter(
        queryset=visible_units, method="filter_org_unit", label=_("Org unit")
    )

    @extend_schema_field(OpenApiTypes.INT)
    def filter_org_unit(self, queryset, name, value):
        return queryset.filter(**{f"{self.manager_path}__startswith": value.path})


class InspectionFilter(_OrgUnitMixin):
    month = DateFilter(label=_("Month"))
    level = django_filters.ChoiceFilter(choices=Level.choices, label=_("Level"))
    manager = django_filters.ModelChoiceFilter(queryset=visible_managers, label=_("Manager"))
    item_code = django_filters.CharFilter(label=_("Item"))
    withdrawn = django_filters.BooleanFilter(label=_("Withdrawn"))

    class Meta:
        model = Inspection
        fields = ["month", "level", "manager", "item_code", "withdrawn", "org_unit"]


class BonusFilter(_OrgUnitMixin):
    month = DateFilter(label=_("Month"))
    manager = django_filters.ModelChoiceFilter(queryset=visible_managers, label=_("Manager"))

    class Meta:
        model = BonusPoint
        fields = ["month", "manager", "org_unit"]


class AppealFilter(_OrgUnitMixin):
    manager_path = "manager__org_unit__path"

    status = django_filters.ChoiceFilter(choices=AppealStatus.choices, label=_("Status"))
    month = DateFilter(field_name="month", label=_("Month"))
    level = django_filters.ChoiceFilter(field_name="level", choices=Level.choices, label=_("Level"))

    class Meta:
        model = Appeal
        fields = ["status", "month", "level", "org_unit"]


class ScoreFilter(_OrgUnitMixin):
    month = DateFilter(field_name="assessment__month", label=_("Month"))
    manager = django_filters.ModelChoiceFilter(queryset=visible_managers, label=_("Manager"))

    class Meta:
        model = ManagerScore
        fields = ["month", "manager", "org_unit"]
