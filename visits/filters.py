"""FilterSets of the visits app shared by HTML lists and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.filters import DateFilter, FilterSet
from accounts.models import Territory

from .models import Visit, VisitStatus


def visible_territories(request):
    if request is None:
        return Territory.objects.none()
    return Territory.objects.visible_to(request.user)


class VisitFilter(FilterSet):
    date_from = DateFilter(field_name="check_in_date", lookup_expr="gte", label=_("From"))
    date_to = DateFilter(field_name="check_in_date", lookup_expr="lte", label=_("To"))
    territory = django_filters.ModelChoiceFilter(queryset=visible_territories, label=_("Territory"))
    status = django_filters.ChoiceFilter(choices=VisitStatus.choices, label=_("Status"))
    flagged = django_filters.BooleanFilter(method="filter_flagged", label=_("Flagged"))
    reviewed = django_filters.BooleanFilter(
        field_name="reviewed_at", lookup_expr="isnull", exclude=True, label=_("Reviewed")
    )
    retailer = django_filters.NumberFilter(field_name="retailer_id")
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Visit
        fields = [
            "date_from",
            "date_to",
            "territory",
            "status",
            "flagged",
            "reviewed",
            "retailer",
            "q",
        ]

    def filter_flagged(self, queryset, name, value):
        flagged = (
            Q(flag_far=True) | Q(flag_short=True) | Q(flag_rapid=True) | Q(flag_no_location=True)
        )
        return queryset.filter(flagged) if value else queryset.exclude(flagged)

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(retailer__shop_name__icontains=value) | Q(retailer__license_no__startswith=value)
        )
