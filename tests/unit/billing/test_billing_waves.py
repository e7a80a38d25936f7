"""Bill-run waves: a larger share only ever adds customers, and the split is stable."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from console.billing.domain.waves import released, wave_key


def test_the_wave_key_names_the_run() -> None:
    assert wave_key(42) == "billrun:42"


@given(st.integers(min_value=1, max_value=10**6), st.text(min_size=1, max_size=12),
       st.integers(min_value=0, max_value=100), st.integers(min_value=0, max_value=100))
def test_raising_the_share_never_takes_a_customer_back(run_id, code, low, high) -> None:
    low, high = sorted((low, high))
    if released(run_id, code, low):
        assert released(run_id, code, high)


@given(st.integers(min_value=1, max_value=10**6), st.text(min_size=1, max_size=12))
def test_none_and_all(run_id, code) -> None:
    assert not released(run_id, code, 0)
    assert released(run_id, code, 100)
