"""The dispute settings an admin may change (``policy_setting`` rows): the SLA hours per reason
and the reopen window."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from console.disputes.domain.status import REOPEN_DAYS, reopen_days_from
from console.kernel.policy import policy


def sla_policy(session: Session) -> dict[str, Any]:
    """``policy_setting["dispute_sla_hours"]`` (reason -> hours)."""
    return policy(session, "dispute_sla_hours", {})


def reopen_window_days(session: Session) -> int:
    """Days after a resolution during which a dispute may be reopened."""
    return reopen_days_from(policy(session, "dispute_reopen_days", {"days": REOPEN_DAYS}))
