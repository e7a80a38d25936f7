"""Covering indexes for the KPI dashboard reads.

The dashboards read a range of months of the MRR ledger and the invoices issued in a range;
with every column they read in the index, neither read touches the tables' rows. The ledger's
covering index starts with ``month``, so it replaces ``ix_mrr_monthly_month``.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MRR = ["month", "customer_id", "mrr_minor", "currency", "plan_version_id"]
_INVOICE = ["issued_at", "currency", "status", "total_minor", "credited_minor", "paid_minor",
            "paid_at", "voided_at", "due_date", "customer_id", "plan_version_id", "id"]


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('mrr_monthly', schema=None) as batch_op:
        batch_op.drop_index('ix_mrr_monthly_month')
        batch_op.create_index('ix_mrr_monthly_month_kpi', _MRR, unique=False)
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_issued_kpi', _INVOICE, unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_issued_kpi')
    with op.batch_alter_table('mrr_monthly', schema=None) as batch_op:
        batch_op.drop_index('ix_mrr_monthly_month_kpi')
        batch_op.create_index('ix_mrr_monthly_month', ['month'], unique=False)
