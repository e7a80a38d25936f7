"""What may be done to a subscription, and when (pure rules; ../shared/DOMAIN.md
"Subscriptions over time").

active -> (past_due -> active | canceled); active -> canceled (now, or at period end:
``cancel_at_period_end`` until the period ends, undoable before then); canceled -> active
(reactivation, as a new subscription from the day it comes back); trialing -> active |
canceled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class SubscriptionStatus(StrEnum):
    """Where a subscription is in its life."""

    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"


class ChangeKind(StrEnum):
    """A change a person makes to a subscription on behalf of the customer."""

    NEW = "new"
    PLAN = "plan"
    SEATS = "seats"
    INTERVAL = "interval"
    CANCEL_NOW = "cancel_now"
    CANCEL_AT_PERIOD_END = "cancel_at_period_end"
    UNDO_CANCEL = "undo_cancel"
    REACTIVATE = "reactivate"


#: What each change is called on screen.
CHANGE_LABELS: dict[ChangeKind, str] = {
    ChangeKind.NEW: "New subscription",
    ChangeKind.PLAN: "Change plan",
    ChangeKind.SEATS: "Change seats",
    ChangeKind.INTERVAL: "Change billing interval",
    ChangeKind.CANCEL_NOW: "Cancel now",
    ChangeKind.CANCEL_AT_PERIOD_END: "Cancel at period end",
    ChangeKind.UNDO_CANCEL: "Undo the scheduled cancellation",
    ChangeKind.REACTIVATE: "Reactivate",
}

#: Statuses that still bill (the others: trialing has not started billing, canceled ended).
LIVE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
INTERVALS = ("month", "year")
MAX_SEATS = 100_000


@dataclass(frozen=True)
class SubscriptionState:
    """What the rules need to know about a subscription."""

    status: str
    cancel_at_period_end: bool
    started_on: date
    current_period_end: date


def refusal(kind: ChangeKind, state: SubscriptionState | None) -> str:
    """Why ``kind`` cannot be done to a subscription in ``state`` ("" when it can).

    Args:
        kind: the change.
        state: the subscription (None for a new subscription).
    """
    if kind == ChangeKind.NEW:
        return ""
    if state is None:
        return "Choose a subscription."
    status = state.status
    if kind == ChangeKind.REACTIVATE:
        return "" if status == SubscriptionStatus.CANCELED else \
            "Only a canceled subscription can be reactivated."
    if status == SubscriptionStatus.CANCELED:
        return "This subscription is canceled; reactivate it first."
    if kind == ChangeKind.UNDO_CANCEL:
        return "" if state.cancel_at_period_end else "No cancellation is scheduled."
    if kind == ChangeKind.CANCEL_AT_PERIOD_END and state.cancel_at_period_end:
        return (f"It is already set to end on {state.current_period_end.isoformat()}; undo "
                "that first, or cancel now.")
    if kind in (ChangeKind.PLAN, ChangeKind.SEATS, ChangeKind.INTERVAL) \
            and state.cancel_at_period_end:
        return "It is set to end at the period end; undo the cancellation first."
    return ""


def allowed_kinds(state: SubscriptionState) -> list[ChangeKind]:
    """The changes the customer page offers for a subscription in ``state``."""
    return [k for k in ChangeKind if k != ChangeKind.NEW and not refusal(k, state)]


def event_kind(kind: ChangeKind, *, mrr_before: int, mrr_after: int) -> str:
    """The ``subscription_event.kind`` a change writes (a plan change is an upgrade when the
    MRR does not go down, else a downgrade)."""
    if kind == ChangeKind.PLAN:
        return "upgrade" if mrr_after >= mrr_before else "downgrade"
    return {
        ChangeKind.NEW: "new",
        ChangeKind.SEATS: "seat_change",
        ChangeKind.INTERVAL: "interval_change",
        ChangeKind.CANCEL_NOW: "cancel",
        ChangeKind.CANCEL_AT_PERIOD_END: "cancel_scheduled",
        ChangeKind.UNDO_CANCEL: "cancel_undone",
        ChangeKind.REACTIVATE: "reactivate",
    }[kind]


def check_seats(value: object) -> int:
    """Seats as typed: a whole number from 1 to :data:`MAX_SEATS`.

    Raises:
        ValueError: with the message for the ``seats`` field.
    """
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_SEATS:
        raise ValueError(f"a whole number from 1 to {MAX_SEATS:,}.")
    return int(text)


def effective_refusal(day: date, *, today: date, earliest: date) -> str:
    """Why a change cannot take effect on ``day`` ("" when it can): not in the future, and
    not before ``earliest`` (the first day not yet invoiced for good, this month's first day,
    the subscription's start)."""
    if day > today:
        return "cannot be in the future (changes take effect today or on a day already past)."
    if day < earliest:
        return (f"cannot be before {earliest.isoformat()} (earlier days are invoiced already "
                "or belong to a closed month).")
    return ""


def needs_approval(*, mrr_change_reporting_minor: int | None, threshold_minor: int) -> bool:
    """Maker-checker: a change whose MRR change (in the reporting currency) is above the
    threshold, or that cannot be converted, needs another person's approval."""
    if mrr_change_reporting_minor is None:
        return True
    return abs(mrr_change_reporting_minor) > threshold_minor
