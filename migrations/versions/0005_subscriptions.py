"""Customers' billing details, subscription changes and renewals.

* ``customer``: legal name, address lines, postal code, city and tax id (empty for the
  customers made before).
* ``subscription.cancel_at_period_end``: a cancellation that takes effect when the current
  period ends (undoable until then); ``ix_subscription_renewal`` (status, current_period_end)
  for the renewals job.
* ``subscription_event``: seats and billing interval before and after the event, so the bill run
  can split a period by seats and interval as it does by plan version.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CUSTOMER_TEXT = (("legal_name", 200), ("address_line1", 200), ("address_line2", 200),
                  ("postal_code", 20), ("city", 100), ("tax_id", 32))


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('customer', schema=None) as batch_op:
        for name, length in _CUSTOMER_TEXT:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False,
                                          server_default=''))
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_at_period_end', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_index('ix_subscription_renewal', ['status', 'current_period_end'],
                              unique=False)
    with op.batch_alter_table('subscription_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seats_before', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('seats_after', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('interval_before', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('interval_after', sa.String(length=8), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('subscription_event', schema=None) as batch_op:
        for name in ('interval_after', 'interval_before', 'seats_after', 'seats_before'):
            batch_op.drop_column(name)
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_index('ix_subscription_renewal')
        batch_op.drop_column('cancel_at_period_end')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        for name, _length in reversed(_CUSTOMER_TEXT):
            batch_op.drop_column(name)
