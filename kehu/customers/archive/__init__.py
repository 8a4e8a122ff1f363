"""The key-account archive (大客户业务档案, DOMAIN.md §6, source 004): reads and the growth rule.

Writes are in `kehu.customers.services.archive`, pages in `kehu.customers.views.archive`.
"""
