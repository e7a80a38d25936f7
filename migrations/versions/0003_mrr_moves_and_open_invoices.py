"""Partial indexes that let the KPI dashboards skip what cannot move.

* ``mrr_monthly.unchanged``: true when the customer's row of the month before has the same
  MRR, currency and plan version. The MRR movements read only the other rows, through
  ``ix_mrr_monthly_moves``. Existing rows are marked here.
* ``ix_invoice_open_kpi``: the invoices that can be open at a month end (not written off,
  not closed in their issue month), for receivables, aging and DSO.
* ``ix_invoice_sales_kpi`` replaces ``ix_invoice_issued_kpi``: the monthly sales are summed
  per currency and month, so the index starts with the currency.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MOVES = ["month", "customer_id", "mrr_minor", "currency", "plan_version_id", "unchanged"]
_SALES = ["currency", "issued_at", "status", "total_minor", "customer_id", "plan_version_id"]
_ISSUED = ["issued_at", "currency", "status", "total_minor", "credited_minor", "paid_minor",
           "paid_at", "voided_at", "due_date", "customer_id", "plan_version_id", "id"]
_OPEN = ["issued_at", "currency", "status", "due_date", "total_minor", "credited_minor",
         "paid_minor", "paid_at", "voided_at", "customer_id", "plan_version_id", "id"]
_OPEN_WHERE = {
    "sqlite": ("status <> 'uncollectible' AND (coalesce(paid_at, voided_at) IS NULL OR "
               "(substr(coalesce(paid_at, voided_at), 1, 7) || '-01') > "
               "(substr(issued_at, 1, 7) || '-01'))"),
    "postgresql": ("status <> 'uncollectible' AND (coalesce(paid_at, voided_at) IS NULL OR "
                   "date_trunc('month', coalesce(paid_at, voided_at) AT TIME ZONE 'UTC')::date"
                   " > date_trunc('month', issued_at AT TIME ZONE 'UTC')::date)"),
}
_MARK = {
    "sqlite": ("UPDATE mrr_monthly SET unchanged = EXISTS (SELECT 1 FROM mrr_monthly p "
               "WHERE p.customer_id = mrr_monthly.customer_id "
               "AND p.month = date(mrr_monthly.month, '-1 month') "
               "AND p.mrr_minor = mrr_monthly.mrr_minor AND p.currency = mrr_monthly.currency "
               "AND p.plan_version_id IS mrr_monthly.plan_version_id)"),
    "postgresql": ("UPDATE mrr_monthly m SET unchanged = true FROM mrr_monthly p "
                   "WHERE p.customer_id = m.customer_id "
                   "AND p.month = (m.month - interval '1 month')::date "
                   "AND p.mrr_minor = m.mrr_minor AND p.currency = m.currency "
                   "AND p.plan_version_id IS NOT DISTINCT FROM m.plan_version_id"),
}


def upgrade() -> None:
    """Apply this revision."""
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table('mrr_monthly', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unchanged', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.execute(_MARK[dialect])
    where = {f"{dialect}_where": sa.text("NOT unchanged")}
    op.create_index('ix_mrr_monthly_moves', 'mrr_monthly', _MOVES, unique=False, **where)
    op.create_index('ix_invoice_open_kpi', 'invoice', _OPEN, unique=False,
                    **{f"{dialect}_where": sa.text(_OPEN_WHERE[dialect])})
    op.drop_index('ix_invoice_issued_kpi', table_name='invoice')
    op.create_index('ix_invoice_sales_kpi', 'invoice', _SALES, unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index('ix_invoice_sales_kpi', table_name='invoice')
    op.create_index('ix_invoice_issued_kpi', 'invoice', _ISSUED, unique=False)
    op.drop_index('ix_invoice_open_kpi', table_name='invoice')
    op.drop_index('ix_mrr_monthly_moves', table_name='mrr_monthly')
    with op.batch_alter_table('mrr_monthly', schema=None) as batch_op:
        batch_op.drop_column('unchanged')
