"""Dispute rules: the status machine, SLA due dates and countdowns, evidence checks, disputed
lines, typed amounts. Pure Python (no database, no UI)."""

from console.disputes.domain.amounts import parse_amounts
from console.disputes.domain.evidence import (
    EVIDENCE_TYPES,
    MAX_EVIDENCE_BYTES,
    EvidenceError,
    check_evidence,
)
from console.disputes.domain.lines import (
    DISPUTABLE_INVOICE_STATUSES,
    DisputedLine,
    DisputeLineError,
    validate_lines,
)
from console.disputes.domain.sla import (
    DEFAULT_SLA_HOURS,
    REASON_LABELS,
    REASONS,
    SlaView,
    countdown,
    reason_choices,
    response_due,
    sla_hours_for,
    sla_view,
)
from console.disputes.domain.status import (
    ACTION_LABELS,
    ACTIVE,
    CLOSED,
    LABELS,
    REOPEN_DAYS,
    DisputeAction,
    DisputeStatus,
    DisputeTransitionError,
    allowed_actions,
    can,
    can_reopen,
    check_reopen,
    is_active,
    reopen_days_from,
    reopen_deadline,
    transition,
)

__all__ = [
    "ACTION_LABELS", "ACTIVE", "CLOSED", "DEFAULT_SLA_HOURS", "DISPUTABLE_INVOICE_STATUSES",
    "EVIDENCE_TYPES", "LABELS", "MAX_EVIDENCE_BYTES", "REASONS", "REASON_LABELS", "REOPEN_DAYS",
    "DisputeAction", "DisputeLineError", "DisputeStatus", "DisputeTransitionError",
    "DisputedLine", "EvidenceError", "SlaView", "allowed_actions", "can", "can_reopen",
    "check_evidence", "check_reopen", "countdown", "is_active", "parse_amounts", "reason_choices",
    "reopen_days_from", "reopen_deadline", "response_due", "sla_hours_for", "sla_view",
    "transition", "validate_lines",
]
