"""The experiments page: every experiment and rollout, and the plan versions its forms offer."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from console.experiments.domain.eligibility import CURRENT_SUBSCRIPTIONS
from console.experiments.domain.formatting import DASH
from console.experiments.domain.lifecycle import APPROVAL_KINDS, confirmed_stages
from console.experiments.domain.metrics import PRIMARY_METRICS
from console.experiments.queries.labels import KIND_LABELS, status_label, time_text
from console.experiments.queries.loaders import EXPERIMENT, version_labels, viewer
from models import (
    ApprovalRequest,
    Experiment,
    ExperimentArm,
    ExperimentAssignment,
    Plan,
    PlanVersion,
    Rollout,
    RolloutMember,
    RolloutStage,
    Subscription,
)
from models.db import read_session


@dataclass(frozen=True)
class ExperimentRow:
    """One experiment in the list."""

    id: int
    key: str
    name: str
    plan: str
    status: str
    status_label: str
    arms: str
    assigned: int
    metric: str
    started: str
    pending: str


@dataclass(frozen=True)
class RolloutRow:
    """One rollout in the list."""

    id: int
    key: str
    name: str
    plan: str
    versions: str
    status: str
    status_label: str
    stages: str
    members: int
    paused_reason: str


@dataclass(frozen=True)
class VersionChoice:
    """A plan version offered by a form (``Team v2 · published · 16 subscribers``)."""

    id: int
    label: str
    plan_id: int
    status: str


def experiment_rows(session: Session) -> list[ExperimentRow]:
    """Return every experiment, newest first."""
    exps = session.execute(
        sa.select(Experiment, Plan.name).join(Plan, Plan.id == Experiment.plan_id)
        .order_by(Experiment.id.desc())).all()
    ids = [e.id for e, _p in exps]
    arms: dict[int, list[str]] = {}
    for arm in session.execute(sa.select(ExperimentArm).where(
            ExperimentArm.experiment_id.in_(ids)).order_by(
            ExperimentArm.is_control.desc(), ExperimentArm.name)).scalars():
        arms.setdefault(arm.experiment_id, []).append(f"{arm.name} {arm.weight}")
    assigned = dict(session.execute(
        sa.select(ExperimentAssignment.experiment_id, sa.func.count())
        .where(ExperimentAssignment.experiment_id.in_(ids))
        .group_by(ExperimentAssignment.experiment_id)).all()) if ids else {}
    pending = dict(session.execute(
        sa.select(ApprovalRequest.subject_id, ApprovalRequest.kind)
        .where(ApprovalRequest.subject_type == EXPERIMENT,
               ApprovalRequest.kind.in_(APPROVAL_KINDS), ApprovalRequest.status == "pending",
               ApprovalRequest.subject_id.in_(ids))).all()) if ids else {}
    return [ExperimentRow(
        id=e.id, key=e.key, name=e.name, plan=plan, status=e.status,
        status_label=status_label(e.status), arms=" · ".join(arms.get(e.id, [])),
        assigned=int(assigned.get(e.id, 0)),
        metric=PRIMARY_METRICS.get(e.primary_metric, e.primary_metric),
        started=time_text(e.started_at) if e.started_at else DASH,
        pending=(f"{KIND_LABELS.get(pending[e.id], 'Request')} awaiting approval"
                 if e.id in pending else ""))
        for e, plan in exps]


def rollout_rows(session: Session) -> list[RolloutRow]:
    """Return every rollout, newest first."""
    rollouts = session.execute(sa.select(Rollout, Plan.name).join(Plan, Plan.id == Rollout.plan_id)
                               .order_by(Rollout.id.desc())).all()
    labels = version_labels(session, {v for r, _p in rollouts
                                      for v in (r.from_version_id, r.to_version_id)})
    stages: dict[int, list[RolloutStage]] = {}
    for st in session.execute(sa.select(RolloutStage).order_by(RolloutStage.position)).scalars():
        stages.setdefault(st.rollout_id, []).append(st)
    members = dict(session.execute(
        sa.select(RolloutMember.rollout_id, sa.func.count())
        .where(RolloutMember.rolled_back_on.is_(None))
        .group_by(RolloutMember.rollout_id)).all())
    out = []
    for r, plan in rollouts:
        mine = stages.get(r.id, [])
        done = confirmed_stages(mine)
        reached = f" · at {done[-1].percent}%" if done else ""
        out.append(RolloutRow(
            id=r.id, key=r.key, name=r.name, plan=plan,
            versions=f"{labels.get(r.from_version_id, '?')} → {labels.get(r.to_version_id, '?')}",
            status=r.status, status_label=status_label(r.status),
            stages=f"{len(done)} of {len(mine)} stages{reached}",
            members=int(members.get(r.id, 0)), paused_reason=r.paused_reason or ""))
    return out


def version_choices(session: Session) -> tuple[list[VersionChoice], list[VersionChoice]]:
    """Return published versions (arms, rollout targets) and versions with subscribers (sources)."""
    subs = dict(session.execute(
        sa.select(Subscription.plan_version_id, sa.func.count())
        .where(Subscription.status.in_(CURRENT_SUBSCRIPTIONS))
        .group_by(Subscription.plan_version_id)).all())
    rows = session.execute(
        sa.select(PlanVersion.id, PlanVersion.number, PlanVersion.status, Plan.id, Plan.name)
        .join(Plan, Plan.id == PlanVersion.plan_id)
        .order_by(Plan.position, Plan.name, PlanVersion.number)).all()
    published, sources = [], []
    for vid, number, status, plan_id, plan in rows:
        n = int(subs.get(vid, 0))
        label = f"{plan} v{number} · {status.replace('_', ' ')} · {n} subscriber(s)"
        choice = VersionChoice(vid, label, plan_id, status)
        if status == "published":
            published.append(choice)
        if n and status in ("published", "retired"):
            sources.append(choice)
    return published, sources


# --- page-facing


@dataclass(frozen=True)
class Overview:
    """The experiments page: experiments, rollouts and the versions forms offer."""

    experiments: list[ExperimentRow]
    rollouts: list[RolloutRow]
    published: list[VersionChoice]
    sources: list[VersionChoice]


def overview(user_id: int) -> Overview:
    """Return the experiments page's data: experiments and rollouts, newest first.

    Raises:
        NotAllowed: without VIEW_EXPERIMENTS.
    """
    with read_session() as s:
        viewer(s, user_id)
        published, sources = version_choices(s)
        return Overview(experiment_rows(s), rollout_rows(s), published, sources)
