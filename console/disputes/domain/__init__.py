"""Dispute rules: the status machine, SLA due dates and countdowns, evidence checks, disputed
lines. Pure Python (no database, no UI)."""

from console.disputes.domain.evidence import (
    EVIDENCE_TYPES,
    MAX_EVIDENCE_BYTES,
    EvidenceError,
    check_evidence,
)
from console.disputes.domain.lines import DisputedLine, DisputeLineError, validate_lines
from console.disputes.domain.sla import (
    DEFAULT_SLA_HOURS,
    REASONS,
    SlaView,
    countdown,
    response_due,
    sla_hours_for,
    sla_view,
)
from console.disputes.domain.status import (
    ACTIVE,
    CLOSED,
    DisputeAction,
    DisputeStatus,
    DisputeTransitionError,
    allowed_actions,
    can,
    can_reopen,
    check_reopen,
    is_active,
    transition,
)

__all__ = [
    "ACTIVE", "CLOSED", "DEFAULT_SLA_HOURS", "EVIDENCE_TYPES", "MAX_EVIDENCE_BYTES", "REASONS",
    "DisputeAction", "DisputeLineError", "DisputeStatus", "DisputeTransitionError",
    "DisputedLine", "EvidenceError", "SlaView", "allowed_actions", "can", "can_reopen",
    "check_evidence", "check_reopen", "countdown", "is_active", "response_due", "sla_hours_for",
    "sla_view", "transition", "validate_lines",
]
