"""Limit/offset pagination that never counts a whole large table (like core.pagination).

A page fetches one row more than it returns to know whether there is a next page; the total
is counted only up to COUNT_CAP, a bounded query whatever the size of the table, and
`count_capped` says when there are more.

`?offset=` past the last row answers an empty page (`results: []`, no `next`, `previous`
pointing at the last page), whatever its size: an offset beyond MAX_OFFSET is not sent to the
database at all (an offset of 2**63 or more does not fit its 64-bit integers). A malformed or
negative offset is 0 and a malformed limit the default, as in Django REST framework; a limit
above `max_limit` is `max_limit` (docs/rules.md, "API pages").
"""

from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from kehu.core.pagination import COUNT_CAP

# Far beyond any table, and small enough that offset + limit + 1 fits a signed 64-bit integer.
MAX_OFFSET = 2**62


class CappedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = 200
    count_cap = COUNT_CAP

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        self.offset = self.get_offset(request)
        rows = [] if self.offset > MAX_OFFSET else list(queryset[self.offset : self.offset + self.limit + 1])
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

    def get_previous_link(self):
        if self.offset <= 0:
            return None
        url = self.request.build_absolute_uri()
        url = replace_query_param(url, self.limit_query_param, self.limit)
        if self.offset >= self.count and not self.count_capped:
            # past the last row: back to the last page (the first when there is no row)
            last = (self.count - 1) // self.limit * self.limit if self.count else 0
            return remove_query_param(url, self.offset_query_param) if last == 0 else replace_query_param(url, self.offset_query_param, last)
        if self.offset - self.limit <= 0:
            return remove_query_param(url, self.offset_query_param)
        return replace_query_param(url, self.offset_query_param, self.offset - self.limit)

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
