"""Disputes: cases, their SLA, evidence, timeline and resolution (credits through billing)."""

from console.disputes.domain.amounts import parse_amounts
from console.disputes.domain.evidence import MAX_EVIDENCE_BYTES
from console.disputes.domain.sla import reason_choices
from console.disputes.queries.case_context import (
    AttemptRow,
    DisputeRef,
    InvoiceRef,
    PaymentRow,
    PlanChangeRow,
    PlanPriceRow,
)
from console.disputes.queries.case_detail import (
    CaseCredit,
    CaseLine,
    EvidenceRow,
    TimelineRow,
    UsageSeries,
    case_view,
)
from console.disputes.queries.evidence import evidence_file
from console.disputes.queries.new_dispute_form import (
    FormLine,
    InvoiceChoice,
    new_dispute_form_view,
)
from console.disputes.queries.owners import OwnerChoice, owner_choices_view
from console.disputes.queries.queue import (
    VIEW_LABELS,
    VIEWS,
    DisputeRow,
    QueueFilter,
    queue_view,
)
from console.disputes.queries.usage_events import line_usage_events_view
from console.disputes.usecases.case_work import (
    add_evidence_view,
    add_note_view,
    assign_view,
    bulk_assign_view,
    change_status_view,
    open_dispute_view,
)
from console.disputes.usecases.credit_decisions import (
    approve_credit_note_view,
    reject_credit_note_view,
)
from console.disputes.usecases.credits import (
    approve_credit_view,
    close_as_credited_view,
    propose_credit_view,
    reject_credit_view,
)
from console.disputes.usecases.resolutions import reject_view, reopen_view, withdraw_view

__all__ = [
    "MAX_EVIDENCE_BYTES",
    "VIEWS",
    "VIEW_LABELS",
    "AttemptRow",
    "CaseCredit",
    "CaseLine",
    "DisputeRef",
    "DisputeRow",
    "EvidenceRow",
    "FormLine",
    "InvoiceChoice",
    "InvoiceRef",
    "OwnerChoice",
    "PaymentRow",
    "PlanChangeRow",
    "PlanPriceRow",
    "QueueFilter",
    "TimelineRow",
    "UsageSeries",
    "add_evidence_view",
    "add_note_view",
    "approve_credit_note_view",
    "approve_credit_view",
    "assign_view",
    "bulk_assign_view",
    "case_view",
    "change_status_view",
    "close_as_credited_view",
    "evidence_file",
    "line_usage_events_view",
    "new_dispute_form_view",
    "open_dispute_view",
    "owner_choices_view",
    "parse_amounts",
    "propose_credit_view",
    "queue_view",
    "reason_choices",
    "reject_credit_note_view",
    "reject_credit_view",
    "reject_view",
    "reopen_view",
    "withdraw_view",
]
