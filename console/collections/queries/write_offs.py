"""Write-off requests as the pages list them: those waiting for a decision, and a customer's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.collections.queries.receivables import minute_text
from console.money import format_minor
from models import ApprovalRequest, Customer, Invoice, User
from models.db import read_session


@dataclass(frozen=True)
class WriteOffRow:
    """A write-off request."""

    id: int
    version: int
    invoice_id: int
    invoice_number: str
    customer_id: int
    customer: str
    amount: str
    reason: str
    requested_by_id: int
    requested_by: str
    requested: str
    status: str


def write_off_rows(session: Session, conds: list[Any], *, limit: int = 100
                   ) -> list[WriteOffRow]:
    """Write-off requests matching ``conds`` (SQL conditions), newest first.

    Args:
        session: an open session.
        conds: extra conditions over ``approval_request``, ``invoice`` and ``customer``.
        limit: at most this many rows.

    Returns:
        The requests, preformatted.
    """
    rows = session.execute(
        sa.select(ApprovalRequest, Invoice.number, Invoice.currency, Customer.id, Customer.name,
                  User.name)
        .join(Invoice, Invoice.id == ApprovalRequest.subject_id)
        .join(Customer, Customer.id == Invoice.customer_id)
        .join(User, User.id == ApprovalRequest.requested_by)
        .where(ApprovalRequest.kind == "write_off", ApprovalRequest.subject_type == "invoice",
               *conds)
        .order_by(ApprovalRequest.id.desc()).limit(limit)).all()
    return [WriteOffRow(r.id, r.version, r.subject_id, number or "", cid, cname,
                        format_minor(int((r.payload or {}).get("amount_minor", 0)), cur),
                        r.reason, r.requested_by, uname, minute_text(r.created_at), r.status)
            for r, number, cur, cid, cname, uname in rows]


def pending_write_offs(session: Session, *, limit: int = 100) -> list[WriteOffRow]:
    """Write-offs waiting for a decision, newest first."""
    return write_off_rows(session, [ApprovalRequest.status == "pending"], limit=limit)


# --- page-facing


def pending_write_offs_view(limit: int = 100) -> list[WriteOffRow]:
    """Page-facing :func:`pending_write_offs`."""
    with read_session() as s:
        return pending_write_offs(s, limit=limit)
