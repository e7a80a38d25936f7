"""KPI dashboards: MRR movements, retention, churn, receivables, DSO, dispute rate and support
load."""

from console.kpis.queries.dashboard import (
    PAGE_SIZE,
    Card,
    Dashboard,
    DrillRow,
    FilterOptions,
    KpiFilters,
    Option,
    dashboard,
    drill_columns,
    drill_down,
    drill_down_csv,
    drill_title,
    filter_options,
    series_csv,
)

__all__ = [
    "PAGE_SIZE",
    "Card",
    "Dashboard",
    "DrillRow",
    "FilterOptions",
    "KpiFilters",
    "Option",
    "dashboard",
    "drill_columns",
    "drill_down",
    "drill_down_csv",
    "drill_title",
    "filter_options",
    "series_csv",
]
