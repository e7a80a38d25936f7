"""Policy settings (``policy_setting`` rows): thresholds and schedules an admin may change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from models import PolicySetting


def policy(session: Session, key: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """``policy_setting[key]`` merged over ``defaults`` (defaults when the row is missing)."""
    row = session.get(PolicySetting, key)
    merged = dict(defaults)
    if row is not None and isinstance(row.value, dict):
        merged.update(row.value)
    return merged
