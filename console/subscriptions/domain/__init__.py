"""Subscription rules: the state machine and change kinds, billing periods, and what a change
of plan version gains and loses. Pure Python (no database, no UI)."""

from console.subscriptions.domain.changes import (
    CHANGE_LABELS,
    INTERVALS,
    LIVE,
    ChangeKind,
    SubscriptionState,
    SubscriptionStatus,
    allowed_kinds,
    check_seats,
    effective_refusal,
    event_kind,
    needs_approval,
    refusal,
)
from console.subscriptions.domain.entitlements import EntitlementChange, Grant, entitlement_change
from console.subscriptions.domain.periods import next_period, period_containing

__all__ = [
    "CHANGE_LABELS", "INTERVALS", "LIVE", "ChangeKind", "EntitlementChange", "Grant",
    "SubscriptionState", "SubscriptionStatus", "allowed_kinds", "check_seats",
    "effective_refusal", "entitlement_change", "event_kind", "needs_approval", "next_period",
    "period_containing", "refusal",
]
