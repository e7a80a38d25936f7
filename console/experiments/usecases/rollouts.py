"""Staged rollouts: defining one, and pausing, resuming and completing it.

A rollout moves the subscribers of one plan version to another in stages (``1, 10, 50,
100`` %), with guardrails that pause it and a one-step rollback: see ``stage_preview`` (who a
stage moves), ``rollout_stages`` (confirming stages, the guardrail check) and
``rollout_moves`` (moving subscriptions, rolling back).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from console.audit import record
from console.catalog import MigrationTiming, VersionStatus, get_version
from console.experiments.domain.guardrails import audit_safe, normalize_guardrails
from console.experiments.domain.inputs import check_key, check_stages, check_text
from console.experiments.domain.lifecycle import RolloutStatus, last_confirmed, next_stage
from console.experiments.queries.loaders import (
    ROLLOUT,
    get_rollout,
    require_published,
    stages_of,
    today,
)
from console.experiments.usecases.rollout_stages import StageResult, check_and_store
from console.experiments.usecases.status_moves import move_rollout
from console.kernel.actor import Actor, actor_for
from console.kernel.conditional import check_version
from console.kernel.errors import Conflict, InvalidInput
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import Rollout, RolloutStage
from models.db import unit_of_work


@dataclass(frozen=True)
class RolloutInput:
    """What a monetization lead fills in to define a rollout."""

    key: str
    name: str
    from_version_id: int
    to_version_id: int
    stages: Sequence[int] = (1, 10, 50, 100)
    timing: str = MigrationTiming.NEXT_RENEWAL.value
    guardrails: Mapping[str, Any] = field(default_factory=dict)
    include_grandfathered: bool = False


def _rollout_json(r: Rollout) -> dict[str, Any]:
    return {"key": r.key, "name": r.name, "status": r.status, "plan_id": r.plan_id,
            "from_version_id": r.from_version_id, "to_version_id": r.to_version_id,
            "timing": r.timing, "guardrails": audit_safe(r.guardrails),
            "include_grandfathered": r.include_grandfathered}


def create_rollout(session: Session, *, actor: Actor, spec: RolloutInput) -> Rollout:
    """Create a draft rollout with its stages (audited; the actor owns it).

    Returns:
        The draft.

    Raises:
        NotAllowed: without RUN_EXPERIMENTS.
        InvalidInput: a bad key, name, stage list, timing or guardrail.
        Conflict: the target is not published, the versions differ in plan, or the key is taken.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS)
    key = check_key(spec.key)
    name = check_text(spec.name, "A name")
    stages = check_stages(spec.stages)
    try:
        timing = MigrationTiming(spec.timing)
    except ValueError:
        raise InvalidInput("timing: use next_renewal or date.") from None
    source = get_version(session, int(spec.from_version_id))
    target = get_version(session, int(spec.to_version_id))
    if source.id == target.id:
        raise InvalidInput("Choose two different versions.")
    if source.plan_id != target.plan_id:
        raise InvalidInput("Both versions must belong to the same plan.")
    require_published(target, "target")
    if source.status not in (VersionStatus.PUBLISHED, VersionStatus.RETIRED):
        raise Conflict("Customers can only move off a published or retired version.")
    if session.execute(sa.select(Rollout.id).where(Rollout.key == key)).first():
        raise Conflict(f"A rollout with key {key!r} already exists; keys never change.")
    rollout = Rollout(key=key, name=name, plan_id=source.plan_id, from_version_id=source.id,
                      to_version_id=target.id, status=RolloutStatus.DRAFT.value,
                      timing=timing.value, guardrails=normalize_guardrails(spec.guardrails),
                      include_grandfathered=bool(spec.include_grandfathered),
                      owner_id=actor.user_id)
    session.add(rollout)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"A rollout with key {key!r} already exists.") from None
    for position, percent in enumerate(stages, start=1):
        session.add(RolloutStage(rollout_id=rollout.id, position=position, percent=percent))
    session.flush()
    record(session, actor=actor, action="rollout.create", object_type=ROLLOUT,
           object_id=rollout.id, after={**_rollout_json(rollout), "stages": stages})
    return rollout


