"""Paging a list that was computed in Python (aging rows, commission lines): the core pager's."""

from kehu.core.pagination import MAX_PAGE, Page, paginate_list

PAGE_SIZE = 50

__all__ = ["PAGE_SIZE", "Page", "page_number", "paginate_list", "query_of"]


def page_number(params) -> int:
    """The page asked for (`?page=`), as the shared pager reads it."""
    try:
        return min(max(1, int(params.get("page", 1))), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def query_of(params) -> dict:
    """The request's parameters for the pager's links (as `paginate_list` keeps them)."""
    return {k: params.get(k) for k in params}
