"""Invoice and credit-note status machines (pure rules; the services enforce them in SQL).

Invoice lifecycle used by the console::

    draft ──approve──> approved ──issue──> issued ──mark_paid──> paid
      │  ^                │                  │ └──mark_uncollectible──> uncollectible
     hold│release        hold               void (only while nothing is paid or credited)
      v  │                v
    in_review  <──────────┘

* A bill run writes every invoice as ``draft``, flagged or not (flags live in
  ``invoice.flags``). The review queue shows ``draft`` and ``in_review`` together.
* ``in_review`` means *held*: a reviewer put it on hold with a reason. Releasing the hold
  returns it to ``draft``; a held invoice must be released before it can be approved.
* Lines can be edited only on ``draft`` and ``in_review`` invoices. Issued invoices never
  change; corrections are credit notes.
"""

from __future__ import annotations

from enum import StrEnum


class InvoiceStatus(StrEnum):
    """The status of an invoice."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    ISSUED = "issued"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


class InvoiceAction(StrEnum):
    """Something a reviewer (or the system) does to an invoice."""

    APPROVE = "approve"
    HOLD = "hold"
    RELEASE_HOLD = "release_hold"
    EDIT = "edit"
    VOID = "void"
    ISSUE = "issue"
    MARK_PAID = "mark_paid"
    MARK_UNCOLLECTIBLE = "mark_uncollectible"
    CREDIT = "credit"


class CreditNoteStatus(StrEnum):
    """The status of a credit note."""

    PENDING_APPROVAL = "pending_approval"
    ISSUED = "issued"
    REJECTED = "rejected"
    VOID = "void"


#: Statuses shown by the review queue when no status filter is chosen.
REVIEW_QUEUE_STATUSES: tuple[InvoiceStatus, ...] = (InvoiceStatus.DRAFT, InvoiceStatus.IN_REVIEW)

#: Statuses whose lines may still change.
EDITABLE_STATUSES: frozenset[InvoiceStatus] = frozenset(
    {InvoiceStatus.DRAFT, InvoiceStatus.IN_REVIEW}
)

S = InvoiceStatus

#: action -> (statuses it is allowed from, resulting status; None keeps the status)
_RULES: dict[InvoiceAction, tuple[frozenset[InvoiceStatus], InvoiceStatus | None]] = {
    InvoiceAction.APPROVE: (frozenset({S.DRAFT}), S.APPROVED),
    InvoiceAction.HOLD: (frozenset({S.DRAFT, S.APPROVED}), S.IN_REVIEW),
    InvoiceAction.RELEASE_HOLD: (frozenset({S.IN_REVIEW}), S.DRAFT),
    InvoiceAction.EDIT: (EDITABLE_STATUSES, None),
    InvoiceAction.VOID: (frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED, S.ISSUED}), S.VOID),
    InvoiceAction.ISSUE: (frozenset({S.APPROVED}), S.ISSUED),
    InvoiceAction.MARK_PAID: (frozenset({S.ISSUED}), S.PAID),
    InvoiceAction.MARK_UNCOLLECTIBLE: (frozenset({S.ISSUED}), S.UNCOLLECTIBLE),
    InvoiceAction.CREDIT: (frozenset({S.ISSUED, S.PAID}), None),
}

_WHY: dict[InvoiceAction, str] = {
    InvoiceAction.APPROVE: "Only draft invoices can be approved (release a hold first).",
    InvoiceAction.HOLD: "Only draft or approved invoices can be put on hold.",
    InvoiceAction.RELEASE_HOLD: "Only invoices on hold can be released.",
    InvoiceAction.EDIT: "Only draft or held invoices can be edited; issued invoices never "
    "change (use a credit note).",
    InvoiceAction.VOID: "Only unpaid invoices that are not yet settled can be voided.",
    InvoiceAction.ISSUE: "Only approved invoices can be issued.",
    InvoiceAction.MARK_PAID: "Only issued invoices can be marked paid.",
    InvoiceAction.MARK_UNCOLLECTIBLE: "Only issued invoices can be marked uncollectible.",
    InvoiceAction.CREDIT: "Credit notes apply to issued or paid invoices only.",
}


class TransitionError(ValueError):
    """The action is not allowed from the invoice's current status."""


def can(status: str, action: InvoiceAction) -> bool:
    """Whether ``action`` is allowed on an invoice in ``status``."""
    return status in _RULES[action][0]


def transition(status: str, action: InvoiceAction) -> InvoiceStatus:
    """Return the status after ``action``.

    Args:
        status: the invoice's current status.
        action: what is being done.

    Returns:
        The resulting status (the current one for actions that keep it).

    Raises:
        TransitionError: with a message for the reviewer when the action is not allowed.
    """
    sources, target = _RULES[action]
    if status not in sources:
        raise TransitionError(f"{_WHY[action]} This invoice is {status.replace('_', ' ')}.")
    return InvoiceStatus(status) if target is None else target


def allowed_actions(status: str) -> tuple[InvoiceAction, ...]:
    """Every action allowed from ``status`` (for enabling buttons; the server re-checks)."""
    return tuple(a for a, (sources, _) in _RULES.items() if status in sources)
