"""Write-offs with a second finance user's approval (maker-checker).

A write-off asks for an ``approval_request`` (kind ``write_off``, subject the invoice,
required role finance). Another finance user approves it; the requester never can (checked on
the server inside the approving transaction, which updates the request conditionally on its
status and version so two racing approvers make one decision). Approval marks the invoice
``uncollectible`` through billing's ``mark_uncollectible`` and cancels its scheduled retries.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from console import billing
from console.audit import record
from console.billing import InvoiceStatus
from console.collections.domain import CollectionsError, check_write_off_decider
from console.collections.queries.receivables import load_invoice, open_minor
from console.collections.usecases.payments import cancel_scheduled_retries
from console.kernel.actor import Actor
from console.kernel.conditional import conditional_update, stale_message
from console.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from console.kernel.outcome import Outcome, act
from console.kernel.permissions import require, roles_of
from console.kernel.roles import Permission, Role
from console.money import format_minor
from models import Approval, ApprovalRequest, Invoice
from models.types import utcnow


def request_write_off(session: Session, *, invoice_id: int, reason: str, actor: Actor
                      ) -> ApprovalRequest:
    """Ask a second finance user to write an issued invoice's open balance off.

    Args:
        session: the open unit of work.
        invoice_id: the invoice.
        reason: why (required).
        actor: the finance user asking.

    Returns:
        The pending approval request.

    Raises:
        InvalidInput: no reason. Conflict: not issued, nothing open, or already requested.
        NotAllowed: a system actor. NotFound: unknown invoice.
    """
    require(session, actor, Permission.MANAGE_COLLECTIONS, system=True)
    if actor.user_id is None:
        raise NotAllowed("Write-offs are requested by people.")
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("A reason is required for a write-off.")
    inv = session.get(Invoice, invoice_id)
    if inv is None:
        raise NotFound(f"No invoice with id {invoice_id}.")
    balance = open_minor(inv)
    if inv.status != InvoiceStatus.ISSUED.value or balance <= 0:
        raise Conflict("Only issued invoices with an open balance can be written off.")
    if session.execute(sa.select(ApprovalRequest.id).where(
            ApprovalRequest.kind == "write_off", ApprovalRequest.subject_type == "invoice",
            ApprovalRequest.subject_id == inv.id, ApprovalRequest.status == "pending")).first():
        raise Conflict("A write-off of this invoice already waits for approval.")
    req = ApprovalRequest(kind="write_off", subject_type="invoice", subject_id=inv.id,
                          status="pending", requested_by=actor.user_id,
                          required_role=Role.FINANCE.value,
                          payload={"amount_minor": balance, "currency": inv.currency,
                                   "invoice_version": inv.version, "number": inv.number},
                          reason=text)
    session.add(req)
    session.flush()
    record(session, actor=actor, action="write_off.request", object_type="invoice",
           object_id=inv.id, after={"approval_request_id": req.id, "amount_minor": balance,
                                    "currency": inv.currency}, reason=text)
    return req


def decide_write_off(session: Session, *, request_id: int, version: int, actor: Actor,
                     approve: bool, comment: str = "") -> ApprovalRequest:
    """Approve (the invoice becomes uncollectible) or reject a write-off request.

    Args:
        session: the open unit of work.
        request_id: the approval request.
        version: its version as the decider saw it.
        actor: the deciding finance user (not the requester).
        approve: approve, or reject.
        comment: why (required to reject).

    Returns:
        The decided request.

    Raises:
        NotAllowed: the requester, a non-finance user or a system actor.
        Conflict: stale or already decided, or the invoice changed (e.g. paid meanwhile).
        InvalidInput: a rejection without a comment.
        NotFound: no such write-off request.
    """
    require(session, actor, Permission.MANAGE_COLLECTIONS, system=True)
    req = session.execute(sa.select(ApprovalRequest).where(ApprovalRequest.id == request_id)
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if req is None or req.kind != "write_off":
        raise NotFound(f"No write-off request with id {request_id}.")
    try:
        check_write_off_decider(requested_by=req.requested_by, decider=actor.user_id)
    except CollectionsError as exc:
        raise NotAllowed(str(exc)) from None
    roles = roles_of(session, actor.user_id)
    if req.required_role not in {r.value for r in roles}:
        raise NotAllowed(f"Only a {req.required_role} user may decide on this write-off.")
    text = (comment or "").strip()
    if not approve and not text:
        raise InvalidInput("Say why the write-off is rejected.")
    if req.status != "pending":
        raise Conflict(stale_message(req))
    decision = "approve" if approve else "reject"
    conditional_update(session, req, expect_version=version,
                       status="approved" if approve else "rejected", decided_at=utcnow())
    session.add(Approval(subject_type="approval_request", subject_id=req.id,
                         approver_id=actor.user_id, approver_roles=sorted(r.value for r in roles),
                         decision=decision, comment=text))
    session.flush()
    record(session, actor=actor, action=f"write_off.{decision}", object_type="invoice",
           object_id=req.subject_id, after={"approval_request_id": req.id,
                                            "status": req.status}, reason=text or req.reason)
    if approve:
        inv = load_invoice(session, req.subject_id)
        if open_minor(inv) <= 0:
            raise Conflict("The invoice has been settled meanwhile; nothing to write off.")
        requested = int((req.payload or {}).get("amount_minor", open_minor(inv)))
        if open_minor(inv) != requested:
            # A payment or credit came in after the request: the approver must see the
            # amount that would really be written off.
            raise Conflict(
                f"The invoice's open balance changed since the write-off was requested "
                f"({format_minor(requested, inv.currency)} then, "
                f"{format_minor(open_minor(inv), inv.currency)} now). Reject this request "
                "and ask for a new one. Nothing was changed.")
        billing.mark_uncollectible(session, invoice_id=inv.id, version=inv.version,
                                   reason=f"Write-off approved: {req.reason}", actor=actor)
        cancel_scheduled_retries(session, inv.id)
    return req


# --- page-facing


def request_write_off_view(invoice_id: int, reason: str, *, user_id: int) -> Outcome:
    """Page-facing :func:`request_write_off`."""
    return act(user_id, request_write_off,
               done="Write-off requested; another finance user must approve it.",
               invoice_id=invoice_id, reason=reason)


def decide_write_off_view(request_id: int, version: int, *, user_id: int, approve: bool,
                          comment: str = "") -> Outcome:
    """Page-facing :func:`decide_write_off`."""
    done = "Write-off approved; the invoice is uncollectible." if approve else \
        "Write-off rejected."
    return act(user_id, decide_write_off, done=done, request_id=request_id, version=version,
               approve=approve, comment=comment)
