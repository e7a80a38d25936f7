"""Billing rules (pure): invoice status machine, line building, tax per line, review flags,
document numbers and credit-note caps. No database, no UI: the services call these.

Public API:

* :mod:`console.billing.domain.status`: :class:`InvoiceStatus`, :class:`InvoiceAction`,
  :func:`transition` (raises :class:`TransitionError`), :class:`CreditNoteStatus`.
* :mod:`console.billing.domain.charges`: :func:`build_lines` for one subscription and period.
* :mod:`console.billing.domain.lines`: :func:`finalize` (tax per line), :func:`totals`,
  :func:`prepaid_credit_line`.
* :mod:`console.billing.domain.tax`: :func:`line_tax_minor`.
* :mod:`console.billing.domain.anomalies`: :func:`flag_invoice`, :class:`AnomalyPolicy`.
* :mod:`console.billing.domain.numbering`: :func:`format_number` (``INV-2026-000001``).
* :mod:`console.billing.domain.credit_notes`: :func:`plan_credit` (caps, proportional tax).
* :mod:`console.billing.domain.waves`: :func:`released` (which customers a bill run drafts).
"""

from console.billing.domain.anomalies import (
    FLAG_LABELS,
    AnomalyPolicy,
    Flag,
    InvoiceFacts,
    flag_invoice,
)
from console.billing.domain.charges import (
    DraftLines,
    MeterInfo,
    MeterUsage,
    PriceTerm,
    SubscriptionTerms,
    build_lines,
    select_prices,
)
from console.billing.domain.credit_notes import (
    CreditableLine,
    CreditLine,
    CreditNoteError,
    CreditPlan,
    plan_credit,
)
from console.billing.domain.lines import (
    LineDraft,
    LineKind,
    Totals,
    finalize,
    prepaid_credit_line,
    totals,
)
from console.billing.domain.numbering import CREDIT_NOTE_SERIES, INVOICE_SERIES, format_number
from console.billing.domain.periods import Period, VersionChange, month_period
from console.billing.domain.status import (
    CreditNoteStatus,
    InvoiceAction,
    InvoiceStatus,
    TransitionError,
    transition,
)
from console.billing.domain.tax import line_tax_minor
from console.billing.domain.waves import released, wave_key

__all__ = [
    "CREDIT_NOTE_SERIES",
    "FLAG_LABELS",
    "INVOICE_SERIES",
    "AnomalyPolicy",
    "CreditLine",
    "CreditNoteError",
    "CreditNoteStatus",
    "CreditPlan",
    "CreditableLine",
    "DraftLines",
    "Flag",
    "InvoiceAction",
    "InvoiceFacts",
    "InvoiceStatus",
    "LineDraft",
    "LineKind",
    "MeterInfo",
    "MeterUsage",
    "Period",
    "PriceTerm",
    "SubscriptionTerms",
    "Totals",
    "TransitionError",
    "VersionChange",
    "build_lines",
    "finalize",
    "flag_invoice",
    "format_number",
    "line_tax_minor",
    "month_period",
    "plan_credit",
    "prepaid_credit_line",
    "released",
    "select_prices",
    "totals",
    "transition",
    "wave_key",
]
