"""Day-based proration, both ends inclusive, rounded once half away from zero."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.pricing import prorate

JAN_START, JAN_END = date(2024, 1, 1), date(2024, 1, 31)


@pytest.mark.parametrize(
    ("amount", "period", "active", "expected"),
    [
        # full period: 3100 * 31/31
        (3100, (JAN_START, JAN_END), (JAN_START, JAN_END), 3100),
        # active beyond both ends is clipped to the period: 31/31
        (3100, (JAN_START, JAN_END), (date(2023, 12, 1), date(2024, 2, 15)), 3100),
        # one day: 3100 * 1/31 = 100
        (3100, (JAN_START, JAN_END), (date(2024, 1, 10), date(2024, 1, 10)), 100),
        # both ends inclusive: Jan 1..15 is 15 days: 3100 * 15/31 = 1500
        (3100, (JAN_START, JAN_END), (JAN_START, date(2024, 1, 15)), 1500),
        # started mid-period, open to the end: Jan 16..31 = 16 days: 3100 * 16/31 = 1600
        (3100, (JAN_START, JAN_END), (date(2024, 1, 16), date(2099, 1, 1)), 1600),
        # leap February has 29 days: Feb 15..29 = 15 days: 2900 * 15/29 = 1500
        (2900, (date(2024, 2, 1), date(2024, 2, 29)), (date(2024, 2, 15), date(2024, 3, 31)), 1500),
        # non-leap February has 28 days: Feb 15..28 = 14 days: 2800 * 14/28 = 1400
        (2800, (date(2023, 2, 1), date(2023, 2, 28)), (date(2023, 2, 15), date(2023, 3, 31)), 1400),
        # outside the window: nothing
        (3100, (JAN_START, JAN_END), (date(2024, 2, 1), date(2024, 2, 10)), 0),
        (3100, (JAN_START, JAN_END), (date(2023, 12, 1), date(2023, 12, 31)), 0),
        # active_to before active_from: empty overlap
        (3100, (JAN_START, JAN_END), (date(2024, 1, 20), date(2024, 1, 10)), 0),
        # half-up: 15 * 1/30 = 0.5 -> 1
        (15, (date(2024, 4, 1), date(2024, 4, 30)), (date(2024, 4, 1), date(2024, 4, 1)), 1),
        # half away from zero for credits: -15 * 1/30 = -0.5 -> -1
        (-15, (date(2024, 4, 1), date(2024, 4, 30)), (date(2024, 4, 1), date(2024, 4, 1)), -1),
        # 75 * 1/30 = 2.5 -> 3 (banker's rounding would give 2)
        (75, (date(2024, 4, 1), date(2024, 4, 30)), (date(2024, 4, 1), date(2024, 4, 1)), 3),
        # 1000 * 16/31 = 516.129... -> 516
        (1000, (JAN_START, JAN_END), (date(2024, 1, 16), JAN_END), 516),
        # 1000 * 15/31 = 483.870... -> 484
        (1000, (JAN_START, JAN_END), (JAN_START, date(2024, 1, 15)), 484),
        # single-day period
        (999, (JAN_START, JAN_START), (JAN_START, JAN_START), 999),
    ],
)
def test_prorate(
    amount: int, period: tuple[date, date], active: tuple[date, date], expected: int
) -> None:
    result = prorate(
        amount,
        period_start=period[0],
        period_end=period[1],
        active_from=active[0],
        active_to=active[1],
    )
    assert result == expected
    assert type(result) is int


def test_period_end_before_start_is_refused() -> None:
    with pytest.raises(ValueError, match="before period_start"):
        prorate(
            100,
            period_start=JAN_END,
            period_end=JAN_START,
            active_from=JAN_START,
            active_to=JAN_END,
        )


@pytest.mark.parametrize("amount", [100.0, "100", True])
def test_non_int_amount_is_refused(amount: object) -> None:
    with pytest.raises(TypeError):
        prorate(
            amount,  # type: ignore[arg-type]
            period_start=JAN_START,
            period_end=JAN_END,
            active_from=JAN_START,
            active_to=JAN_END,
        )


@settings(deadline=None)
@given(
    amount=st.integers(min_value=-(10**15), max_value=10**15),
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    length=st.integers(min_value=1, max_value=400),
    split=st.integers(min_value=0, max_value=400),
)
def test_upgrade_split_adds_up_within_a_minor_unit(
    amount: int, start: date, length: int, split: int
) -> None:
    """The unused part credited and the used part charged add up to the whole (+-1 rounding)."""
    end = start + timedelta(days=length - 1)
    cut = start + timedelta(days=min(split, length))
    used = prorate(
        amount,
        period_start=start,
        period_end=end,
        active_from=start,
        active_to=cut - timedelta(days=1),
    )
    rest = prorate(amount, period_start=start, period_end=end, active_from=cut, active_to=end)
    full = prorate(amount, period_start=start, period_end=end, active_from=start, active_to=end)
    assert full == amount
    assert abs(used + rest - amount) <= 1
    assert abs(used) <= abs(amount)
    # symmetric for credits
    assert (
        prorate(-amount, period_start=start, period_end=end, active_from=cut, active_to=end)
        == -rest
    )
