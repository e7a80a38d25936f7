"""Pausing, resuming and rolling back a running experiment, and starting scheduled ones when
their day comes. Each move is a conditional update with its audit event.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from console.audit import record
from console.experiments.domain.inputs import check_text
from console.experiments.domain.lifecycle import ExperimentStatus
from console.experiments.queries.loaders import EXPERIMENT, get_experiment, pending_request
from console.experiments.usecases.status_moves import move_experiment
from console.kernel.actor import Actor, actor_for
from console.kernel.conditional import check_version, conditional_update
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import Experiment
from models.db import unit_of_work
from models.types import utcnow


def _simple_move(session: Session, *, experiment_id: int, actor: Actor, target: ExperimentStatus,
                 action: str, reason: str, expected_version: int | None = None,
                 **values: object) -> Experiment:
    exp = get_experiment(session, experiment_id)
    check_version(exp, expected_version)
    before = move_experiment(session, exp, target, **values)
    record(session, actor=actor, action=action, object_type=EXPERIMENT, object_id=exp.id,
           before={"status": before}, after={"status": exp.status}, reason=reason)
    return exp


def pause_experiment(session: Session, *, experiment_id: int, actor: Actor, reason: str,
                     expected_version: int | None = None) -> Experiment:
    """Pause a running experiment: no new assignments until it resumes (audited)."""
    require(session, actor, Permission.RUN_EXPERIMENTS)
    return _simple_move(session, experiment_id=experiment_id, actor=actor,
                        target=ExperimentStatus.PAUSED, action="experiment.pause",
                        reason=check_text(reason, "A reason", limit=2000),
                        expected_version=expected_version)


def resume_experiment(session: Session, *, experiment_id: int, actor: Actor, reason: str = "",
                      expected_version: int | None = None) -> Experiment:
    """Resume a paused experiment (audited)."""
    require(session, actor, Permission.RUN_EXPERIMENTS)
    return _simple_move(session, experiment_id=experiment_id, actor=actor,
                        target=ExperimentStatus.RUNNING, action="experiment.resume",
                        reason=(reason or "").strip(), expected_version=expected_version)


def roll_back_experiment(session: Session, *, experiment_id: int, actor: Actor, reason: str,
                         expected_version: int | None = None) -> Experiment:
    """Stop a running or paused experiment without a winner; pending requests are canceled."""
    require(session, actor, Permission.RUN_EXPERIMENTS)
    reason = check_text(reason, "A reason", limit=2000)
    exp = _simple_move(session, experiment_id=experiment_id, actor=actor,
                       target=ExperimentStatus.ROLLED_BACK, action="experiment.roll_back",
                       reason=reason, expected_version=expected_version, ended_at=utcnow())
    req = pending_request(session, exp.id)
    if req is not None:
        conditional_update(session, req, status="canceled", decided_at=utcnow())
    return exp


def start_due_experiments(session: Session, *, on: date, actor: Actor) -> int:
    """Start every approved (scheduled) experiment whose start date has come.

    Run by the system (scheduler, CLI): the approval was the human step.

    Returns:
        How many started.
    """
    due = session.execute(
        sa.select(Experiment.id).where(Experiment.status == ExperimentStatus.SCHEDULED.value,
                                       Experiment.scheduled_for <= on)).scalars().all()
    for experiment_id in due:
        _simple_move(session, experiment_id=experiment_id, actor=actor,
                     target=ExperimentStatus.RUNNING, action="experiment.start",
                     reason=f"scheduled for {on.isoformat()} or earlier", started_at=utcnow())
    return len(due)


# --- page-facing


def pause(user_id: int, experiment_id: int, reason: str, expected_version: int) -> None:
    """Pause a running experiment as the signed-in user.

    Raises:
        ServiceError: as :func:`pause_experiment`.
    """
    with unit_of_work() as s:
        pause_experiment(s, experiment_id=experiment_id, actor=actor_for(s, user_id),
                         reason=reason, expected_version=expected_version)


def resume(user_id: int, experiment_id: int, reason: str, expected_version: int) -> None:
    """Resume a paused experiment as the signed-in user.

    Raises:
        ServiceError: as :func:`resume_experiment`.
    """
    with unit_of_work() as s:
        resume_experiment(s, experiment_id=experiment_id, actor=actor_for(s, user_id),
                          reason=reason, expected_version=expected_version)


def roll_back(user_id: int, experiment_id: int, reason: str, expected_version: int) -> None:
    """Stop an experiment without a winner, as the signed-in user.

    Raises:
        ServiceError: as :func:`roll_back_experiment`.
    """
    with unit_of_work() as s:
        roll_back_experiment(s, experiment_id=experiment_id, actor=actor_for(s, user_id),
                             reason=reason, expected_version=expected_version)
