"""Finance pages, a module per entity: payments, receivables (aging, write-offs), commission,
contracts (with payment plans), orders (with credit holds).

Every record is fetched with `get_visible_or_404(<selector>(user=...), pk=...)`: hidden and
missing answer 404 alike. Who may act is decided by the services (kehu.finance.permissions,
checked inside); a refusal of someone who can see the record is a message, never a 403.
"""
