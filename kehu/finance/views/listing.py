"""Paging a list that was computed in Python (aging rows, commission lines)."""

from kehu.core.pagination import Page

PAGE_SIZE = 50


def paginate_list(rows: list, *, params, page_size: int = PAGE_SIZE) -> Page:
    """`core.pagination.paginate` for a list already computed."""
    try:
        number = max(1, int(params.get("page", 1)))
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * page_size
    shown = rows[start : start + page_size]
    query = {k: params.get(k) for k in params}
    return Page(shown, number, page_size, len(rows) > start + page_size, len(rows), False, query)
