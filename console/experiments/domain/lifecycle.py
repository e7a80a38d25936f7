"""Lifecycle state machines of experiments and rollouts, and the stages of a rollout."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Protocol, TypeVar


class ExperimentStatus(StrEnum):
    """Where an experiment is in its lifecycle."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    CONCLUDED = "concluded"
    ROLLED_BACK = "rolled_back"


class RolloutStatus(StrEnum):
    """Where a staged rollout is in its lifecycle."""

    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    ROLLED_BACK = "rolled_back"


class StageStatus(StrEnum):
    """Where one stage of a rollout is: not confirmed yet, confirmed, or its guardrails breached."""

    PENDING = "pending"
    COMPLETED = "completed"
    BREACHED = "breached"


#: Approval request kinds: starting and concluding an experiment need a second person.
START = "experiment_start"
CONCLUDE = "experiment_conclude"
APPROVAL_KINDS = (START, CONCLUDE)

#: Experiments whose assignments block a second enrolment on the same plan.
LIVE = (ExperimentStatus.RUNNING.value, ExperimentStatus.PAUSED.value)

_E = ExperimentStatus
_R = RolloutStatus

#: Experiment status -> statuses it may move to. Concluded and rolled back are final.
ALLOWED_TRANSITIONS: Mapping[ExperimentStatus, frozenset[ExperimentStatus]] = {
    _E.DRAFT: frozenset({_E.SCHEDULED, _E.RUNNING}),
    _E.SCHEDULED: frozenset({_E.DRAFT, _E.RUNNING}),
    _E.RUNNING: frozenset({_E.PAUSED, _E.CONCLUDED, _E.ROLLED_BACK}),
    _E.PAUSED: frozenset({_E.RUNNING, _E.CONCLUDED, _E.ROLLED_BACK}),
    _E.CONCLUDED: frozenset(),
    _E.ROLLED_BACK: frozenset(),
}

#: Rollout status -> statuses it may move to. A completed rollout can still be rolled back.
ROLLOUT_TRANSITIONS: Mapping[RolloutStatus, frozenset[RolloutStatus]] = {
    _R.DRAFT: frozenset({_R.RUNNING}),
    _R.RUNNING: frozenset({_R.PAUSED, _R.COMPLETED, _R.ROLLED_BACK}),
    _R.PAUSED: frozenset({_R.RUNNING, _R.ROLLED_BACK}),
    _R.COMPLETED: frozenset({_R.ROLLED_BACK}),
    _R.ROLLED_BACK: frozenset(),
}


class TransitionError(ValueError):
    """Raised when a status change is not allowed by the lifecycle."""

    def __init__(
        self,
        current: ExperimentStatus | RolloutStatus,
        target: ExperimentStatus | RolloutStatus | str,
    ) -> None:
        kind = "experiment" if isinstance(current, ExperimentStatus) else "rollout"
        allowed = sorted(_transitions(current)[current])
        options = ", ".join(allowed) if allowed else f"none ({current} is final)"
        super().__init__(
            f"cannot move {kind} from {current!s} to {target!s}; "
            f"allowed from {current!s}: {options}"
        )
        self.current = current
        self.target = target


def _transitions(status: ExperimentStatus | RolloutStatus) -> Mapping:
    # Both enums share values such as "draft", so dispatch on the type, not the value.
    if isinstance(status, ExperimentStatus):
        return ALLOWED_TRANSITIONS
    if isinstance(status, RolloutStatus):
        return ROLLOUT_TRANSITIONS
    raise TypeError(f"expected an ExperimentStatus or RolloutStatus, got {status!r}")


def can_transition(
    current: ExperimentStatus | RolloutStatus, target: ExperimentStatus | RolloutStatus | str
) -> bool:
    """Return whether ``current`` may move to ``target`` (a status or its string value)."""
    table = _transitions(current)
    try:
        target = type(current)(target)
    except ValueError:
        return False
    return target in table[current]


def check_transition(
    current: ExperimentStatus | RolloutStatus, target: ExperimentStatus | RolloutStatus | str
) -> None:
    """Raise unless ``current`` may move to ``target``.

    Args:
        current: the present status; its enum type picks the experiment or rollout machine.
        target: the wanted status, of the same enum or its string value (e.g. from the DB).

    Raises:
        TransitionError: if the move is not allowed (a :class:`ValueError`; its message
            lists the allowed targets), including a target that is not a status of the
            same machine.
        TypeError: if ``current`` is not an ExperimentStatus or RolloutStatus.
    """
    if not can_transition(current, target):
        raise TransitionError(current, target)


class _Staged(Protocol):
    status: str


_S = TypeVar("_S", bound=_Staged)


def next_stage(stages: Sequence[_S]) -> _S | None:
    """Return the first stage not confirmed yet (stages in order), or None when all are."""
    return next((s for s in stages if s.status == StageStatus.PENDING), None)


def confirmed_stages(stages: Sequence[_S]) -> list[_S]:
    """Return the stages confirmed so far (completed or breached), in order."""
    return [s for s in stages if s.status != StageStatus.PENDING]


def last_confirmed(stages: Sequence[_S]) -> _S | None:
    """Return the latest confirmed stage (stages in order), or None before the first."""
    done = confirmed_stages(stages)
    return done[-1] if done else None
