"""Kehu (客户): an open-source CRM for B2B sales teams."""
