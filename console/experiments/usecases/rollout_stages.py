"""Confirming a rollout's stages, with the guardrail check that pauses it on a breach.

Before each further stage (and on demand) the guardrails compare the moved customers with
those not moved yet (dispute rate, payment failure rate, churn and support load since the
move); a breach pauses the rollout, records ``rollout.paused_by_guardrail`` in the audit trail
and keeps the reason on ``rollout.paused_reason`` for the owner's page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from console.audit import record
from console.experiments.domain.guardrail_report import GuardrailReport
from console.experiments.domain.guardrails import audit_safe
from console.experiments.domain.inputs import parse_date
from console.experiments.domain.lifecycle import (
    RolloutStatus,
    StageStatus,
    last_confirmed,
    next_stage,
)
from console.experiments.queries.loaders import ROLLOUT, get_rollout, stages_of, today
from console.experiments.queries.rollout_guardrails import guardrail_report
from console.experiments.queries.stage_preview import preview_stage
from console.experiments.usecases.rollout_moves import move_due
from console.experiments.usecases.status_moves import move_rollout
from console.kernel.actor import Actor, actor_for
from console.kernel.conditional import check_version, conditional_update
from console.kernel.errors import Conflict
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import Rollout, RolloutMember, RolloutStage
from models.db import unit_of_work
from models.types import utcnow


@dataclass(frozen=True)
class StageResult:
    """What confirming a stage did (or why it paused the rollout instead)."""

    position: int
    members: int
    moved_now: int
    paused: bool
    report: GuardrailReport | None
    message: str


def confirm_stage(session: Session, *, rollout_id: int, actor: Actor,
                  expected_version: int | None = None, effective_date: date | None = None,
                  on: date | None = None) -> StageResult:
    """Confirm the next stage: store its members and move those already due.

    The guardrails of the stage before are checked first; on a breach the rollout is paused
    (and audited) instead, and the result says so (the pause is kept: nothing is raised).

    Raises:
        NotAllowed: without RUN_EXPERIMENTS.
        Conflict: the rollout is paused, finished or changed since the page was loaded.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS)
    on = on or today()
    rollout = get_rollout(session, rollout_id)
    check_version(rollout, expected_version)
    if rollout.status not in (RolloutStatus.DRAFT, RolloutStatus.RUNNING):
        paused = rollout.status == RolloutStatus.PAUSED
        what = ("paused: resume it (or roll it back) first" if paused
                else rollout.status.replace("_", " "))
        raise Conflict(f"This rollout is {what}.")
    stages = stages_of(session, rollout.id)
    stage = next_stage(stages)
    if stage is None:
        raise Conflict("Every stage of this rollout is confirmed; complete it.")
    previous = last_confirmed(stages)
    if previous is not None:
        report = check_and_store(session, rollout, previous, actor, on)
        if not report.passed:
            return StageResult(stage.position, 0, 0, True, report, report.describe())
    preview = preview_stage(session, rollout_id=rollout.id, effective_date=effective_date, on=on)
    for ln in preview.lines:
        session.add(RolloutMember(rollout_id=rollout.id, stage_id=stage.id,
                                  customer_id=ln.customer_id, subscription_id=ln.subscription_id,
                                  from_version_id=rollout.from_version_id, moved_on=ln.move_on))
    stage.status = StageStatus.COMPLETED.value
    stage.effective_date = preview.effective_date
    stage.preview = preview.to_json()
    stage.confirmed_by = actor.user_id
    stage.confirmed_at = utcnow()
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("Someone confirmed this stage at the same time; reload.") from None
    before = rollout.status
    if rollout.status == RolloutStatus.DRAFT:
        move_rollout(session, rollout, RolloutStatus.RUNNING)
    else:
        conditional_update(session, rollout)
    record(session, actor=actor, action="rollout.stage_confirmed", object_type=ROLLOUT,
           object_id=rollout.id, before={"status": before},
           after={"status": rollout.status, "stage": stage.position, "percent": stage.percent,
                  "members": preview.count, "effective_date": preview.effective_date,
                  "grandfathered_excluded": preview.grandfathered_excluded,
                  "mrr_change": [t.change for t in preview.totals]})
    moved = move_due(session, rollout, on, actor)
    return StageResult(stage.position, preview.count, moved, False, None,
                       f"Stage {stage.position} ({stage.percent}%) confirmed: {preview.count} "
                       f"subscription(s), {moved} moved now.")


def check_and_store(session: Session, rollout: Rollout, stage: RolloutStage, actor: Actor,
                    on: date) -> GuardrailReport:
    """Check the guardrails after ``stage`` and store the result on it.

    A breach marks the stage breached and pauses a running rollout, with the reason kept on
    ``rollout.paused_reason`` and a ``rollout.paused_by_guardrail`` audit event.
    """
    report = guardrail_report(session, rollout, position=stage.position, on=on)
    stage.guardrail_result = report.to_json()
    if not report.passed:
        stage.status = StageStatus.BREACHED.value
    session.flush()
    if not report.passed and rollout.status == RolloutStatus.RUNNING:
        reason = report.describe()
        before = move_rollout(session, rollout, RolloutStatus.PAUSED, paused_reason=reason)
        record(session, actor=actor, action="rollout.paused_by_guardrail", object_type=ROLLOUT,
               object_id=rollout.id, before={"status": before},
               after={"status": rollout.status, "paused_reason": reason,
                      "stage": stage.position, "owner_id": rollout.owner_id,
                      "breaches": audit_safe(report.to_json()["breaches"])}, reason=reason)
    return report


def check_rollout_guardrails(session: Session, *, rollout_id: int, actor: Actor,
                             on: date | None = None) -> GuardrailReport:
    """Check the guardrails after the last confirmed stage; a breach pauses a running rollout.

    Run by the owner's page (RUN_EXPERIMENTS) or by the system (background jobs, CLI).

    Raises:
        Conflict: no stage has been confirmed yet.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS, system=True)
    rollout = get_rollout(session, rollout_id)
    stage = last_confirmed(stages_of(session, rollout.id))
    if stage is None:
        raise Conflict("No stage has been confirmed yet: there is nothing to check.")
    return check_and_store(session, rollout, stage, actor, on or today())


# --- page-facing


def confirm(user_id: int, rollout_id: int, expected_version: int, effective_date: str = ""
            ) -> StageResult:
    """Confirm the next stage as the signed-in user (or pause on a breach of the stage before).

    Raises:
        ServiceError: as :func:`confirm_stage`, or a bad move date.
    """
    day = parse_date(effective_date, what="move date")
    with unit_of_work() as s:
        return confirm_stage(s, rollout_id=rollout_id, actor=actor_for(s, user_id),
                             expected_version=expected_version, effective_date=day)


def check_guardrails(user_id: int, rollout_id: int) -> GuardrailReport:
    """Check the guardrails after the last stage as the signed-in user; a breach pauses it.

    Raises:
        ServiceError: as :func:`check_rollout_guardrails`.
    """
    with unit_of_work() as s:
        return check_rollout_guardrails(s, rollout_id=rollout_id, actor=actor_for(s, user_id))
