"""Read-only report selectors (STYLE.md "Reports"), a module per report: each aggregates in SQL
and starts from the scope of the reader (`kehu.reports.filters.ReportFilter`, or `user=None`:
the system, for commands and `kehu daily`)."""
