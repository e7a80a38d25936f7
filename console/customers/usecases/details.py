"""Creating a customer and editing their billing details (finance and admin; audited).

Both take raw field values (a form, an import row) and check them with
:func:`console.customers.domain.details.parse_details` first: a bad field refuses the whole
change with a message per field, and nothing is written. Importers call
:func:`create_customer` inside their own unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.customers.domain.details import CustomerDetails, parse_code, parse_details
from console.customers.queries.customer_detail import get_customer
from console.kernel.actor import Actor
from console.kernel.conditional import conditional_update
from console.kernel.errors import FieldErrors
from console.kernel.outcome import Outcome, act
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import Customer, Invoice, Subscription


def _code_taken(session: Session, code: str, customer_id: int | None = None) -> bool:
    stmt = sa.select(Customer.id).where(sa.func.lower(Customer.code) == code.lower())
    if customer_id is not None:
        stmt = stmt.where(Customer.id != customer_id)
    return session.execute(stmt.limit(1)).first() is not None


def _next_code(session: Session) -> str:
    """``CUS-000123``: one past the highest number of that form (the demo's codes too)."""
    codes = session.execute(sa.select(Customer.code).where(Customer.code.like("CUS-%"))
                            ).scalars()
    top = max((int(c[4:]) for c in codes if c[4:].isdigit()), default=0)
    return f"CUS-{top + 1:06d}"


def create_customer(session: Session, *, details: Mapping[str, Any], actor: Actor,
                    code: str = "") -> Customer:
    """Create a customer from raw billing details (audited ``customer.create``).

    Args:
        session: the unit of work.
        details: field -> value (see :class:`~console.customers.domain.details.CustomerDetails`).
        actor: who creates it (``manage_customers``; an importer's system actor too).
        code: the customer's code (e.g. from the old biller); empty: the next ``CUS-nnnnnn``.

    Returns:
        The new customer (status ``active``, no MRR until a subscription bills).

    Raises:
        NotAllowed: without the permission.
        FieldErrors: naming every bad field (nothing was written).
    """
    require(session, actor, Permission.MANAGE_CUSTOMERS, system=True)
    errors: dict[str, str] = {}
    try:
        checked = parse_details(details)
    except FieldErrors as exc:
        errors.update(exc.errors)
    if code.strip():
        try:
            code = parse_code(code)
        except FieldErrors as exc:
            errors.update(exc.errors)
        else:
            if _code_taken(session, code):
                errors["code"] = f"{code} is already another customer's code."
    if errors:
        raise FieldErrors(errors)
    customer = Customer(code=code.strip() or _next_code(session), **checked.as_dict())
    session.add(customer)
    session.flush()
    record(session, actor=actor, action="customer.create", object_type="customer",
           object_id=customer.id, after={"code": customer.code, **checked.as_dict()})
    return customer


def _current(c: Customer) -> dict[str, Any]:
    return {key: getattr(c, key) for key in CustomerDetails.__dataclass_fields__}


def update_customer(session: Session, *, customer_id: int, details: Mapping[str, Any],
                    expected_version: int, actor: Actor) -> Customer:
    """Change a customer's billing details (audited ``customer.update`` with what changed).

    The currency cannot change once the customer has a subscription or an invoice (amounts
    already billed are in it).

    Raises:
        NotAllowed: without ``manage_customers``.
        NotFound: unknown customer.
        FieldErrors: naming every bad field (nothing was written).
        Conflict: someone changed the customer since ``expected_version`` was read.
    """
    require(session, actor, Permission.MANAGE_CUSTOMERS)
    checked = parse_details(details)
    c = get_customer(session, customer_id)
    before = _current(c)
    after = checked.as_dict()
    if after["currency"] != before["currency"]:
        used = session.execute(sa.select(Subscription.id).where(
            Subscription.customer_id == c.id).limit(1)).first() or session.execute(
            sa.select(Invoice.id).where(Invoice.customer_id == c.id).limit(1)).first()
        if used:
            raise FieldErrors({"currency": f"stays {before['currency']}: the customer already "
                                           "has subscriptions or invoices in it."})
    changed = {k: v for k, v in after.items() if before[k] != v}
    if not changed:
        return c
    conditional_update(session, c, expect_version=expected_version, **changed)
    record(session, actor=actor, action="customer.update", object_type="customer",
           object_id=c.id, before={k: before[k] for k in changed}, after=changed)
    return c


# --- page-facing

def create_customer_view(user_id: int, details: Mapping[str, Any], code: str = "") -> Outcome:
    """Page-facing :func:`create_customer`: the outcome (its ``object_id`` is the new id)."""
    return act(user_id, create_customer, done=lambda c: f"Customer {c.code} created.",
               details=details, code=code)


def update_customer_view(user_id: int, customer_id: int, details: Mapping[str, Any],
                         expected_version: int) -> Outcome:
    """Page-facing :func:`update_customer`."""
    return act(user_id, update_customer, done="Billing details saved.", object_id=customer_id,
               customer_id=customer_id, details=details, expected_version=expected_version)
