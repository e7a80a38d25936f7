"""Retry backoff: about 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, then daily; +-10 % jitter."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.delivery.domain import DELAYS, after_failure, retry_delay

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("attempts", "minutes"), [(1, 1), (2, 5), (3, 30), (4, 120),
                                                   (5, 360), (6, 720), (7, 1440), (12, 1440)])
def test_plain_delays(attempts: int, minutes: int) -> None:
    assert retry_delay(attempts) == timedelta(minutes=minutes)


@given(st.integers(min_value=1, max_value=30), st.floats(min_value=0, max_value=1))
def test_jitter_stays_within_ten_percent_and_delays_never_shrink(attempts, jitter) -> None:
    base = DELAYS[min(attempts, len(DELAYS)) - 1].total_seconds()
    got = retry_delay(attempts, jitter=jitter).total_seconds()
    assert 0.9 * base - 1 <= got <= 1.1 * base + 1
    assert retry_delay(attempts + 1, jitter=0) >= retry_delay(attempts, jitter=0)


def test_failed_until_the_last_attempt_then_dead() -> None:
    step = after_failure(attempts=1, max_attempts=3, now=NOW)
    assert step.status == "failed" and step.next_at == NOW + timedelta(minutes=1)
    assert after_failure(attempts=2, max_attempts=3, now=NOW).status == "failed"
    dead = after_failure(attempts=3, max_attempts=3, now=NOW)
    assert dead.status == "dead" and dead.next_at is None
