"""Moving an experiment or rollout to another status: the lifecycle decides whether it may,
and the kernel's conditional update makes sure nobody changed it first."""

from __future__ import annotations

from sqlmodel import Session

from console.experiments.domain.lifecycle import (
    ExperimentStatus,
    RolloutStatus,
    TransitionError,
    check_transition,
)
from console.kernel.conditional import conditional_update
from console.kernel.errors import Conflict
from models import Experiment, Rollout


def _move(session: Session, row: Experiment | Rollout,
          current: ExperimentStatus | RolloutStatus,
          target: ExperimentStatus | RolloutStatus, values: dict[str, object]) -> str:
    try:
        check_transition(current, target)
    except TransitionError as exc:
        raise Conflict(str(exc)) from None
    conditional_update(session, row, status=target.value, **values)
    return current.value


def move_experiment(session: Session, exp: Experiment, target: ExperimentStatus,
                    **values: object) -> str:
    """Change an experiment's status (and ``values``) with a conditional UPDATE.

    Returns:
        The status it had before.

    Raises:
        Conflict: the lifecycle forbids it, or someone changed the experiment first.
    """
    return _move(session, exp, ExperimentStatus(exp.status), target, values)


def move_rollout(session: Session, rollout: Rollout, target: RolloutStatus,
                 **values: object) -> str:
    """Change a rollout's status (and ``values``) with a conditional UPDATE.

    Returns:
        The status it had before.

    Raises:
        Conflict: the lifecycle forbids it, or someone changed the rollout first.
    """
    return _move(session, rollout, RolloutStatus(rollout.status), target, values)
