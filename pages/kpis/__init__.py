"""KPI dashboards (issue 6)."""
