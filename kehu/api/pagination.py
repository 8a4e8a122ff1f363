"""Limit/offset pagination that never counts a whole large table (like core.pagination).

A page fetches one row more than it returns to know whether there is a next page; the total
is counted only up to COUNT_CAP, a bounded query whatever the size of the table, and
`count_capped` says when there are more.

`?offset=` past the last row answers an empty page (`results: []`, no `next`, `previous`
pointing at the last page), whatever its size: an offset beyond MAX_OFFSET is not sent to the
database at all (an offset of 2**63 or more does not fit its 64-bit integers). A malformed or
negative offset or limit (or one sent twice) is a 400 naming it (issue 14; it used to be read as
0 or the default); a limit above `max_limit` is `max_limit` (docs/rules.md, "API pages").
"""

import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ErrorDetail, NotFound, ValidationError
from rest_framework.pagination import CursorPagination as CursorPaginationBase
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from kehu.core.pagination import COUNT_CAP

# Far beyond any table, and small enough that offset + limit + 1 fits a signed 64-bit integer.
MAX_OFFSET = 2**62
WHOLE = re.compile(r"^[0-9]+$")


def whole_param(request, name: str, *, minimum: int, default: int | None) -> int | None:
    """Query parameter `name` as a whole number ≥ `minimum`; `default` when absent. Anything else
    (empty, a word, a fraction, a negative number, the parameter sent twice) is a 400 naming it
    (issue 14: no invalid request is answered as if it were valid)."""
    values = request.query_params.getlist(name)
    if not values:
        return default
    if len(values) > 1 or not WHOLE.match(values[0]) or int(values[0]) < minimum:
        raise ValidationError({name: [ErrorDetail(
            _("Send a whole number of at least %(minimum)d, once.") % {"minimum": minimum}, code="invalid")]})
    return int(values[0])


class CappedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = 200
    count_cap = COUNT_CAP

    def get_limit(self, request):
        limit = whole_param(request, self.limit_query_param, minimum=1, default=self.default_limit)
        return min(limit, self.max_limit) if limit is not None else None

    def get_offset(self, request):
        return whole_param(request, self.offset_query_param, minimum=0, default=0)

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.limit_query_param, "required": False, "in": "query", "schema": {"type": "integer", "minimum": 1},
             "description": f"Rows per page (default {self.default_limit}; more than {self.max_limit} is {self.max_limit})."},
            {"name": self.offset_query_param, "required": False, "in": "query", "schema": {"type": "integer", "minimum": 0},
             "description": "The first row's position (past the last row: an empty page)."},
        ]

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


def _cursor_safe(field: str, model) -> bool:
    """May `field` (of an ordering) be a cursor's position: a plain, non-null column."""
    name = field.lstrip("-")
    if "__" in name:
        return False
    try:
        column = model._meta.get_field(name)
    except Exception:  # an annotation
        return False
    return not getattr(column, "null", True)


class CursorPagination(CursorPaginationBase):
    """Cursor pages for the large lists (customers, opportunities, orders, receivables, payments).

    A page's `next` and `previous` links carry an opaque `cursor`: a client follows them as they
    are, and a row added or changed meanwhile neither repeats nor hides another one (an offset
    does both). The order is the list's (its `ordering`, or the default) with the id breaking
    ties. Same answer as the offset pages: `count` up to COUNT_CAP, `count_capped`, `next`,
    `previous`, `results`.

    Compatibility: `?offset=` (with `limit`) still answers the offset page it always did on these
    lists, and so does an ordering a cursor cannot hold (the customers' legacy `sort` by follow-up,
    owner or region: a column that may be empty or lies in another table); their links then carry
    `offset`. Follow `next` either way. `cursor` and `offset` together are a 400.
    """

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    ordering = ("-created_at", "-id")
    count_cap = COUNT_CAP

    def get_ordering(self, request, queryset, view):
        return tuple(queryset.query.order_by) or tuple(queryset.model._meta.ordering) or self.ordering

    def paginate_queryset(self, queryset, request, view=None):
        params = request.query_params
        has_offset = whole_param(request, "offset", minimum=0, default=None) is not None
        if has_offset and "cursor" in params:
            raise ValidationError({"offset": [_("Send either cursor or offset, not both: follow the next link as it is.")]})
        ordering = self.get_ordering(request, queryset, view)
        self.offset_pages = None
        if has_offset or not _cursor_safe(ordering[0], queryset.model):
            self.offset_pages = CappedLimitOffsetPagination()
            self.offset_pages.default_limit = self.page_size
            return self.offset_pages.paginate_queryset(queryset, request, view)
        rows = super().paginate_queryset(queryset, request, view)
        total = queryset.order_by()[: self.count_cap + 1].count()
        self.count_capped = total > self.count_cap
        self.count = min(total, self.count_cap)
        return rows

    def get_page_size(self, request):
        return min(whole_param(request, "limit", minimum=1, default=self.page_size), self.max_page_size)

    def decode_cursor(self, request):
        if len(request.query_params.getlist(self.cursor_query_param)) > 1:
            raise ValidationError({"cursor": [_("This cursor is not valid: follow the next and previous links as they are.")]})
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": [_("This cursor is not valid: follow the next and previous links as they are.")]}) from None

    def get_paginated_response(self, data):
        if self.offset_pages is not None:
            return self.offset_pages.get_paginated_response(data)
        return Response({
            "count": self.count,
            "count_capped": self.count_capped,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": data,
        })

    def get_paginated_response_schema(self, schema):
        return CappedLimitOffsetPagination().get_paginated_response_schema(schema)

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "cursor", "required": False, "in": "query", "schema": {"type": "string"},
             "description": "The position of a page: take it from the next and previous links, never make one up."},
            {"name": "limit", "required": False, "in": "query", "schema": {"type": "integer", "minimum": 1},
             "description": f"Rows per page (default {self.page_size}; more than {self.max_page_size} is {self.max_page_size})."},
            {"name": "offset", "required": False, "in": "query", "schema": {"type": "integer", "minimum": 0},
             "description": "Compatibility: the offset pages of before (not with cursor)."},
        ]

    def get_html_context(self):
        if self.offset_pages is not None:
            return self.offset_pages.get_html_context()
        return super().get_html_context()
