"""The dunning policy: when a failed payment is retried, and what happens when retries run out.

* Attempt 1 is the first charge. When it fails, retries follow the schedule in days after that
  first attempt (``policy_setting["dunning_schedule_days"]``, default ``[1, 3, 5, 7]``), so
  attempt ``n`` (n >= 2) is due ``schedule[n - 2]`` days after attempt 1.
* Every failed attempt sends the customer a reminder; the last one a final notice and the
  subscription becomes ``past_due``.
* ``cancel_after_days`` after the retries ran out (policy ``dunning`` ->
  ``cancel_after_days``, default 14) an unpaid subscription is canceled with churn reason
  ``involuntary``. A payment afterwards reactivates it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

DEFAULT_SCHEDULE: tuple[int, ...] = (1, 3, 5, 7)
DEFAULT_CANCEL_AFTER_DAYS = 14
MAX_RETRIES = 12


class DunningConfigError(ValueError):
    """A dunning policy value is not usable (message for the admin)."""


def parse_schedule(value: Any) -> tuple[int, ...]:
    """The retry schedule from a policy value: a list of days, or ``{"days": [...]}``.

    Raises:
        DunningConfigError: unless it is 1 to 12 strictly increasing whole days >= 1.
    """
    days = value.get("days") if isinstance(value, Mapping) else value
    if isinstance(days, str | bytes) or not isinstance(days, Sequence) or not days:
        raise DunningConfigError("The dunning schedule must be a list of days, e.g. [1, 3, 5, 7].")
    out: list[int] = []
    for d in days:
        if isinstance(d, bool) or not isinstance(d, int) or d < 1:
            raise DunningConfigError(f"{d!r} is not a whole number of days (at least 1).")
        if out and d <= out[-1]:
            raise DunningConfigError("The days of the dunning schedule must increase.")
        out.append(d)
    if len(out) > MAX_RETRIES:
        raise DunningConfigError(f"At most {MAX_RETRIES} retries.")
    return tuple(out)


def schedule_or_default(value: Any) -> tuple[int, ...]:
    """:func:`parse_schedule`, falling back to :data:`DEFAULT_SCHEDULE` on a broken value."""
    try:
        return parse_schedule(value)
    except DunningConfigError:
        return DEFAULT_SCHEDULE


def max_attempts(schedule: Sequence[int]) -> int:
    """The first attempt plus one per retry day."""
    return 1 + len(schedule)


def retry_at(first_attempt_at: datetime, attempt_no: int, schedule: Sequence[int]
             ) -> datetime | None:
    """When attempt ``attempt_no`` is due (None beyond the schedule; attempt 1 is immediate)."""
    if attempt_no <= 1:
        return first_attempt_at
    if attempt_no - 2 >= len(schedule):
        return None
    return first_attempt_at + timedelta(days=schedule[attempt_no - 2])


class StepKind(StrEnum):
    """What follows an attempt."""

    PAID = "paid"
    RETRY = "retry"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True, slots=True)
class DunningStep:
    """The decision after an attempt.

    Attributes:
        kind: paid, retry (``next_attempt_no`` at ``next_at``) or exhausted.
        next_attempt_no: the retry's number.
        next_at: when the retry is due.
    """

    kind: StepKind
    next_attempt_no: int | None = None
    next_at: datetime | None = None


def after_attempt(*, attempt_no: int, succeeded: bool, first_attempt_at: datetime,
                  schedule: Sequence[int]) -> DunningStep:
    """Decide what follows attempt ``attempt_no``."""
    if succeeded:
        return DunningStep(StepKind.PAID)
    nxt = retry_at(first_attempt_at, attempt_no + 1, schedule)
    if nxt is None:
        return DunningStep(StepKind.EXHAUSTED)
    return DunningStep(StepKind.RETRY, attempt_no + 1, nxt)


def cancel_after_days(value: Any) -> int:
    """``cancel_after_days`` from the ``dunning`` policy (default 14; 0 cancels at once)."""
    raw = value.get("cancel_after_days") if isinstance(value, Mapping) else None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        return DEFAULT_CANCEL_AFTER_DAYS
    return raw


def cancel_due(exhausted_at: datetime, days: int) -> datetime:
    """When a subscription whose retries ran out at ``exhausted_at`` is canceled."""
    return exhausted_at + timedelta(days=days)


FAILURE_TEXT: dict[str, str] = {
    "insufficient_funds": "the card was declined for insufficient funds",
    "expired_card": "the card on file has expired",
    "network_error": "the payment network did not answer",
    "no_payment_method": "there is no payment method on file",
    "card_declined": "the card was declined",
}


@dataclass(frozen=True, slots=True)
class Message:
    """An email to write to the outbox."""

    kind: str
    subject: str
    body: str


def reminder(*, invoice_number: str, attempt_no: int, failure_code: str | None,
             amount_text: str, next_at: datetime | None) -> Message:
    """The email after a failed attempt (a final notice when no retry follows)."""
    why = FAILURE_TEXT.get(failure_code or "", "the payment failed")
    if next_at is None:
        return Message(
            "dunning_final", f"Final notice: payment failed for invoice {invoice_number}",
            f"We could not collect {amount_text} for invoice {invoice_number} after "
            f"{attempt_no} attempts ({why}). Your subscription is now past due; please update "
            "your payment method to keep your service.")
    return Message(
        "dunning_reminder", f"Payment failed for invoice {invoice_number}",
        f"Attempt {attempt_no} to collect {amount_text} for invoice {invoice_number} failed "
        f"({why}). We will retry automatically on {next_at:%Y-%m-%d}. Updating your payment "
        "method avoids an interruption.")


def canceled_notice(*, invoice_number: str, amount_text: str) -> Message:
    """The email when dunning cancels the subscription."""
    return Message(
        "dunning_canceled", "Your subscription has been canceled",
        f"Invoice {invoice_number} ({amount_text}) is still unpaid after every retry, so your "
        "subscription was canceled. Paying the invoice reactivates it.")


def recovered_notice(*, invoice_number: str, amount_text: str, reactivated: bool) -> Message:
    """The email when a payment settles an invoice that was in dunning."""
    tail = " Your subscription is active again." if reactivated else ""
    return Message("payment_received", f"Payment received for invoice {invoice_number}",
                   f"Thank you: we received {amount_text} for invoice {invoice_number}.{tail}")
