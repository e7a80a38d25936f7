"""Maker-checker on experiments: asking to start or conclude, and deciding on the request.

Starting and concluding need an ``approval_request`` (kinds ``experiment_start`` /
``experiment_conclude``) approved by someone other than the experiment's author and the
requester; the decision first claims the request with ``UPDATE approval_request ... WHERE
status = 'pending' AND version = ?`` so two racing approvers record exactly one decision, and
the experiment itself moves with the same kind of conditional update. Every step writes an
audit event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from console.audit import record
from console.experiments.domain.inputs import check_text, parse_date
from console.experiments.domain.lifecycle import (
    APPROVAL_KINDS,
    CONCLUDE,
    LIVE,
    START,
    ExperimentStatus,
)
from console.experiments.domain.metrics import sample_refusal
from console.experiments.queries.labels import status_label
from console.experiments.queries.loaders import (
    EXPERIMENT,
    arms_of,
    assignment_counts,
    get_experiment,
    pending_request,
    today,
)
from console.experiments.queries.simulation import Progress, simulate_experiment
from console.experiments.usecases.experiment_setup import check_arm_versions
from console.experiments.usecases.status_moves import move_experiment
from console.kernel.actor import Actor, actor_for
from console.kernel.conditional import conditional_update
from console.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from console.kernel.permissions import require
from console.kernel.roles import Permission, Role
from models import Approval, ApprovalRequest, Experiment
from models.db import read_session, unit_of_work
from models.types import utcnow

#: Stored on approval requests: the role expected to review (finance may approve as well; the
#: server checks the APPROVE_EXPERIMENTS permission).
REVIEWER_ROLE = Role.MONETIZATION_LEAD.value


def _open_request(session: Session, exp: Experiment, *, kind: str, actor: Actor, reason: str,
                  payload: dict[str, Any]) -> ApprovalRequest:
    if pending_request(session, exp.id) is not None:
        raise Conflict("This experiment already has a pending approval request.")
    conditional_update(session, exp)  # claims the experiment: a racing request gets Conflict
    req = ApprovalRequest(kind=kind, subject_type=EXPERIMENT, subject_id=exp.id, status="pending",
                          requested_by=actor.user_id, required_role=REVIEWER_ROLE,
                          payload=payload, reason=reason)
    session.add(req)
    session.flush()
    return req


def request_start(session: Session, *, experiment_id: int, actor: Actor, reason: str,
                  simulation: Mapping[str, Any] | None = None,
                  scheduled_for: date | None = None) -> ApprovalRequest:
    """Ask for approval to start a draft experiment (the simulation goes with the request).

    Args:
        session: the unit of work.
        experiment_id: the draft.
        actor: a user with RUN_EXPERIMENTS.
        reason: why it should start (required).
        simulation: the revenue simulation shown to the approver (JSON), if run.
        scheduled_for: start on this day instead of at approval (today or later).

    Raises:
        Conflict: not a draft, a request is already pending, or an arm is not published.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS)
    reason = check_text(reason, "A reason", limit=2000)
    exp = get_experiment(session, experiment_id)
    if exp.status != ExperimentStatus.DRAFT:
        raise Conflict(f"Only a draft can be submitted for start; this experiment is "
                       f"{exp.status.replace('_', ' ')}.")
    check_arm_versions(session, exp.id)
    start_on = scheduled_for or exp.scheduled_for
    if start_on is not None and start_on < today():
        raise InvalidInput("The start date cannot be in the past.")
    req = _open_request(session, exp, kind=START, actor=actor, reason=reason, payload={
        "key": exp.key, "scheduled_for": start_on.isoformat() if start_on else None,
        "simulation": dict(simulation) if simulation else None})
    record(session, actor=actor, action="experiment.start_requested", object_type=EXPERIMENT,
           object_id=exp.id, after={"status": exp.status, "approval_request_id": req.id,
                                    "scheduled_for": start_on}, reason=reason)
    return req


#: What a conclusion does to the customers of the losing arms: they keep their version, or
#: move to the winner's at their next renewal (console.experiments.renewal_version).
LOSERS = ("keep", "migrate")


