"""Billing: usage metering, bill runs, invoice review, credit notes and invoice documents."""

from console.billing.domain.lines import (
    LineKind,
)
from console.billing.domain.periods import (
    Period,
    VersionChange,
    month_period,
    subscription_year,
)
from console.billing.domain.status import (
    CreditNoteStatus,
    InvoiceStatus,
)
from console.billing.queries.bill_runs import (
    BillRunRow,
    bill_run_view,
    bill_runs_view,
)
from console.billing.queries.credit_notes import (
    approval_threshold_minor,
    credited_per_line,
    pending_credits_view,
    preview_credit,
)
from console.billing.queries.exports import (
    invoice_csv_file,
    invoice_pdf_file,
)
from console.billing.queries.invoice_detail import (
    CreditNoteRow,
    FlagView,
    InvoiceSummary,
    LineView,
    invoice_detail_view,
    line_events_view,
)
from console.billing.queries.review_queue import (
    SORTS,
    Choice,
    ReviewFilter,
    ReviewPage,
    ReviewRow,
    review_choices,
    review_page,
)
from console.billing.queries.usage_events import (
    DailyPoint,
    EventRow,
    daily_usage,
    usage_events,
)
from console.billing.queries.usage_imports import (
    ImportRow,
    recent_imports_view,
)
from console.billing.usecases.bill_runs import (
    DraftInvoice,
    RunOutcome,
    release_wave,
    release_wave_view,
    run_bill_run,
    run_bill_run_for_user,
    start_bill_run,
    start_bill_run_view,
)
from console.billing.usecases.credit_notes import (
    approve_credit_note,
    create_credit_note,
    create_credit_note_view,
    reject_credit_note,
)
from console.billing.usecases.invoice_lines import (
    edit_line_view,
)
from console.billing.usecases.invoices import (
    approve_many_view,
    approve_view,
    hold_view,
    issue_view,
    mark_paid_view,
    mark_uncollectible,
    mark_uncollectible_view,
    release_hold_view,
    void_view,
)
from console.billing.usecases.subscription_changes import (
    SubscriptionAfter,
    discard_drafts,
    locked_until,
    preview_next_invoice,
)
from console.billing.usecases.usage_import import (
    ImportReport,
    import_usage_file,
    import_usage_upload,
    ingest_batch,
)

__all__ = [
    "SORTS",
    "BillRunRow",
    "Choice",
    "CreditNoteRow",
    "CreditNoteStatus",
    "DailyPoint",
    "DraftInvoice",
    "EventRow",
    "FlagView",
    "ImportReport",
    "ImportRow",
    "InvoiceStatus",
    "InvoiceSummary",
    "LineKind",
    "LineView",
    "Period",
    "ReviewFilter",
    "ReviewPage",
    "ReviewRow",
    "RunOutcome",
    "SubscriptionAfter",
    "VersionChange",
    "approval_threshold_minor",
    "approve_credit_note",
    "approve_many_view",
    "approve_view",
    "bill_run_view",
    "bill_runs_view",
    "create_credit_note",
    "create_credit_note_view",
    "credited_per_line",
    "daily_usage",
    "discard_drafts",
    "edit_line_view",
    "hold_view",
    "import_usage_file",
    "import_usage_upload",
    "ingest_batch",
    "invoice_csv_file",
    "invoice_detail_view",
    "invoice_pdf_file",
    "issue_view",
    "line_events_view",
    "locked_until",
    "mark_paid_view",
    "mark_uncollectible",
    "mark_uncollectible_view",
    "month_period",
    "pending_credits_view",
    "preview_credit",
    "preview_next_invoice",
    "recent_imports_view",
    "reject_credit_note",
    "release_hold_view",
    "release_wave",
    "release_wave_view",
    "review_choices",
    "review_page",
    "run_bill_run",
    "run_bill_run_for_user",
    "start_bill_run",
    "start_bill_run_view",
    "subscription_year",
    "usage_events",
    "void_view",
]
