"""Collections: payments, dunning, the receivables worklist and write-offs."""

from console.collections.domain import (
    AGING_BUCKETS,
    bucket_label,
)
from console.collections.queries.customer_collections import (
    AttemptRow,
    NoteRow,
    OpenInvoiceRow,
    customer_collections_view,
)
from console.collections.queries.messages import (
    MessageRow,
    customer_messages_view,
)
from console.collections.queries.worklist import (
    SORTS,
    AgingRow,
    WorklistFilter,
    WorklistRow,
    worklist_view,
)
from console.collections.queries.worklist_export import (
    export_csv_view,
)
from console.collections.queries.write_offs import (
    WriteOffRow,
    pending_write_offs_view,
)
from console.collections.usecases.charges import (
    charge_invoice_view,
)
from console.collections.usecases.dunning_run import (
    run_dunning,
    run_dunning_view,
)
from console.collections.usecases.notes import (
    add_note_view,
)
from console.collections.usecases.payments import (
    record_payment_view,
    update_payment_token_view,
)
from console.collections.usecases.write_offs import (
    decide_write_off_view,
    request_write_off_view,
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
