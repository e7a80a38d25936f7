"""The dispute state machine (pure rules; the services enforce them with conditional updates).

::

    open ──start──> investigating ──await_customer──> awaiting_customer
      │                  ^   │                              │
      │                  └───┼──────────resume──────────────┘
      │                      │
      └──── credit | reject | withdraw (from any of the three working states) ────┐
                                                                                  v
              resolved_credited | resolved_rejected | withdrawn ──reopen──> investigating

* ``credit`` resolves with a credit note (issued at once, or after a finance approval when it
  is above the threshold: the dispute stays in its working state meanwhile).
* ``reopen`` is allowed within a window after the resolution (see :func:`can_reopen`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class DisputeStatus(StrEnum):
    """The status of a dispute."""

    OPEN = "open"
    INVESTIGATING = "investigating"
    AWAITING_CUSTOMER = "awaiting_customer"
    RESOLVED_CREDITED = "resolved_credited"
    RESOLVED_REJECTED = "resolved_rejected"
    WITHDRAWN = "withdrawn"


class DisputeAction(StrEnum):
    """Something a support user does to a dispute's status."""

    START = "start"
    AWAIT_CUSTOMER = "await_customer"
    RESUME = "resume"
    CREDIT = "credit"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    REOPEN = "reopen"


S = DisputeStatus

#: Statuses in which a case is being worked (counted in the queue and the SLA).
ACTIVE: frozenset[DisputeStatus] = frozenset({S.OPEN, S.INVESTIGATING, S.AWAITING_CUSTOMER})
#: Final statuses (a reopen brings a case back).
CLOSED: frozenset[DisputeStatus] = frozenset({S.RESOLVED_CREDITED, S.RESOLVED_REJECTED,
                                              S.WITHDRAWN})

_RULES: dict[DisputeAction, tuple[frozenset[DisputeStatus], DisputeStatus]] = {
    DisputeAction.START: (frozenset({S.OPEN}), S.INVESTIGATING),
    DisputeAction.AWAIT_CUSTOMER: (frozenset({S.INVESTIGATING}), S.AWAITING_CUSTOMER),
    DisputeAction.RESUME: (frozenset({S.AWAITING_CUSTOMER}), S.INVESTIGATING),
    DisputeAction.CREDIT: (ACTIVE, S.RESOLVED_CREDITED),
    DisputeAction.REJECT: (ACTIVE, S.RESOLVED_REJECTED),
    DisputeAction.WITHDRAW: (ACTIVE, S.WITHDRAWN),
    DisputeAction.REOPEN: (CLOSED, S.INVESTIGATING),
}

_WHY: dict[DisputeAction, str] = {
    DisputeAction.START: "Only open disputes can move to investigating.",
    DisputeAction.AWAIT_CUSTOMER: "Only disputes under investigation can wait for the customer.",
    DisputeAction.RESUME: "Only disputes waiting for the customer can resume.",
    DisputeAction.CREDIT: "Only disputes that are still being worked can be credited.",
    DisputeAction.REJECT: "Only disputes that are still being worked can be rejected.",
    DisputeAction.WITHDRAW: "Only disputes that are still being worked can be withdrawn.",
    DisputeAction.REOPEN: "Only resolved or withdrawn disputes can be reopened.",
}

LABELS: dict[str, str] = {
    S.OPEN: "Open",
    S.INVESTIGATING: "Investigating",
    S.AWAITING_CUSTOMER: "Awaiting customer",
    S.RESOLVED_CREDITED: "Resolved: credited",
    S.RESOLVED_REJECTED: "Resolved: rejected",
    S.WITHDRAWN: "Withdrawn",
}

ACTION_LABELS: dict[str, str] = {
    DisputeAction.START: "Start investigation",
    DisputeAction.AWAIT_CUSTOMER: "Wait for customer",
    DisputeAction.RESUME: "Resume investigation",
    DisputeAction.CREDIT: "Credit",
    DisputeAction.REJECT: "Reject",
    DisputeAction.WITHDRAW: "Withdraw",
    DisputeAction.REOPEN: "Reopen",
}

#: Default reopen window (policy ``dispute_reopen_days`` overrides it).
REOPEN_DAYS = 30


def reopen_days_from(setting: Mapping[str, Any] | None) -> int:
    """The reopen window from the ``dispute_reopen_days`` policy: its ``days`` when that is a
    whole number of at least 0, else :data:`REOPEN_DAYS`."""
    value = (setting or {}).get("days", REOPEN_DAYS)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return REOPEN_DAYS
    return value


class DisputeTransitionError(ValueError):
    """The action is not allowed from the dispute's current status (message for the user)."""


def is_active(status: str) -> bool:
    """Whether a dispute in ``status`` is still being worked."""
    return status in ACTIVE


def can(status: str, action: DisputeAction) -> bool:
    """Whether ``action`` is allowed on a dispute in ``status``."""
    return status in _RULES[action][0]


def transition(status: str, action: DisputeAction) -> DisputeStatus:
    """Return the status after ``action``.

    Args:
        status: the dispute's current status.
        action: what is being done.

    Returns:
        The resulting status.

    Raises:
        DisputeTransitionError: when the action is not allowed from ``status``.
    """
    sources, target = _RULES[action]
    if status not in sources:
        label = LABELS.get(status, status).lower()
        raise DisputeTransitionError(f"{_WHY[action]} This dispute is {label}.")
    return target


def allowed_actions(status: str) -> tuple[DisputeAction, ...]:
    """Every action allowed from ``status`` (for enabling buttons; the server re-checks)."""
    return tuple(a for a, (sources, _) in _RULES.items() if status in sources)


def reopen_deadline(resolved_at: datetime, *, window_days: int = REOPEN_DAYS) -> datetime:
    """The last moment a dispute resolved at ``resolved_at`` may be reopened."""
    return resolved_at + timedelta(days=window_days)


def can_reopen(status: str, resolved_at: datetime | None, *, now: datetime,
               window_days: int = REOPEN_DAYS) -> bool:
    """Whether a closed dispute may still be reopened at ``now``."""
    if status not in CLOSED or resolved_at is None:
        return False
    return now <= reopen_deadline(resolved_at, window_days=window_days)


def check_reopen(status: str, resolved_at: datetime | None, *, now: datetime,
                 window_days: int = REOPEN_DAYS) -> DisputeStatus:
    """The status after a reopen, or why not.

    Raises:
        DisputeTransitionError: not closed, or the window has passed.
    """
    target = transition(status, DisputeAction.REOPEN)
    if not can_reopen(status, resolved_at, now=now, window_days=window_days):
        raise DisputeTransitionError(
            f"Disputes can be reopened within {window_days} days of their resolution; this "
            "one was resolved earlier. Open a new dispute instead.")
    return target
