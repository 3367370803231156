"""Paging that never counts a huge result set exactly.

A list at province scale can match hundreds of thousands of rows; counting them all on
every page costs more than reading the page. ``CappedPaginator`` counts at most
``settings.LIST_COUNT_CAP`` + 1 rows (``SELECT COUNT(*) FROM (… LIMIT cap + 1)``): up to the
cap the count is exact, beyond it the list says "10,000+" and its pages stop there (a user
reaches older rows by narrowing the filter, e.g. the dates). The API's page answers the same
way, with ``count_capped`` telling a client that ``count`` is a floor.
"""

from django.conf import settings
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination


class CappedPaginator(Paginator):
    @cached_property
    def count_cap(self) -> int:
        return settings.LIST_COUNT_CAP

    @cached_property
    def count(self):
        object_list = self.object_list
        if not hasattr(object_list, "query"):  # a list or another sequence: len() is cheap
            return len(object_list)
        return object_list.order_by()[: self.count_cap + 1].count()

    @property
    def capped(self) -> bool:
        """More rows match than were counted."""
        return hasattr(self.object_list, "query") and self.count > self.count_cap

    @property
    def count_label(self) -> str:
        """The count as shown: exact, or "10,000+" beyond the cap."""
        return f"{self.count_cap:,}+" if self.capped else f"{self.count:,}"


class CappedPageNumberPagination(PageNumberPagination):
    """The API's page: ``count`` is exact up to the cap, else the cap with ``count_capped``."""

    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        paginator = self.page.paginator
        response.data["count"] = min(paginator.count, paginator.count_cap)
        response.data["count_capped"] = paginator.capped
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_capped"] = {
            "type": "boolean",
            "description": "True when more rows match than were counted: count is a floor.",
            "example": False,
        }
        return schema
