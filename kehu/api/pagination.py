"""Limit/offset pagination that never counts a whole large table (like core.pagination).

A page fetches one row more than it returns to know whether there is a next page; the total
is counted only up to COUNT_CAP, a bounded query whatever the size of the table, and
`count_capped` says when there are more.
"""

from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from kehu.core.pagination import COUNT_CAP


class CappedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = 200
    count_cap = COUNT_CAP

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        self.offset = self.get_offset(request)
        rows = list(queryset[self.offset : self.offset + self.limit + 1])
        self.has_next = len(rows) > self.limit
        rows = rows[: self.limit]
        total = queryset.order_by()[: self.count_cap + 1].count()
        self.count_capped = total > self.count_cap
        self.count = min(total, self.count_cap)
        return rows

    def get_next_link(self):
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        url = replace_query_param(url, self.limit_query_param, self.limit)
        return replace_query_param(url, self.offset_query_param, self.offset + self.limit)

    def get_html_context(self):
        # The browsable API's page links need a real total; offer previous/next only.
        return {"previous_url": self.get_previous_link(), "next_url": self.get_next_link(), "page_links": []}

    def get_paginated_response(self, data):
        return Response({
            "count": self.count,
            "count_capped": self.count_capped,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": data,
        })

    def get_paginated_response_schema(self, schema):
        result = super().get_paginated_response_schema(schema)
        result["properties"]["count_capped"] = {
            "type": "boolean",
            "description": f"True when there are more than {self.count_cap} rows; count then stops at {self.count_cap}.",
        }
        result["required"] = ["count", "count_capped", "results"]
        return result
