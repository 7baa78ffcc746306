"""Reports (DESIGN.md §3): work updates (工作动态) and numbered bulletins
(工作简报). Dashboards and roll-ups have no tables of their own: they are
aggregates computed in SQL over the other apps' records."""
