import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import OrgUnit, Territory, User


class OrgUnitFilter(django_filters.FilterSet):
    class Meta:
        model = OrgUnit
        fields = ["kind", "parent", "is_active"]


class TerritoryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Territory
        fields = ["department", "manager", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(code__icontains=value) | Q(name__icontains=value) | Q(manager__name__icontains=value)
        )


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = User
        fields = ["role", "org_unit", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(employee_no__icontains=value) | Q(name__icontains=value))
