"""FilterSets of the visits app shared by HTML lists and the API."""

from datetime import date, datetime, time, timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.filters import DateFilter, FilterSet
from accounts.models import Territory

from .models import Visit, VisitStatus


def local_midnight(day: date) -> datetime:
    """The start of a local (Asia/Shanghai) day: check_in_date is checked_in_at's local date."""
    return timezone.make_aware(datetime.combine(day, time.min))


def visible_territories(request):
    if request is None:
        return Territory.objects.none()
    return Territory.objects.visible_to(request.user)


# A visit list without dates shows the last 31 days (today included): at province scale
# "every visit ever" is millions of rows, and the recent ones are what a list is read for.
DEFAULT_WINDOW_DAYS = 31


class VisitFilter(FilterSet):
    """Visits for the HTML list and the API alike. Without ``date_from`` and ``date_to`` in
    the query the last ``DEFAULT_WINDOW_DAYS`` days are shown, and the form shows that
    ``date_from``; a date the user sends (even an empty one: "from the beginning") wins."""

    # Local check-in days, filtered on ``checked_in_at`` (from that day's local midnight):
    # the column the lists are ordered by, so one index serves the order and the dates.
    date_from = DateFilter(method="filter_from", label=_("From"))
    date_to = DateFilter(method="filter_to", label=_("To"))
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

    def __init__(self, data=None, *args, **kwargs):
        self.default_window = data is not None and "date_from" not in data and "date_to" not in data
        if self.default_window:
            data = data.copy()
            first = timezone.localdate() - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
            data["date_from"] = first.isoformat()
        super().__init__(data, *args, **kwargs)

    def filter_from(self, queryset, name, value):
        return queryset.filter(checked_in_at__gte=local_midnight(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(checked_in_at__lt=local_midnight(value + timedelta(days=1)))

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
