"""Deterministic arm assignment and staged-rollout buckets."""

from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.experiments.domain import assign_arm, bucket_bp, in_rollout_stage

IDS = [f"cus_{i:06d}" for i in range(100_000)]


def test_known_assignment_is_stable_across_runs() -> None:
    # sha256("exp-1:cus_000001")[:8] big-endian, pinned so a hashing change is noticed.
    import hashlib

    expected = int.from_bytes(hashlib.sha256(b"exp-1:cus_000001").digest()[:8], "big") % 3
    arm = assign_arm("exp-1", "cus_000001", {"a": 1, "b": 1, "c": 1})
    assert arm == ["a", "b", "c"][expected]


@settings(max_examples=50)
@given(st.text(), st.text())
def test_same_input_same_arm(key: str, customer: str) -> None:
    weights = {"control": 50, "variant": 30, "other": 20}
    assert assign_arm(key, customer, weights) == assign_arm(key, customer, dict(weights))


@settings(max_examples=50)
@given(st.text(), st.text())
def test_dict_order_does_not_matter(key: str, customer: str) -> None:
    forward = {"control": 3, "v1": 2, "v2": 5}
    backward = dict(reversed(forward.items()))
    assert assign_arm(key, customer, forward) == assign_arm(key, customer, backward)


def test_split_matches_weights_over_many_customers() -> None:
    weights = {"control": 50, "v1": 30, "v2": 20}
    counts = Counter(assign_arm("pricing-2024", cid, weights) for cid in IDS)
    for arm, weight in weights.items():
        # 1 % absolute is > 4 standard errors at n = 100,000.
        assert abs(counts[arm] / len(IDS) - weight / 100) < 0.01


def test_zero_weight_arm_gets_nobody() -> None:
    weights = {"control": 1, "off": 0}
    assert {assign_arm("k", cid, weights) for cid in IDS[:2_000]} == {"control"}


def test_different_experiments_assign_independently() -> None:
    weights = {"a": 1, "b": 1}
    same = sum(
        assign_arm("x", cid, weights) == assign_arm("y", cid, weights) for cid in IDS[:20_000]
    )
    assert abs(same / 20_000 - 0.5) < 0.02


@pytest.mark.parametrize(
    "weights",
    [{}, {"a": 0}, {"a": 0, "b": 0}, {"a": -1, "b": 2}, {"a": 1.5}, {"a": True}, {"a": "1"}],
)
def test_invalid_weights_are_rejected(weights: dict) -> None:
    with pytest.raises(ValueError, match="weight"):
        assign_arm("k", "c", weights)


def test_bucket_range_and_stability() -> None:
    buckets = [bucket_bp("roll-1", cid) for cid in IDS[:10_000]]
    assert all(0 <= b < 10_000 for b in buckets)
    assert buckets == [bucket_bp("roll-1", cid) for cid in IDS[:10_000]]


STAGES = [Decimal("0.5"), 10, 50]


def test_rollout_stages_are_monotone_and_sized() -> None:
    previous: set[str] = set()
    for percent in STAGES:
        members = {cid for cid in IDS if in_rollout_stage("roll-1", cid, percent)}
        assert previous <= members
        assert abs(len(members) / len(IDS) - float(percent) / 100) < 0.005
        previous = members


def test_full_stage_holds_everyone() -> None:
    assert all(in_rollout_stage("roll-1", cid, 100) for cid in IDS[:5_000])


def test_zero_percent_stage_is_empty() -> None:
    assert not any(in_rollout_stage("roll-1", cid, 0) for cid in IDS[:5_000])


@pytest.mark.parametrize("percent", [-1, 101, Decimal("100.01"), 10.0, True])
def test_invalid_percent_is_rejected(percent: object) -> None:
    with pytest.raises(ValueError, match="percent"):
        in_rollout_stage("roll-1", "c", percent)  # type: ignore[arg-type]
