"""KPIs of the monetization console, as pure functions over polars frames.

Money is Int64 minor units of one currency (convert with :func:`to_reporting_currency`
first); ratios are floats (``1.05`` = 105 %) and NaN where the denominator is zero.
Importable from a notebook: only polars, the standard library, :mod:`console.money` and the
pure kernel modules (errors, months).

The dashboard's own rules are in :mod:`console.kpis.domain.filters` (the filter set and the
month window it resolves to) and :mod:`console.kpis.domain.figures` (every dashboard figure
from the sums the database made).
"""

from console.kpis.domain.arpa import arpa, arpa_minor
from console.kpis.domain.churn import (
    CHURN_REASONS,
    INVOLUNTARY_REASONS,
    billing_driven_churn_share,
    churn_reasons,
    logo_churn,
)
from console.kpis.domain.currency import (
    conversion_factor,
    conversion_factors,
    convert_frame,
    convert_minor,
    to_reporting_currency,
)
from console.kpis.domain.disputes import dispute_amount_rate, dispute_rate, dispute_resolution_stats
from console.kpis.domain.mrr import MOVEMENT_KINDS, mrr_movement_rows, mrr_movements
from console.kpis.domain.receivables import (
    AGING_BUCKETS,
    aging_bucket_expr,
    collections_aging,
    days_sales_outstanding,
    open_balances,
)
from console.kpis.domain.retention import gross_revenue_retention, net_revenue_retention
from console.kpis.domain.support import support_load

__all__ = [
    "AGING_BUCKETS",
    "CHURN_REASONS",
    "INVOLUNTARY_REASONS",
    "MOVEMENT_KINDS",
    "aging_bucket_expr",
    "arpa",
    "arpa_minor",
    "billing_driven_churn_share",
    "churn_reasons",
    "collections_aging",
    "conversion_factor",
    "conversion_factors",
    "convert_frame",
    "convert_minor",
    "days_sales_outstanding",
    "dispute_amount_rate",
    "dispute_rate",
    "dispute_resolution_stats",
    "gross_revenue_retention",
    "logo_churn",
    "mrr_movement_rows",
    "mrr_movements",
    "net_revenue_retention",
    "open_balances",
    "support_load",
    "to_reporting_currency",
]
