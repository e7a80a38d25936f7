"""Subscriptions over time: changes made on behalf of a customer (with their preview and
maker-checker above an MRR threshold), renewals, and the MRR ledger following the events."""

from console.subscriptions.domain import (
    CHANGE_LABELS,
    INTERVALS,
    ChangeKind,
    SubscriptionStatus,
)
from console.subscriptions.queries.preview import (
    THRESHOLD_KEY,
    ChangePreview,
    PreviewLine,
    PreviewResult,
    preview_change,
    preview_view,
)
from console.subscriptions.queries.resolve import ChangeSpec, parse_change, resolve
from console.subscriptions.queries.section import (
    ActionChoice,
    PendingChange,
    PlanChoice,
    SubscriptionRow,
    SubscriptionSection,
    section_view,
)
from console.subscriptions.usecases.approvals import (
    approve_change,
    approve_view,
    reject_change,
    reject_view,
)
from console.subscriptions.usecases.changes import (
    ChangeResult,
    propose_change,
    propose_view,
    subscribe,
)
from console.subscriptions.usecases.ledger_sync import sync_ledger
from console.subscriptions.usecases.renewals import RenewalRun, renew_due

__all__ = [
    "CHANGE_LABELS",
    "INTERVALS",
    "THRESHOLD_KEY",
    "ActionChoice",
    "ChangeKind",
    "ChangePreview",
    "ChangeResult",
    "ChangeSpec",
    "PendingChange",
    "PlanChoice",
    "PreviewLine",
    "PreviewResult",
    "RenewalRun",
    "SubscriptionRow",
    "SubscriptionSection",
    "SubscriptionStatus",
    "approve_change",
    "approve_view",
    "parse_change",
    "preview_change",
    "preview_view",
    "propose_change",
    "propose_view",
    "reject_change",
    "reject_view",
    "renew_due",
    "resolve",
    "section_view",
    "subscribe",
    "sync_ledger",
]
