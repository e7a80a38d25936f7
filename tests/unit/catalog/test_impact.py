"""Windows, % change and the histogram of a revenue-impact simulation."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.catalog.domain.impact import (
    HISTOGRAM_LABELS,
    histogram,
    histogram_bin,
    pct_text,
    usage_window,
)


def test_window_is_complete_months_before_as_of():
    assert usage_window(as_of=date(2025, 4, 15), months=3) == (
        date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1))
    assert usage_window(as_of=date(2025, 1, 1), months=12)[0] == date(2024, 1, 1)
    with pytest.raises(ValueError):
        usage_window(as_of=date(2025, 1, 1), months=0)


@pytest.mark.parametrize(
    ("old", "new", "label", "text"),
    [
        (100, 100, "unchanged", "0.0%"),
        (0, 0, "unchanged", "0.0%"),
        (0, 5, "new revenue (was zero)", "new"),
        (100, 40, "below -50%", "-60.0%"),
        (100, 50, "-50% to -20%", "-50.0%"),
        (100, 90, "-10% to -5%", "-10.0%"),
        (100, 99, "-5% to 0%", "-1.0%"),
        (100, 105, "0% to +5%", "+5.0%"),
        (100, 110, "+5% to +10%", "+10.0%"),
        (100, 111, "+10% to +20%", "+11.0%"),
        (100, 150, "+20% to +50%", "+50.0%"),
        (100, 151, "above +50%", "+51.0%"),
        (3, 4, "+20% to +50%", "+33.3%"),
    ],
)
def test_bins_and_text(old, new, label, text):
    assert HISTOGRAM_LABELS[histogram_bin(old, new)] == label
    assert pct_text(old, new) == text


@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 10**9)), max_size=50))
def test_histogram_counts_everyone_once(pairs):
    bins = histogram(pairs)
    assert [b.label for b in bins] == list(HISTOGRAM_LABELS)
    assert sum(b.count for b in bins) == len(pairs)
