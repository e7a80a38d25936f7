"""Response-due dates from the SLA per reason, and the countdowns the queue shows.

The SLA is in calendar hours from the moment a case is opened (or reopened):
``policy_setting["dispute_sla_hours"]`` maps each reason to hours; a missing or broken entry
falls back to :data:`DEFAULT_SLA_HOURS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

#: The reason categories of a dispute, in the order the form offers them.
REASONS: tuple[str, ...] = ("usage_disagreement", "price_plan_mismatch", "duplicate_charge",
                            "service_issue", "cancellation_not_honoured", "other")

REASON_LABELS: dict[str, str] = {
    "usage_disagreement": "Usage disagreement",
    "price_plan_mismatch": "Price or plan mismatch",
    "duplicate_charge": "Duplicate charge",
    "service_issue": "Service issue",
    "cancellation_not_honoured": "Cancellation not honoured",
    "other": "Other",
}


def reason_choices() -> list[tuple[str, str]]:
    """(value, label) of every dispute reason, in the order the form offers them."""
    return [(r, REASON_LABELS[r]) for r in REASONS]


#: Hours to the first response per reason when the policy says nothing.
DEFAULT_SLA_HOURS: dict[str, int] = {
    "usage_disagreement": 72,
    "price_plan_mismatch": 48,
    "duplicate_charge": 24,
    "service_issue": 72,
    "cancellation_not_honoured": 48,
    "other": 120,
}

#: A working case due within this many hours counts as "due soon".
DUE_SOON_HOURS = 24


def sla_hours_for(reason: str, policy: Mapping[str, Any] | None = None) -> int:
    """The SLA in hours for ``reason`` (policy value if it is a positive whole number).

    Raises:
        ValueError: for an unknown reason.
    """
    if reason not in REASONS:
        raise ValueError(f"{reason!r} is not a dispute reason; choose one of "
                         f"{', '.join(REASONS)}.")
    raw = (policy or {}).get(reason)
    try:
        hours = int(raw)
    except (TypeError, ValueError):
        return DEFAULT_SLA_HOURS[reason]
    if isinstance(raw, bool) or hours <= 0 or str(raw).strip() != str(hours):
        return DEFAULT_SLA_HOURS[reason]
    return hours


def response_due(opened_at: datetime, reason: str, policy: Mapping[str, Any] | None = None
                 ) -> datetime:
    """When the response to a case opened at ``opened_at`` is due."""
    return opened_at + timedelta(hours=sla_hours_for(reason, policy))


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{max(1, minutes)} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} d"


def countdown(due_at: datetime, now: datetime) -> str:
    """``"due in 5 h"``, ``"due in 3 d"``, ``"overdue by 2 d"`` (floored to the unit shown).

    Under an hour the unit is minutes, under two days hours, otherwise days.
    """
    seconds = (due_at - now).total_seconds()
    if seconds >= 0:
        return "due now" if seconds < 60 else f"due in {_span(seconds)}"
    return f"overdue by {_span(-seconds)}"


@dataclass(frozen=True, slots=True)
class SlaView:
    """Where a case stands against its SLA.

    Attributes:
        state: ``overdue``, ``due_soon``, ``on_track`` (working cases), ``met`` or ``missed``
            (closed cases).
        text: what the queue shows, e.g. ``"due in 5 h"`` or ``"resolved 3 h late"``.
        seconds_left: seconds until due (negative when overdue), for sorting.
    """

    state: str
    text: str
    seconds_left: int


def sla_view(due_at: datetime, *, now: datetime, active: bool,
             resolved_at: datetime | None = None, due_soon_hours: int = DUE_SOON_HOURS
             ) -> SlaView:
    """The SLA state and countdown text of a case."""
    left = int((due_at - now).total_seconds())
    if not active:
        end = resolved_at or now
        late = (end - due_at).total_seconds()
        if late <= 0:
            return SlaView("met", "resolved within SLA", left)
        return SlaView("missed", f"resolved {_span(late)} late", left)
    if left < 0:
        return SlaView("overdue", countdown(due_at, now), left)
    if left <= due_soon_hours * 3600:
        return SlaView("due_soon", countdown(due_at, now), left)
    return SlaView("on_track", countdown(due_at, now), left)
