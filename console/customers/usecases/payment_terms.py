"""Changing a customer's payment terms (finance): audited, refused when someone changed the
customer first."""

from __future__ import annotations

from sqlmodel import Session

from console.audit import record
from console.customers.domain.details import ALLOWED_TERMS
from console.customers.queries.customer_detail import get_customer
from console.kernel.actor import Actor, actor_for
from console.kernel.conditional import conditional_update
from console.kernel.errors import InvalidInput
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models.db import unit_of_work


def change_payment_terms(session: Session, *, customer_id: int, days: int, reason: str,
                         expected_version: int, actor: Actor) -> None:
    """Change a customer's payment terms (finance; audited; refused if someone changed it first).

    Args:
        session: the open unit of work.
        customer_id: the customer.
        days: the new terms, one of :data:`ALLOWED_TERMS`.
        reason: why (required; audited).
        expected_version: the customer's version the user saw.
        actor: who changes them (needs ``manage_collections``).

    Raises:
        NotAllowed: without the permission.
        InvalidInput: for terms outside the allowed list or a missing reason.
        NotFound: for an unknown customer.
        Conflict: when the customer changed since ``expected_version`` was read.
    """
    require(session, actor, Permission.MANAGE_COLLECTIONS)
    if days not in ALLOWED_TERMS:
        raise InvalidInput(f"Payment terms must be one of {', '.join(map(str, ALLOWED_TERMS))} "
                           "days.")
    if not reason.strip():
        raise InvalidInput("Give a reason for the change.")
    c = get_customer(session, customer_id)
    before = c.payment_terms_days
    conditional_update(session, c, expect_version=expected_version, payment_terms_days=days)
    record(session, actor=actor, action="customer.payment_terms", object_type="customer",
           object_id=customer_id, before={"payment_terms_days": before},
           after={"payment_terms_days": days}, reason=reason.strip())


# --- page-facing

def update_payment_terms(actor_id: int, *, customer_id: int, days: int, reason: str,
                         expected_version: int) -> None:
    """Page-facing :func:`change_payment_terms`; re-checks the actor's permission inside.

    Raises:
        ServiceError: the refusals of :func:`change_payment_terms` (nothing was changed).
    """
    with unit_of_work() as s:
        change_payment_terms(s, customer_id=customer_id, days=days, reason=reason,
                             expected_version=expected_version, actor=actor_for(s, actor_id))
