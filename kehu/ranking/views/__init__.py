"""The ranking pages: the reports (`reports`), the runs (`runs`), the scoring settings
(`settings`) and the tier policies (`policies`). Views parse, call one selector or service,
render; the rules are in `kehu.ranking.permissions`, `services` and `selectors`."""
