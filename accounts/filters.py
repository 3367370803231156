"""FilterSets of the accounts app, and the base every FilterSet of the project starts from."""

import django_filters
from django import forms
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import OrgUnit, Territory, User
from .validators import check_day


class DayField(forms.DateField):
    """A date inside the product's bounds (``accounts.validators``)."""

    default_validators = [check_day]


class DateFilter(django_filters.DateFilter):
    field_class = DayField


class FilterSet(django_filters.FilterSet):
    """Every FilterSet of the project: a date filter, declared or generated from a model's
    DateField, refuses a date outside the product's bounds (400 in the API)."""

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.DateField: {"filter_class": DateFilter},
    }


class OrgUnitFilter(FilterSet):
    class Meta:
        model = OrgUnit
        fields = ["kind", "parent", "is_active"]


class TerritoryFilter(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Territory
        fields = ["department", "manager", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(code__icontains=value) | Q(name__icontains=value) | Q(manager__name__icontains=value)
        )


class UserFilter(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = User
        fields = ["role", "org_unit", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(employee_no__icontains=value) | Q(name__icontains=value))
