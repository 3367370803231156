"""FilterSets of the reports' own pages (the pages and their exports share them)."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.filters import FilterSet
from accounts.models import OrgUnit

from .models import ManagerMonthKpi


def visible_units(request):
    if request is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.visible_to(request.user).order_by("path")


class ManagerMonthKpiFilter(FilterSet):
    """``org_unit``: the managers whose department lies in that unit's subtree (as the
    rollup recorded it for the month)."""

    org_unit = django_filters.ModelChoiceFilter(
        queryset=visible_units, method="filter_org_unit", label=_("Org unit")
    )

    class Meta:
        model = ManagerMonthKpi
        fields = ["org_unit"]

    @extend_schema_field(OpenApiTypes.INT)
    def filter_org_unit(self, queryset, name, value):
        return queryset.filter(org_path__startswith=value.path)