def request_conclusion(session: Session, *, experiment_id: int, winner_arm: str, actor: Actor,
                       reason: str, losers: str = "keep") -> ApprovalRequest:
    """Ask for approval to conclude with a winner (refused before the minimum sample).

    ``losers``: ``keep`` (the losing arms' customers keep their version) or ``migrate`` (they
    move to the winner's version at their next renewal).

    Raises:
        Conflict: not running or paused, a request is pending, or the sample is too small.
        InvalidInput: no reason, or the winner is not an arm of the experiment.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS)
    reason = check_text(reason, "A reason", limit=2000)
    exp = get_experiment(session, experiment_id)
    if exp.status not in LIVE:
        raise Conflict(f"Only a running or paused experiment can be concluded; this one is "
                       f"{exp.status.replace('_', ' ')}.")
    arms = {a.name: a for a in arms_of(session, exp.id)}
    winner = arms.get((winner_arm or "").strip())
    if winner is None:
        raise InvalidInput(f"Choose the winning arm ({', '.join(arms)}).")
    if losers not in LOSERS:
        raise InvalidInput("losers: choose keep or migrate (at their next renewal).")
    counts = assignment_counts(session, exp.id)
    refusal = sample_refusal(counts, minimum=exp.min_sample)
    if refusal:
        raise Conflict(refusal)
    req = _open_request(session, exp, kind=CONCLUDE, actor=actor, reason=reason, payload={
        "key": exp.key, "winner": winner.name, "winner_arm_id": winner.id, "counts": counts,
        "losers": losers})
    record(session, actor=actor, action="experiment.conclude_requested", object_type=EXPERIMENT,
           object_id=exp.id, after={"status": exp.status, "approval_request_id": req.id,
                                    "winner": winner.name, "counts": counts}, reason=reason)
    return req


def _load_request(session: Session, request_id: int) -> tuple[ApprovalRequest, Experiment]:
    req = session.execute(
        sa.select(ApprovalRequest).where(ApprovalRequest.id == request_id)
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if req is None or req.kind not in APPROVAL_KINDS or req.subject_type != EXPERIMENT:
        raise NotFound("No such experiment approval request.")
    if req.status != "pending":
        raise Conflict(f"This request is already {req.status}.")
    return req, get_experiment(session, req.subject_id)


def _reviewer_refusal(actor: Actor, req: ApprovalRequest, exp: Experiment) -> str:
    if actor.user_id == exp.created_by:
        return "You created this experiment; someone else must approve or reject this request."
    if actor.user_id == req.requested_by:
        return "You asked for this step; someone else must approve or reject it."
    return ""


def _decide(session: Session, req: ApprovalRequest, actor: Actor, roles: frozenset[str],
            decision: str, comment: str) -> None:
    status = "approved" if decision == "approve" else "rejected"
    conditional_update(session, req, status=status, decided_at=utcnow())
    session.add(Approval(subject_type="approval_request", subject_id=req.id,
                         approver_id=actor.user_id, approver_roles=sorted(roles),
                         decision=decision, comment=comment))
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("You already recorded a decision on this request.") from None
    record(session, actor=actor, action=f"approval_request.{decision}",
           object_type="approval_request", object_id=req.id, before={"status": "pending"},
           after={"status": req.status, "kind": req.kind, "experiment_id": req.subject_id},
           reason=comment)


def approve_request(session: Session, *, request_id: int, actor: Actor, comment: str = "",
                    on: date | None = None) -> Experiment:
    """Approve a start or conclusion (never by the experiment's author or the requester).

    A start moves the draft to ``running`` (``scheduled`` when its start date is later than
    ``on``); a conclusion records the winner and ends the experiment. The minimum sample is
    checked again at approval.

    Raises:
        NotAllowed: without APPROVE_EXPERIMENTS, or the author / requester approving.
        Conflict: not pending any more (e.g. another approver was first), the experiment
            changed, an arm's version is no longer published, or the sample is too small.
    """
    roles = require(session, actor, Permission.APPROVE_EXPERIMENTS)
    req, exp = _load_request(session, request_id)
    refusal = _reviewer_refusal(actor, req, exp)
    if refusal:
        raise NotAllowed(refusal)
    comment = (comment or "").strip()
    _decide(session, req, actor, roles, "approve", comment)
    day = on or today()
    if req.kind == START:
        check_arm_versions(session, exp.id)
        start_on = req.payload.get("scheduled_for") if req.payload else None
        start_day = date.fromisoformat(start_on) if start_on else None
        if start_day is not None and start_day > day:
            before = move_experiment(session, exp, ExperimentStatus.SCHEDULED,
                                     scheduled_for=start_day)
        else:
            before = move_experiment(session, exp, ExperimentStatus.RUNNING, started_at=utcnow())
        record(session, actor=actor, action="experiment.start_approved", object_type=EXPERIMENT,
               object_id=exp.id, before={"status": before},
               after={"status": exp.status, "approval_request_id": req.id,
                      "scheduled_for": exp.scheduled_for, "started_at": exp.started_at},
               reason=comment or req.reason)
        return exp
    winner_id = int(req.payload["winner_arm_id"])
    refusal = sample_refusal(assignment_counts(session, exp.id), minimum=exp.min_sample)
    if refusal:
        raise Conflict(refusal)
    results = dict(exp.results or {})
    results["decision"] = req.reason
    results["losers"] = (req.payload or {}).get("losers", "keep")
    before = move_experiment(session, exp, ExperimentStatus.CONCLUDED, winner_arm_id=winner_id,
                             ended_at=utcnow(), results=results)
    record(session, actor=actor, action="experiment.concluded", object_type=EXPERIMENT,
           object_id=exp.id, before={"status": before},
           after={"status": exp.status, "winner": req.payload.get("winner"),
                  "winner_arm_id": winner_id, "approval_request_id": req.id},
           reason=comment or req.reason)
    return exp


def reject_request(session: Session, *, request_id: int, actor: Actor,
                   comment: str) -> ApprovalRequest:
    """Reject a start or conclusion with a comment (the experiment stays as it is).

    Raises:
        NotAllowed: without APPROVE_EXPERIMENTS, or the author / requester rejecting.
        Conflict: not pending any more.
    """
    roles = require(session, actor, Permission.APPROVE_EXPERIMENTS)
    comment = check_text(comment, "A comment", limit=2000)
    req, exp = _load_request(session, request_id)
    refusal = _reviewer_refusal(actor, req, exp)
    if refusal:
        raise NotAllowed(refusal)
    _decide(session, req, actor, roles, "reject", comment)
    verb = "start" if req.kind == START else "conclude"
    record(session, actor=actor, action=f"experiment.{verb}_rejected", object_type=EXPERIMENT,
           object_id=exp.id, after={"status": exp.status, "approval_request_id": req.id},
           reason=comment)
    return req


def withdraw_request(session: Session, *, request_id: int, actor: Actor,
                     comment: str = "") -> ApprovalRequest:
    """The requester (or the author) takes a pending request back.

    Raises:
        NotAllowed: anyone else. Conflict: not pending any more.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS)
    req, exp = _load_request(session, request_id)
    if actor.user_id not in (req.requested_by, exp.created_by):
        raise NotAllowed("Only whoever asked (or the author) can withdraw this request.")
    conditional_update(session, req, status="canceled", decided_at=utcnow())
    record(session, actor=actor, action="experiment.request_withdrawn", object_type=EXPERIMENT,
           object_id=exp.id, after={"status": exp.status, "approval_request_id": req.id,
                                    "kind": req.kind}, reason=(comment or "").strip())
    return req


