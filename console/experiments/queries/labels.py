"""How statuses, times and people read on the experiment and rollout pages."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from console.experiments.domain.formatting import DASH
from models import User

STATUS_LABELS = {"draft": "Draft", "scheduled": "Scheduled", "running": "Running",
                 "paused": "Paused", "concluded": "Concluded", "rolled_back": "Rolled back",
                 "completed": "Completed", "pending": "Pending", "breached": "Breached",
                 "approved": "Approved", "rejected": "Rejected", "canceled": "Withdrawn"}
KIND_LABELS = {"experiment_start": "Start", "experiment_conclude": "Conclusion"}
TIMING_LABELS = {"next_renewal": "At each customer's next renewal", "date": "On the stage date"}


def status_label(status: str) -> str:
    """Return how a status reads: ``Rolled back``."""
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def day_text(value: date | None) -> str:
    """Return ``2026-11-21`` (``—`` for none)."""
    return value.isoformat() if value else DASH


def time_text(value: datetime | None) -> str:
    """Return ``2026-11-21 09:30 UTC`` (``—`` for none)."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else DASH


def user_emails(session: Session, ids: set[int | None]) -> dict[int, str]:
    """Return user id -> e-mail for the given ids (None and 0 are skipped)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(sa.select(User.id, User.email).where(User.id.in_(wanted))).all())
