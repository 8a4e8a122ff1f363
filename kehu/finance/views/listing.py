"""Paging a list that was computed in Python (aging rows, commission lines): the core pager's."""

from kehu.core.pagination import paginate_list

PAGE_SIZE = 50

__all__ = ["PAGE_SIZE", "paginate_list"]
