"""KPI dashboards: MRR movements, retention, churn, receivables, DSO, dispute rate and support
load.

KPIs only read: the area has no use-cases. The dashboard cache lives in process memory and
writes nothing to the database.
"""

from console.kpis.domain.filters import KpiFilters
from console.kpis.queries.dashboard import dashboard, series_csv
from console.kpis.queries.drill_down import (
    PAGE_SIZE,
    DrillRow,
    drill_columns,
    drill_down,
    drill_down_csv,
    drill_title,
)
from console.kpis.queries.filter_options import FilterOptions, Option, filter_options
from console.kpis.queries.views import Card, Dashboard

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
