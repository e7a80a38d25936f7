"""When results may name a winner, what an interval says, and how rates, money changes and
chart values read; the stages of a rollout in order."""

import math
from dataclasses import dataclass

import pytest

from console.experiments.domain.formatting import chart_value, pct
from console.experiments.domain.lifecycle import (
    StageStatus,
    confirmed_stages,
    last_confirmed,
    next_stage,
)
from console.experiments.domain.metrics import sample_refusal, verdict
from console.money import format_signed_minor


@pytest.mark.parametrize(("lower", "upper", "expected"), [
    (0.01, 0.05, "higher than control"),
    (-0.05, -0.01, "lower than control"),
    (-0.01, 0.02, "no clear difference"),
    (0.0, 0.02, "no clear difference"),
])
def test_the_interval_decides_the_verdict(lower, upper, expected):
    assert verdict(lower=lower, upper=upper) == expected


def test_no_winner_before_every_arm_has_the_minimum_sample():
    assert sample_refusal({"control": 100, "variant": 120}, minimum=100) == ""
    assert sample_refusal({"control": 100, "variant": 99}, minimum=100) == (
        "The minimum sample (100 customers per arm) is not reached yet (control 100, "
        "variant 99); no winner can be declared. Keep it running, or roll it back.")
    assert sample_refusal({}, minimum=1).startswith("The minimum sample (1 customers")


def test_money_changes_carry_their_sign():
    assert format_signed_minor(1200, "USD") == "+$12.00"
    assert format_signed_minor(-350, "USD") == "-$3.50"
    assert format_signed_minor(0, "USD") == "$0.00"


def test_chart_values_are_finite_floats():
    assert (chart_value(0.25), chart_value(3), chart_value(math.nan), chart_value(None),
            chart_value("x")) == (0.25, 3.0, 0.0, 0.0, 0.0)
    assert pct(0.1234, 2) == "12.34%"


@dataclass
class Stage:
    position: int
    status: str


def test_stages_are_confirmed_in_order():
    stages = [Stage(1, StageStatus.COMPLETED.value), Stage(2, StageStatus.BREACHED.value),
              Stage(3, StageStatus.PENDING.value), Stage(4, StageStatus.PENDING.value)]
    assert next_stage(stages).position == 3
    assert [s.position for s in confirmed_stages(stages)] == [1, 2]
    assert last_confirmed(stages).position == 2
    assert next_stage(stages[:2]) is None
    assert last_confirmed(stages[2:]) is None