# --- page-facing


def request_start_as_user(user_id: int, experiment_id: int, *, reason: str, months: int = 3,
                          scheduled_for: str = "", progress: Progress | None = None) -> int:
    """Simulate, then ask for approval to start, as the signed-in user.

    The public ``request_start``. The simulation goes with the request: call it from a worker
    thread.

    Returns:
        The approval request's id.

    Raises:
        ServiceError: as :func:`request_start`, or a bad start date.
    """
    day = parse_date(scheduled_for, what="start date")
    with read_session() as s:
        require(s, actor_for(s, user_id), Permission.RUN_EXPERIMENTS)
    sim = simulate_experiment(experiment_id=experiment_id, months=months, progress=progress)
    with unit_of_work() as s:
        return request_start(s, experiment_id=experiment_id, actor=actor_for(s, user_id),
                             reason=reason, simulation=sim.to_json(), scheduled_for=day).id


def request_conclusion_as_user(user_id: int, experiment_id: int, *, winner: str,
                               reason: str, losers: str = "keep") -> int:
    """Ask for approval to conclude with a winner, as the signed-in user.

    The public ``request_conclusion``.

    Returns:
        The approval request's id.

    Raises:
        ServiceError: as :func:`request_conclusion`.
    """
    with unit_of_work() as s:
        return request_conclusion(s, experiment_id=experiment_id, winner_arm=winner,
                                  actor=actor_for(s, user_id), reason=reason,
                                  losers=losers).id


def approve(user_id: int, request_id: int, comment: str = "") -> str:
    """Approve a pending start or conclusion as the signed-in user.

    Returns:
        The experiment's new status, as it reads (``Running``).

    Raises:
        ServiceError: as :func:`approve_request`.
    """
    with unit_of_work() as s:
        exp = approve_request(s, request_id=request_id, actor=actor_for(s, user_id),
                              comment=comment)
        return status_label(exp.status)


def reject(user_id: int, request_id: int, comment: str) -> None:
    """Reject a pending start or conclusion with a comment, as the signed-in user.

    Raises:
        ServiceError: as :func:`reject_request`.
    """
    with unit_of_work() as s:
        reject_request(s, request_id=request_id, actor=actor_for(s, user_id), comment=comment)


def withdraw(user_id: int, request_id: int) -> None:
    """Take a pending request back, as the signed-in requester (or author).

    Raises:
        ServiceError: as :func:`withdraw_request`.
    """
    with unit_of_work() as s:
        withdraw_request(s, request_id=request_id, actor=actor_for(s, user_id))
