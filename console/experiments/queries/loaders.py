"""Loading experiments, rollouts and what hangs off them (arms, stages, pending requests),
shared by the use-cases and the page reads. Loaders raise NotFound for a missing row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.catalog import VersionStatus
from console.experiments.domain.lifecycle import APPROVAL_KINDS
from console.kernel.actor import Actor, actor_for
from console.kernel.errors import Conflict, NotFound
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import (
    ApprovalRequest,
    Customer,
    Experiment,
    ExperimentArm,
    ExperimentAssignment,
    Plan,
    PlanVersion,
    Rollout,
    RolloutStage,
)

#: How experiments and rollouts are named as the subject of approval requests and audit events.
EXPERIMENT = "experiment"
ROLLOUT = "rollout"


def today() -> date:
    """Return today in UTC (the date the services use when none is given)."""
    return datetime.now(UTC).date()


def viewer(session: Session, user_id: int) -> Actor:
    """Return the signed-in user as an actor, refusing unless they may view experiments.

    Raises:
        NotAllowed: without VIEW_EXPERIMENTS.
    """
    actor = actor_for(session, user_id)
    require(session, actor, Permission.VIEW_EXPERIMENTS)
    return actor


def get_experiment(session: Session, experiment_id: int, *, lock: bool = False) -> Experiment:
    """Return the experiment, fresh from the database (``lock``: FOR UPDATE).

    Raises:
        NotFound: no such experiment.
    """
    query = sa.select(Experiment).where(Experiment.id == experiment_id).execution_options(
        populate_existing=True)
    if lock:
        query = query.with_for_update()
    exp = session.execute(query).scalar_one_or_none()
    if exp is None:
        raise NotFound("No such experiment.")
    return exp


def get_rollout(session: Session, rollout_id: int) -> Rollout:
    """Return the rollout, fresh from the database.

    Raises:
        NotFound: no such rollout.
    """
    rollout = session.execute(
        sa.select(Rollout).where(Rollout.id == rollout_id)
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if rollout is None:
        raise NotFound("No such rollout.")
    return rollout


def version_labels(session: Session, version_ids: set[int]) -> dict[int, str]:
    """Return version id -> ``Team v2`` for display."""
    if not version_ids:
        return {}
    rows = session.execute(
        sa.select(PlanVersion.id, PlanVersion.number, Plan.name)
        .join(Plan, Plan.id == PlanVersion.plan_id).where(PlanVersion.id.in_(version_ids))
    ).all()
    return {r.id: f"{r.name} v{r.number}" for r in rows}


def require_published(version: PlanVersion, role: str) -> None:
    """Refuse a plan version that is not published (the catalog's approval flow ran).

    Args:
        version: the loaded version.
        role: how the message names it (``"target"``, ``"control arm's version"``).

    Raises:
        Conflict: the version is not published.
    """
    if version.status != VersionStatus.PUBLISHED:
        raise Conflict(f"The {role} must be a published plan version (v{version.number} is "
                       f"{version.status.replace('_', ' ')}); publish it through the catalog "
                       "approval flow first.")


def arms_of(session: Session, experiment_id: int) -> list[ExperimentArm]:
    """Return the experiment's arms, control first."""
    return list(session.execute(
        sa.select(ExperimentArm).where(ExperimentArm.experiment_id == experiment_id)
        .order_by(ExperimentArm.is_control.desc(), ExperimentArm.name)).scalars())


def assignment_counts(session: Session, experiment_id: int) -> dict[str, int]:
    """Return arm name -> customers assigned (every arm, zero included)."""
    counts = {arm.name: 0 for arm in arms_of(session, experiment_id)}
    rows = session.execute(
        sa.select(ExperimentArm.name, sa.func.count(ExperimentAssignment.id))
        .join(ExperimentAssignment, ExperimentAssignment.arm_id == ExperimentArm.id)
        .where(ExperimentArm.experiment_id == experiment_id).group_by(ExperimentArm.name)).all()
    counts.update({name: int(n) for name, n in rows})
    return counts


def pending_request(session: Session, experiment_id: int, kind: str | None = None
                    ) -> ApprovalRequest | None:
    """Return the experiment's pending approval request (of ``kind``), if any."""
    query = sa.select(ApprovalRequest).where(
        ApprovalRequest.subject_type == EXPERIMENT, ApprovalRequest.subject_id == experiment_id,
        ApprovalRequest.kind.in_([kind] if kind else list(APPROVAL_KINDS)),
        ApprovalRequest.status == "pending").execution_options(populate_existing=True)
    return session.execute(query.order_by(ApprovalRequest.id.desc()).limit(1)).scalar_one_or_none()


def eligibility_filters(elig: Mapping[str, Any] | None) -> list[sa.ColumnElement[bool]]:
    """Return the SQL conditions on ``customer`` of an eligibility's segment, region and
    currency lists (an empty list filters nothing)."""
    elig = elig or {}
    return [column.in_(elig[key])
            for key, column in (("segments", Customer.segment), ("regions", Customer.region),
                                ("currencies", Customer.currency))
            if elig.get(key)]


def stages_of(session: Session, rollout_id: int) -> list[RolloutStage]:
    """Return the rollout's stages in order, fresh from the database."""
    return list(session.execute(
        sa.select(RolloutStage).where(RolloutStage.rollout_id == rollout_id)
        .order_by(RolloutStage.position).execution_options(populate_existing=True)).scalars())
