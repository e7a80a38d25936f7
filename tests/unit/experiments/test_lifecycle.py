"""Experiment and rollout lifecycle state machines."""

import itertools

import pytest

from console.experiments.domain import (
    ALLOWED_TRANSITIONS,
    ROLLOUT_TRANSITIONS,
    ExperimentStatus,
    RolloutStatus,
    TransitionError,
    can_transition,
    check_transition,
)

E = ExperimentStatus
R = RolloutStatus


def test_every_status_has_an_entry() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(E)
    assert set(ROLLOUT_TRANSITIONS) == set(R)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (E.DRAFT, E.SCHEDULED),
        (E.DRAFT, E.RUNNING),
        (E.SCHEDULED, E.RUNNING),
        (E.SCHEDULED, E.DRAFT),
        (E.RUNNING, E.PAUSED),
        (E.PAUSED, E.RUNNING),
        (E.RUNNING, E.CONCLUDED),
        (E.PAUSED, E.ROLLED_BACK),
        (R.DRAFT, R.RUNNING),
        (R.RUNNING, R.PAUSED),
        (R.PAUSED, R.RUNNING),
        (R.RUNNING, R.COMPLETED),
        (R.COMPLETED, R.ROLLED_BACK),
    ],
)
def test_allowed(current: E | R, target: E | R) -> None:
    check_transition(current, target)
    assert can_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (E.DRAFT, E.CONCLUDED),
        (E.DRAFT, E.PAUSED),
        (E.CONCLUDED, E.RUNNING),
        (E.ROLLED_BACK, E.RUNNING),
        (E.RUNNING, E.DRAFT),
        (E.RUNNING, E.RUNNING),
        (R.DRAFT, R.COMPLETED),
        (R.PAUSED, R.COMPLETED),
        (R.ROLLED_BACK, R.RUNNING),
    ],
)
def test_refused(current: E | R, target: E | R) -> None:
    assert not can_transition(current, target)
    with pytest.raises(TransitionError) as info:
        check_transition(current, target)
    assert info.value.current == current
    assert str(current) in str(info.value)
    assert str(target) in str(info.value)


def test_error_message_lists_allowed_targets() -> None:
    with pytest.raises(TransitionError, match="allowed from draft: running, scheduled"):
        check_transition(E.DRAFT, E.CONCLUDED)
    with pytest.raises(TransitionError, match="final"):
        check_transition(E.CONCLUDED, E.RUNNING)


def test_transition_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="rollout"):
        check_transition(R.DRAFT, R.COMPLETED)


def test_string_targets_are_accepted_and_other_machines_refused() -> None:
    check_transition(E.RUNNING, "paused")
    with pytest.raises(TransitionError):
        check_transition(R.RUNNING, "concluded")  # an experiment status, not a rollout one
    with pytest.raises(TransitionError):
        check_transition(E.RUNNING, "nonsense")


def test_plain_string_current_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        check_transition("running", "paused")  # type: ignore[arg-type]


def test_final_statuses_are_unreachable_to_leave() -> None:
    for status in (E.CONCLUDED, E.ROLLED_BACK):
        assert all(not can_transition(status, t) for t in E)
    assert all(not can_transition(R.ROLLED_BACK, t) for t in R)


def test_every_status_is_reachable_from_draft() -> None:
    for table, start in ((ALLOWED_TRANSITIONS, E.DRAFT), (ROLLOUT_TRANSITIONS, R.DRAFT)):
        seen, frontier = {start}, [start]
        while frontier:
            frontier = [t for s in frontier for t in table[s] if t not in seen]
            seen.update(frontier)
        assert seen == set(table)


def test_transitions_stay_within_one_machine() -> None:
    for status, targets in itertools.chain(
        ALLOWED_TRANSITIONS.items(), ROLLOUT_TRANSITIONS.items()
    ):
        assert all(type(t) is type(status) for t in targets)
