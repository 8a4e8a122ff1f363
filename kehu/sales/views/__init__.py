"""Selling pages: `pipeline` (the board and the stage move), `opportunities` (list, new, page,
edit) and `quotes` (new, page, edit, submit, decide, sent/accepted, list, approval inbox).

Every record is looked up through `visible_to(request.user)` (kehu.sales.selectors): hidden or
missing answer 404 alike. Who may act is decided by the services (kehu.sales.permissions); a
user who sees the record but may not act gets a translated message and nothing changes.
"""
