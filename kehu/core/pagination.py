"""Pagination that never counts a whole large table.

A page fetches one row more than it shows to know whether there is a next page; the total
is counted only up to a cap (shown as "1000+"), which is a bounded query whatever the size
of the table.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

COUNT_CAP = 1000


@dataclass
class Page:
    rows: list
    number: int
    page_size: int
    has_next: bool
    total: int
    total_capped: bool
    query: dict

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def url(self, number: int) -> str:
        params = {k: v for k, v in self.query.items() if k != "page" and v not in ("", None)}
        params["page"] = number
        return "?" + urlencode(params, doseq=True)

    @property
    def next_url(self) -> str:
        return self.url(self.number + 1)

    @property
    def previous_url(self) -> str:
        return self.url(self.number - 1)

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.page_size + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * self.page_size + len(self.rows) if self.rows else 0


MAX_PAGE = 100_000  # past it an OFFSET overflows the database's integer; nobody pages that far


def paginate(queryset, *, params, page_size: int = 50, count_last_page: bool = False, total: int | None = None,
             total_attr: str | None = None) -> Page:
    """`count_last_page`: a page that holds the last rows (no next page) counts them instead of
    asking the database (exact: the total is the rows before it plus its own).
    `total`: the number of rows when the caller already knows it (no count query).
    `total_attr`: the rows may carry the total (a window count) in this attribute; a page with
    rows then needs no count query."""
    try:
        number = min(max(1, int(params.get("page", 1))), MAX_PAGE)
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * page_size
    rows = list(queryset[start : start + page_size + 1])
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    if total is None and total_attr and rows and hasattr(rows[0], total_attr):
        total = getattr(rows[0], total_attr)
    if total is None and count_last_page and not has_next and (rows or start == 0):
        total = start + len(rows)
    elif total is None:
        total = queryset.order_by()[: COUNT_CAP + 1].count()
    capped = total > COUNT_CAP
    query = {k: params.getlist(k) if hasattr(params, "getlist") else params[k] for k in params}
    query = {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in query.items()}
    return Page(rows, number, page_size, has_next, min(total, COUNT_CAP), capped, query)


def paginate_list(rows: list, *, params, page_size: int = 50) -> Page:
    """`paginate` for a list already computed in Python (aging rows, commission lines, a report's
    ranked rows)."""
    try:
        number = min(max(1, int(params.get("page", 1))), MAX_PAGE)
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * page_size
    shown = rows[start : start + page_size]
    query = {k: params.get(k) for k in params}
    return Page(shown, number, page_size, len(rows) > start + page_size, len(rows), False, query)
