"""When to try a failed delivery again (pure): exponential backoff with jitter.

After the 1st failed attempt wait about 1 minute, then 5 minutes, 30 minutes, 2 hours,
6 hours, 12 hours, then a day between attempts; each wait is spread by +-10 % so that many
deliveries failing together do not come back together. After ``max_attempts`` attempts the
delivery is dead (a person may replay it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
          timedelta(hours=6), timedelta(hours=12), timedelta(hours=24))
JITTER = 0.10


def retry_delay(attempts: int, *, jitter: float = 0.5) -> timedelta:
    """The wait after ``attempts`` failed attempts (1 = the first failed).

    Args:
        attempts: attempts made so far (at least 1).
        jitter: a number in [0, 1); 0.5 is the plain delay, 0 and 1 its -10 % and +10 %.
    """
    base = DELAYS[min(max(attempts, 1), len(DELAYS)) - 1]
    factor = 1 + JITTER * (2 * min(max(jitter, 0.0), 1.0) - 1)
    return timedelta(seconds=round(base.total_seconds() * factor))


@dataclass(frozen=True)
class NextStep:
    """What a failed attempt leads to: ``failed`` (tried again at ``next_at``) or ``dead``."""

    status: str
    next_at: datetime | None


def after_failure(*, attempts: int, max_attempts: int, now: datetime,
                  jitter: float = 0.5) -> NextStep:
    """The state after the ``attempts``-th attempt failed at ``now``."""
    if attempts >= max_attempts:
        return NextStep("dead", None)
    return NextStep("failed", now + retry_delay(attempts, jitter=jitter))