def pause_rollout(session: Session, *, rollout_id: int, actor: Actor, reason: str,
                  expected_version: int | None = None) -> Rollout:
    """Pause a running rollout by hand: scheduled moves wait, no stage can be confirmed.

    Raises:
        NotAllowed: without RUN_EXPERIMENTS.
        InvalidInput: no reason.
        Conflict: not running, or changed since the page was loaded.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS)
    reason = check_text(reason, "A reason", limit=2000)
    rollout = get_rollout(session, rollout_id)
    check_version(rollout, expected_version)
    before = move_rollout(session, rollout, RolloutStatus.PAUSED, paused_reason=reason)
    record(session, actor=actor, action="rollout.pause", object_type=ROLLOUT,
           object_id=rollout.id, before={"status": before},
           after={"status": rollout.status, "paused_reason": reason}, reason=reason)
    return rollout


def resume_rollout(session: Session, *, rollout_id: int, actor: Actor, reason: str,
                   expected_version: int | None = None) -> Rollout:
    """Resume a paused rollout (a reason is required: it may have paused on a guardrail).

    Raises:
        NotAllowed: without RUN_EXPERIMENTS.
        InvalidInput: no reason.
        Conflict: not paused, or changed since the page was loaded.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS)
    reason = check_text(reason, "A reason", limit=2000)
    rollout = get_rollout(session, rollout_id)
    check_version(rollout, expected_version)
    paused_reason = rollout.paused_reason
    before = move_rollout(session, rollout, RolloutStatus.RUNNING, paused_reason=None)
    record(session, actor=actor, action="rollout.resume", object_type=ROLLOUT,
           object_id=rollout.id, before={"status": before, "paused_reason": paused_reason},
           after={"status": rollout.status}, reason=reason)
    return rollout


def complete_rollout(session: Session, *, rollout_id: int, actor: Actor,
                     expected_version: int | None = None, on: date | None = None
                     ) -> StageResult:
    """Mark a running rollout whose stages are all confirmed as completed.

    The guardrails of the last stage are checked first; a breach pauses it instead.

    Raises:
        NotAllowed: without RUN_EXPERIMENTS.
        Conflict: not running, a stage still pending, or changed since the page was loaded.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS)
    on = on or today()
    rollout = get_rollout(session, rollout_id)
    check_version(rollout, expected_version)
    stages = stages_of(session, rollout.id)
    if rollout.status != RolloutStatus.RUNNING:
        raise Conflict(f"Only a running rollout can be completed; this one is "
                       f"{rollout.status.replace('_', ' ')}.")
    if next_stage(stages) is not None:
        raise Conflict("Confirm every stage before completing the rollout.")
    last = last_confirmed(stages)
    report = check_and_store(session, rollout, last, actor, on)
    if not report.passed:
        return StageResult(last.position, 0, 0, True, report, report.describe())
    before = move_rollout(session, rollout, RolloutStatus.COMPLETED)
    record(session, actor=actor, action="rollout.complete", object_type=ROLLOUT,
           object_id=rollout.id, before={"status": before}, after={"status": rollout.status})
    return StageResult(last.position, 0, 0, False, report, "Rollout completed.")


# --- page-facing


def create_rollout_as_user(user_id: int, spec: RolloutInput) -> int:
    """Create a draft rollout as the signed-in user (the public ``create_rollout``).

    Returns:
        The new rollout's id.

    Raises:
        ServiceError: as :func:`create_rollout`.
    """
    with unit_of_work() as s:
        return create_rollout(s, actor=actor_for(s, user_id), spec=spec).id


def pause_rollout_as_user(user_id: int, rollout_id: int, reason: str,
                          expected_version: int) -> None:
    """Pause a running rollout as the signed-in user (the public ``pause_rollout``).

    Raises:
        ServiceError: as :func:`pause_rollout`.
    """
    with unit_of_work() as s:
        pause_rollout(s, rollout_id=rollout_id, actor=actor_for(s, user_id), reason=reason,
                      expected_version=expected_version)


def resume_rollout_as_user(user_id: int, rollout_id: int, reason: str,
                           expected_version: int) -> None:
    """Resume a paused rollout as the signed-in user (the public ``resume_rollout``).

    Raises:
        ServiceError: as :func:`resume_rollout`.
    """
    with unit_of_work() as s:
        resume_rollout(s, rollout_id=rollout_id, actor=actor_for(s, user_id), reason=reason,
                       expected_version=expected_version)


def complete_rollout_as_user(user_id: int, rollout_id: int, expected_version: int
                             ) -> StageResult:
    """Complete a rollout as the signed-in user (the public ``complete_rollout``).

    Pauses it instead on a guardrail breach after the last stage.

    Raises:
        ServiceError: as :func:`complete_rollout`.
    """
    with unit_of_work() as s:
        return complete_rollout(s, rollout_id=rollout_id, actor=actor_for(s, user_id),
                                expected_version=expected_version)
