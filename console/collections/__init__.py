"""Collections: payments, dunning, the receivables worklist and write-offs."""

from console.collections.domain import (
    AGING_BUCKETS,
    bucket_label,
)
from console.collections.usecases.payments import (
    MessageRow,
    charge_invoice_view,
    customer_messages_view,
    record_payment_view,
    run_dunning,
    run_dunning_view,
    update_payment_token_view,
)
from console.collections.usecases.worklist import (
    SORTS,
    AgingRow,
    AttemptRow,
    NoteRow,
    OpenInvoiceRow,
    WorklistFilter,
    WorklistRow,
    WriteOffRow,
    add_note_view,
    customer_collections_view,
    decide_write_off_view,
    export_csv_view,
    pending_write_offs_view,
    request_write_off_view,
    worklist_view,
)

__all__ = [
    "AGING_BUCKETS",
    "SORTS",
    "AgingRow",
    "AttemptRow",
    "MessageRow",
    "NoteRow",
    "OpenInvoiceRow",
    "WorklistFilter",
    "WorklistRow",
    "WriteOffRow",
    "add_note_view",
    "bucket_label",
    "charge_invoice_view",
    "customer_collections_view",
    "customer_messages_view",
    "decide_write_off_view",
    "export_csv_view",
    "pending_write_offs_view",
    "record_payment_view",
    "request_write_off_view",
    "run_dunning",
    "run_dunning_view",
    "update_payment_token_view",
    "worklist_view",
]
