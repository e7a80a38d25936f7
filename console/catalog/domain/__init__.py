"""Catalog rules: version lifecycles, rate cards, diffs, approval policy, MRR, impact bins.

Pure Python (no database, no UI, no polars); ``console.catalog.usecases`` persists and
orchestrates them, ``console.catalog.queries`` reads them back for the pages.
"""

from console.catalog.domain.diff import (
    EntitlementChange,
    PriceChange,
    RateCardDiff,
    diff_rate_cards,
    price_decrease_pct,
)
from console.catalog.domain.impact import (
    HISTOGRAM_LABELS,
    WINDOW_MONTHS,
    HistogramBin,
    classify,
    histogram,
    histogram_bin,
    pct_change,
    pct_text,
    usage_window,
)
from console.catalog.domain.lago import DocumentError, PlanDocument, PlanHeader, export_document
from console.catalog.domain.mrr import recurring_charge, subscription_mrr_minor
from console.catalog.domain.policy import (
    ApprovalPolicy,
    ApprovalRequirement,
    Vote,
    approval_refusal,
    is_satisfied,
    requirement_for,
    review_refusal,
)
from console.catalog.domain.ratecard import (
    EntitlementSpec,
    Interval,
    PriceKind,
    PriceSpec,
    describe_terms,
    select_prices,
)
from console.catalog.domain.status import (
    ChangeKind,
    ChangeRequestStatus,
    MigrationStatus,
    MigrationTiming,
    TransitionError,
    VersionStatus,
    check_change_request_transition,
    check_version_transition,
    is_editable,
)

__all__ = [
    "HISTOGRAM_LABELS",
    "WINDOW_MONTHS",
    "ApprovalPolicy",
    "ApprovalRequirement",
    "ChangeKind",
    "ChangeRequestStatus",
    "DocumentError",
    "EntitlementChange",
    "EntitlementSpec",
    "HistogramBin",
    "Interval",
    "MigrationStatus",
    "MigrationTiming",
    "PlanDocument",
    "PlanHeader",
    "PriceChange",
    "PriceKind",
    "PriceSpec",
    "RateCardDiff",
    "TransitionError",
    "VersionStatus",
    "Vote",
    "approval_refusal",
    "check_change_request_transition",
    "check_version_transition",
    "classify",
    "describe_terms",
    "diff_rate_cards",
    "export_document",
    "histogram",
    "histogram_bin",
    "is_editable",
    "is_satisfied",
    "pct_change",
    "pct_text",
    "price_decrease_pct",
    "recurring_charge",
    "requirement_for",
    "review_refusal",
    "select_prices",
    "subscription_mrr_minor",
    "usage_window",
]
