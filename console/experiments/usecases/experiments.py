"""Pricing experiments: definition, maker-checker lifecycle and sticky assignment.

Lifecycle (``console.experiments.ExperimentStatus``): draft -> scheduled -> running -> paused
-> concluded (a winner chosen) | rolled_back. Starting and concluding need an
``approval_request`` (kinds ``experiment_start`` / ``experiment_conclude``) approved by
someone other than the experiment's author and the requester; the decision first claims the
request with ``UPDATE approval_request ... WHERE status = 'pending' AND version = ?`` so two
racing approvers record exactly one decision, and the experiment itself moves with the same
kind of conditional update. Every step writes an audit event in the same transaction.

Assignment is deterministic (:func:`console.experiments.assign_arm` over the experiment key and
the customer id) and sticky: :func:`assign` stores it the first time it is used (unique per
experiment and customer; ``INSERT ... ON CONFLICT DO NOTHING`` then re-read, so concurrent
calls agree). A customer already assigned in another running or paused experiment on the same
plan is skipped with a clear reason (assignments of a plan are serialized by a row lock on the
plan on PostgreSQL; SQLite serializes writers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from console.audit import record
from console.catalog import get_version
from console.experiments.domain import ExperimentStatus, assign_arm, minimum_sample_reached
from console.experiments.usecases.common import (
    PRIMARY_METRICS,
    audit_safe,
    check_key,
    check_text,
    get_experiment,
    move_experiment,
    normalize_eligibility,
    normalize_guardrails,
    require_published,
    today,
)
from console.kernel.actor import Actor
from console.kernel.conditional import conditional_update
from console.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from console.kernel.permissions import require
from console.kernel.roles import Permission, Role
from models import (
    Approval,
    ApprovalRequest,
    Customer,
    Experiment,
    ExperimentArm,
    ExperimentAssignment,
    Plan,
    Subscription,
)
from models.types import utcnow

START = "experiment_start"
CONCLUDE = "experiment_conclude"
APPROVAL_KINDS = (START, CONCLUDE)
SUBJECT = "experiment"
#: Experiments whose assignments block a second enrolment on the same plan.
LIVE = (ExperimentStatus.RUNNING.value, ExperimentStatus.PAUSED.value)
#: Subscriptions that make a customer an "existing" subscriber of a plan.
CURRENT_SUBSCRIPTIONS = ("trialing", "active", "past_due")
#: Stored on approval requests: the role expected to review (finance may approve as well; the
#: server checks the APPROVE_EXPERIMENTS permission).
REVIEWER_ROLE = Role.MONETIZATION_LEAD.value


@dataclass(frozen=True)
class ArmInput:
    """One variant arm of a new experiment."""

    name: str
    plan_version_id: int
    weight: int = 50


@dataclass(frozen=True)
class ExperimentInput:
    """What a monetization lead fills in to define an experiment."""

    key: str
    name: str
    hypothesis: str
    control_version_id: int
    variants: Sequence[ArmInput]
    control_weight: int = 50
    eligibility: Mapping[str, Any] = field(default_factory=dict)
    primary_metric: str = "conversion"
    guardrails: Mapping[str, Any] = field(default_factory=dict)
    planned_days: int = 30
    min_sample: int = 100
    scheduled_for: date | None = None


@dataclass(frozen=True)
class Assignment:
    """Where a customer stands in an experiment (``arm`` is None when not enrolled)."""

    experiment_id: int
    customer_id: int
    arm: str | None
    arm_id: int | None
    plan_version_id: int | None
    stored_now: bool = False
    reason: str = ""

    @property
    def enrolled(self) -> bool:
        """Whether the customer is in an arm."""
        return self.arm is not None


@dataclass(frozen=True)
class Enrolment:
    """What a bulk enrolment did."""

    assigned: int
    skipped_elsewhere: int


# --------------------------------------------------------------------------- definition


def _check_int(value: Any, what: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{what} must be a whole number.") from None
    if not low <= number <= high:
        raise InvalidInput(f"{what} must be between {low} and {high}.")
    return number


def _experiment_json(exp: Experiment) -> dict[str, Any]:
    return {"key": exp.key, "name": exp.name, "status": exp.status, "plan_id": exp.plan_id,
            "primary_metric": exp.primary_metric, "eligibility": exp.eligibility,
            "guardrails": audit_safe(exp.guardrails), "planned_days": exp.planned_days,
            "min_sample": exp.min_sample, "scheduled_for": exp.scheduled_for}


def create_experiment(session: Session, *, actor: Actor, spec: ExperimentInput) -> Experiment:
    """Create a draft experiment with its control and variant arms (audited).

    Raises:
        NotAllowed: without RUN_EXPERIMENTS.
        InvalidInput: a bad key, text, weight, metric, guardrail or eligibility value.
        Conflict: an arm's version is not published, the versions are of different plans,
            or the key is taken.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS)
    key = check_key(spec.key)
    name = check_text(spec.name, "A name")
    hypothesis = check_text(spec.hypothesis, "A hypothesis", 4000)
    if spec.primary_metric not in PRIMARY_METRICS:
        raise InvalidInput(f"primary metric: use one of {', '.join(PRIMARY_METRICS)}.")
    planned_days = _check_int(spec.planned_days, "The planned duration (days)", 1, 730)
    min_sample = _check_int(spec.min_sample, "The minimum sample per arm", 1, 10_000_000)
    if not spec.variants:
        raise InvalidInput("Add at least one variant.")
    arms = [("control", spec.control_version_id, spec.control_weight, True)]
    for i, v in enumerate(spec.variants):
        arm_name = (v.name or "").strip().lower() or ("variant" if len(spec.variants) == 1
                                                      else f"variant_{i + 1}")
        arms.append((arm_name, v.plan_version_id, v.weight, False))
    names = [a[0] for a in arms]
    if len(set(names)) != len(names):
        raise InvalidInput("Arm names must be different.")
    for arm_name in names:
        if arm_name != "control":
            check_key(arm_name)
    versions = {}
    for arm_name, version_id, weight, _control in arms:
        _check_int(weight, f"The weight of {arm_name}", 1, 10_000)
        version = get_version(session, int(version_id))
        require_published(version, f"{arm_name} arm's version")
        versions[arm_name] = version
    if len({v.plan_id for v in versions.values()}) != 1:
        raise Conflict("All arms must offer versions of the same plan.")
    if len({v.id for v in versions.values()}) != len(versions):
        raise InvalidInput("Each arm must offer a different plan version.")
    if spec.scheduled_for is not None and spec.scheduled_for < today():
        raise InvalidInput("The start date cannot be in the past.")
    taken = session.execute(sa.select(Experiment.id).where(Experiment.key == key)).first()
    if taken:
        raise Conflict(f"An experiment with key {key!r} already exists; keys never change.")
    exp = Experiment(key=key, name=name, hypothesis=hypothesis,
                     plan_id=versions["control"].plan_id, status=ExperimentStatus.DRAFT.value,
                     eligibility=normalize_eligibility(spec.eligibility),
                     primary_metric=spec.primary_metric,
                     guardrails=normalize_guardrails(spec.guardrails), planned_days=planned_days,
                     min_sample=min_sample, scheduled_for=spec.scheduled_for,
                     created_by=actor.user_id)
    session.add(exp)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"An experiment with key {key!r} already exists.") from None
    for arm_name, version_id, weight, control in arms:
        session.add(ExperimentArm(experiment_id=exp.id, name=arm_name,
                                  plan_version_id=int(version_id), weight=int(weight),
                                  is_control=control))
    session.flush()
    record(session, actor=actor, action="experiment.create", object_type=SUBJECT,
           object_id=exp.id, after={**_experiment_json(exp), "arms": [
               {"name": a[0], "plan_version_id": int(a[1]), "weight": int(a[2])} for a in arms]},
           reason=hypothesis)
    return exp


def arms_of(session: Session, experiment_id: int) -> list[ExperimentArm]:
    """The experiment's arms, control first."""
    return list(session.execute(
        sa.select(ExperimentArm).where(ExperimentArm.experiment_id == experiment_id)
        .order_by(ExperimentArm.is_control.desc(), ExperimentArm.name)).scalars())


def _check_arm_versions(session: Session, experiment_id: int) -> None:
    for arm in arms_of(session, experiment_id):
        require_published(get_version(session, arm.plan_version_id), f"{arm.name} arm's version")


# --------------------------------------------------------------------------- approvals


def pending_request(session: Session, experiment_id: int, kind: str | None = None
                    ) -> ApprovalRequest | None:
    """The experiment's pending approval request (of ``kind``), if any."""
    query = sa.select(ApprovalRequest).where(
        ApprovalRequest.subject_type == SUBJECT, ApprovalRequest.subject_id == experiment_id,
        ApprovalRequest.kind.in_([kind] if kind else list(APPROVAL_KINDS)),
        ApprovalRequest.status == "pending").execution_options(populate_existing=True)
    return session.execute(query.order_by(ApprovalRequest.id.desc()).limit(1)).scalar_one_or_none()


def _open_request(session: Session, exp: Experiment, *, kind: str, actor: Actor, reason: str,
                  payload: dict[str, Any]) -> ApprovalRequest:
    if pending_request(session, exp.id) is not None:
        raise Conflict("This experiment already has a pending approval request.")
    conditional_update(session, exp)  # claims the experiment: a racing request gets Conflict
    req = ApprovalRequest(kind=kind, subject_type=SUBJECT, subject_id=exp.id, status="pending",
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
    reason = check_text(reason, "A reason", 2000)
    exp = get_experiment(session, experiment_id)
    if exp.status != ExperimentStatus.DRAFT:
        raise Conflict(f"Only a draft can be submitted for start; this experiment is "
                       f"{exp.status.replace('_', ' ')}.")
    _check_arm_versions(session, exp.id)
    start_on = scheduled_for or exp.scheduled_for
    if start_on is not None and start_on < today():
        raise InvalidInput("The start date cannot be in the past.")
    req = _open_request(session, exp, kind=START, actor=actor, reason=reason, payload={
        "key": exp.key, "scheduled_for": start_on.isoformat() if start_on else None,
        "simulation": dict(simulation) if simulation else None})
    record(session, actor=actor, action="experiment.start_requested", object_type=SUBJECT,
           object_id=exp.id, after={"status": exp.status, "approval_request_id": req.id,
                                    "scheduled_for": start_on}, reason=reason)
    return req


def assignment_counts(session: Session, experiment_id: int) -> dict[str, int]:
    """Arm name -> customers assigned (every arm, zero included)."""
    counts = {arm.name: 0 for arm in arms_of(session, experiment_id)}
    rows = session.execute(
        sa.select(ExperimentArm.name, sa.func.count(ExperimentAssignment.id))
        .join(ExperimentAssignment, ExperimentAssignment.arm_id == ExperimentArm.id)
        .where(ExperimentArm.experiment_id == experiment_id).group_by(ExperimentArm.name)).all()
    counts.update({name: int(n) for name, n in rows})
    return counts


def _sample_refusal(exp: Experiment, counts: Mapping[str, int]) -> str:
    if minimum_sample_reached(counts, exp.min_sample):
        return ""
    got = ", ".join(f"{arm} {n}" for arm, n in counts.items())
    return (f"The minimum sample ({exp.min_sample} customers per arm) is not reached yet "
            f"({got}); no winner can be declared. Keep it running, or roll it back.")


def request_conclusion(session: Session, *, experiment_id: int, winner_arm: str, actor: Actor,
                       reason: str) -> ApprovalRequest:
    """Ask for approval to conclude with a winner (refused before the minimum sample).

    Raises:
        Conflict: not running or paused, a request is pending, or the sample is too small.
        InvalidInput: no reason, or the winner is not an arm of the experiment.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS)
    reason = check_text(reason, "A reason", 2000)
    exp = get_experiment(session, experiment_id)
    if exp.status not in LIVE:
        raise Conflict(f"Only a running or paused experiment can be concluded; this one is "
                       f"{exp.status.replace('_', ' ')}.")
    arms = {a.name: a for a in arms_of(session, exp.id)}
    winner = arms.get((winner_arm or "").strip())
    if winner is None:
        raise InvalidInput(f"Choose the winning arm ({', '.join(arms)}).")
    counts = assignment_counts(session, exp.id)
    refusal = _sample_refusal(exp, counts)
    if refusal:
        raise Conflict(refusal)
    req = _open_request(session, exp, kind=CONCLUDE, actor=actor, reason=reason, payload={
        "key": exp.key, "winner": winner.name, "winner_arm_id": winner.id, "counts": counts})
    record(session, actor=actor, action="experiment.conclude_requested", object_type=SUBJECT,
           object_id=exp.id, after={"status": exp.status, "approval_request_id": req.id,
                                    "winner": winner.name, "counts": counts}, reason=reason)
    return req


def _load_request(session: Session, request_id: int) -> tuple[ApprovalRequest, Experiment]:
    req = session.execute(
        sa.select(ApprovalRequest).where(ApprovalRequest.id == request_id)
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if req is None or req.kind not in APPROVAL_KINDS or req.subject_type != SUBJECT:
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
        _check_arm_versions(session, exp.id)
        start_on = req.payload.get("scheduled_for") if req.payload else None
        start_day = date.fromisoformat(start_on) if start_on else None
        if start_day is not None and start_day > day:
            before = move_experiment(session, exp, ExperimentStatus.SCHEDULED,
                                     scheduled_for=start_day)
        else:
            before = move_experiment(session, exp, ExperimentStatus.RUNNING, started_at=utcnow())
        record(session, actor=actor, action="experiment.start_approved", object_type=SUBJECT,
               object_id=exp.id, before={"status": before},
               after={"status": exp.status, "approval_request_id": req.id,
                      "scheduled_for": exp.scheduled_for, "started_at": exp.started_at},
               reason=comment or req.reason)
        return exp
    winner_id = int(req.payload["winner_arm_id"])
    refusal = _sample_refusal(exp, assignment_counts(session, exp.id))
    if refusal:
        raise Conflict(refusal)
    results = dict(exp.results or {})
    results["decision"] = req.reason
    before = move_experiment(session, exp, ExperimentStatus.CONCLUDED, winner_arm_id=winner_id,
                             ended_at=utcnow(), results=results)
    record(session, actor=actor, action="experiment.concluded", object_type=SUBJECT,
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
    comment = check_text(comment, "A comment", 2000)
    req, exp = _load_request(session, request_id)
    refusal = _reviewer_refusal(actor, req, exp)
    if refusal:
        raise NotAllowed(refusal)
    _decide(session, req, actor, roles, "reject", comment)
    verb = "start" if req.kind == START else "conclude"
    record(session, actor=actor, action=f"experiment.{verb}_rejected", object_type=SUBJECT,
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
    record(session, actor=actor, action="experiment.request_withdrawn", object_type=SUBJECT,
           object_id=exp.id, after={"status": exp.status, "approval_request_id": req.id,
                                    "kind": req.kind}, reason=(comment or "").strip())
    return req


# --------------------------------------------------------------------------- lifecycle


def _simple_move(session: Session, *, experiment_id: int, actor: Actor, target: ExperimentStatus,
                 action: str, reason: str, expected_version: int | None = None,
                 **values: object) -> Experiment:
    exp = get_experiment(session, experiment_id)
    if expected_version is not None and exp.version != expected_version:
        raise Conflict("This experiment changed since the page was loaded; reload and try again.")
    before = move_experiment(session, exp, target, **values)
    record(session, actor=actor, action=action, object_type=SUBJECT, object_id=exp.id,
           before={"status": before}, after={"status": exp.status}, reason=reason)
    return exp


def pause_experiment(session: Session, *, experiment_id: int, actor: Actor, reason: str,
                     expected_version: int | None = None) -> Experiment:
    """Pause a running experiment: no new assignments until it resumes (audited)."""
    require(session, actor, Permission.RUN_EXPERIMENTS)
    return _simple_move(session, experiment_id=experiment_id, actor=actor,
                        target=ExperimentStatus.PAUSED, action="experiment.pause",
                        reason=check_text(reason, "A reason", 2000),
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
    reason = check_text(reason, "A reason", 2000)
    exp = _simple_move(session, experiment_id=experiment_id, actor=actor,
                       target=ExperimentStatus.ROLLED_BACK, action="experiment.roll_back",
                       reason=reason, expected_version=expected_version, ended_at=utcnow())
    req = pending_request(session, exp.id)
    if req is not None:
        conditional_update(session, req, status="canceled", decided_at=utcnow())
    return exp


def start_due_experiments(session: Session, *, on: date, actor: Actor) -> int:
    """Start every approved (scheduled) experiment whose start date has come; returns how many."""
    due = session.execute(
        sa.select(Experiment.id).where(Experiment.status == ExperimentStatus.SCHEDULED.value,
                                       Experiment.scheduled_for <= on)).scalars().all()
    for experiment_id in due:
        _simple_move(session, experiment_id=experiment_id, actor=actor,
                     target=ExperimentStatus.RUNNING, action="experiment.start",
                     reason=f"scheduled for {on.isoformat()} or earlier", started_at=utcnow())
    return len(due)


# --------------------------------------------------------------------------- assignment


def _weights(arms: Sequence[ExperimentArm]) -> dict[str, int]:
    return {a.name: a.weight for a in arms}


def _eligible_reason(session: Session, exp: Experiment, customer: Customer) -> str:
    elig = exp.eligibility or {}
    for key, value, label in (("segments", customer.segment, "segment"),
                              ("regions", customer.region, "region"),
                              ("currencies", customer.currency, "currency")):
        allowed = elig.get(key) or []
        if allowed and value not in allowed:
            return f"Not eligible: {label} {value} is not one of {', '.join(allowed)}."
    is_new = exp.started_at is not None and customer.created_at >= exp.started_at
    if elig.get("new_customers_only", True):
        return "" if is_new else "Not eligible: the experiment is for new customers only."
    current = session.execute(
        sa.select(Subscription.id).where(Subscription.customer_id == customer.id,
                                         Subscription.plan_id == exp.plan_id,
                                         Subscription.status.in_(CURRENT_SUBSCRIPTIONS)).limit(1)
    ).first()
    if is_new or current:
        return ""
    return "Not eligible: neither a new customer nor a subscriber of this plan."


def _lock_plan(session: Session, plan_id: int) -> None:
    session.execute(sa.select(Plan.id).where(Plan.id == plan_id).with_for_update())


def _insert_ignore(session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    table = ExperimentAssignment.__table__
    if dialect == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing(
            index_elements=["experiment_id", "customer_id"])
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing(
            index_elements=["experiment_id", "customer_id"])
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        stmt = sa.insert(table)
    if len(rows) == 1:
        got = session.execute(stmt.values(**rows[0]).returning(table.c.id)).first()
        return int(got is not None)
    session.execute(stmt, rows)
    return len(rows)


def _stored(session: Session, experiment_id: int, customer_id: int) -> Assignment | None:
    row = session.execute(
        sa.select(ExperimentArm.id, ExperimentArm.name, ExperimentArm.plan_version_id)
        .join(ExperimentAssignment, ExperimentAssignment.arm_id == ExperimentArm.id)
        .where(ExperimentAssignment.experiment_id == experiment_id,
               ExperimentAssignment.customer_id == customer_id)).first()
    if row is None:
        return None
    return Assignment(experiment_id, customer_id, row.name, row.id, row.plan_version_id)


def _other_experiment(session: Session, exp: Experiment, customer_id: int) -> str | None:
    return session.execute(
        sa.select(Experiment.key)
        .join(ExperimentAssignment, ExperimentAssignment.experiment_id == Experiment.id)
        .where(Experiment.plan_id == exp.plan_id, Experiment.id != exp.id,
               Experiment.status.in_(LIVE), ExperimentAssignment.customer_id == customer_id)
        .limit(1)).scalar_one_or_none()


def assign(session: Session, experiment_id: int, customer_id: int) -> Assignment:
    """The customer's arm, stored the first time (idempotent and sticky).

    A stored assignment is always returned as is. Otherwise the customer is enrolled only
    when the experiment is running, the customer is eligible and not already assigned in
    another running or paused experiment on the same plan; when not, ``arm`` is None and
    ``reason`` says why (nothing is stored).

    Args:
        session: the unit of work.
        experiment_id: the experiment.
        customer_id: the customer (its id is hashed with the experiment key).

    Raises:
        NotFound: no such experiment or customer.
    """
    exp = get_experiment(session, experiment_id)
    stored = _stored(session, exp.id, customer_id)
    if stored is not None:
        return stored
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("No such customer.")
    if exp.status != ExperimentStatus.RUNNING:
        return Assignment(exp.id, customer_id, None, None, None,
                          reason=f"The experiment is {exp.status.replace('_', ' ')}, "
                                 "not running: nobody is enrolled now.")
    reason = _eligible_reason(session, exp, customer)
    if reason:
        return Assignment(exp.id, customer_id, None, None, None, reason=reason)
    _lock_plan(session, exp.plan_id)
    other = _other_experiment(session, exp, customer_id)
    if other is not None:
        return Assignment(exp.id, customer_id, None, None, None,
                          reason=f"Skipped: already in experiment {other!r} on the same plan.")
    arms = arms_of(session, exp.id)
    arm_name = assign_arm(exp.key, str(customer_id), _weights(arms))
    arm = next(a for a in arms if a.name == arm_name)
    inserted = _insert_ignore(session, [{"experiment_id": exp.id, "arm_id": arm.id,
                                         "customer_id": customer_id, "assigned_at": utcnow()}])
    stored = _stored(session, exp.id, customer_id)
    if stored is None:  # pragma: no cover - the insert or a racing one stored it
        raise Conflict("The assignment could not be stored; try again.")
    return Assignment(stored.experiment_id, customer_id, stored.arm, stored.arm_id,
                      stored.plan_version_id, stored_now=inserted == 1)


def eligible_customers(session: Session, exp: Experiment) -> sa.Select:
    """A SELECT of the ids of customers eligible for ``exp`` now (before exclusions)."""
    elig = exp.eligibility or {}
    conds = []
    if elig.get("segments"):
        conds.append(Customer.segment.in_(elig["segments"]))
    if elig.get("regions"):
        conds.append(Customer.region.in_(elig["regions"]))
    if elig.get("currencies"):
        conds.append(Customer.currency.in_(elig["currencies"]))
    started = exp.started_at or utcnow()
    is_new = Customer.created_at >= started
    if elig.get("new_customers_only", True):
        who = is_new
    else:
        subscribers = sa.select(Subscription.customer_id).where(
            Subscription.plan_id == exp.plan_id, Subscription.status.in_(CURRENT_SUBSCRIPTIONS))
        who = sa.or_(is_new, Customer.id.in_(subscribers))
    return sa.select(Customer.id).where(who, *conds)


def enroll_eligible(session: Session, experiment_id: int) -> Enrolment:
    """Assign every eligible customer of a running experiment not yet assigned (bulk, sticky).

    Customers assigned in another running or paused experiment on the same plan are skipped.
    """
    exp = get_experiment(session, experiment_id)
    if exp.status != ExperimentStatus.RUNNING:
        return Enrolment(0, 0)
    _lock_plan(session, exp.plan_id)
    eligible = eligible_customers(session, exp).subquery()
    mine = sa.select(ExperimentAssignment.customer_id).where(
        ExperimentAssignment.experiment_id == exp.id)
    elsewhere = (sa.select(ExperimentAssignment.customer_id)
                 .join(Experiment, Experiment.id == ExperimentAssignment.experiment_id)
                 .where(Experiment.plan_id == exp.plan_id, Experiment.id != exp.id,
                        Experiment.status.in_(LIVE)))
    candidates = sa.select(eligible.c.id).where(eligible.c.id.not_in(mine))
    skipped = session.execute(sa.select(sa.func.count()).select_from(
        candidates.where(eligible.c.id.in_(elsewhere)).subquery())).scalar_one()
    ids = session.execute(candidates.where(eligible.c.id.not_in(elsewhere))
                          .order_by(eligible.c.id)).scalars().all()
    arms = arms_of(session, exp.id)
    by_name = {a.name: a.id for a in arms}
    weights = _weights(arms)
    now = utcnow()
    rows = [{"experiment_id": exp.id, "arm_id": by_name[assign_arm(exp.key, str(cid), weights)],
             "customer_id": int(cid), "assigned_at": now} for cid in ids]
    for start in range(0, len(rows), 5000):
        _insert_ignore(session, rows[start:start + 5000])
    return Enrolment(len(rows), int(skipped))


def offered_version(session: Session, *, plan_id: int, customer_id: int) -> int | None:
    """The plan version a running experiment offers this customer (assigning if needed).

    The hook for sign-up and renewal flows: None when no running experiment on the plan
    enrols the customer (the plan's published version applies then).
    """
    running = session.execute(
        sa.select(Experiment.id).where(Experiment.plan_id == plan_id,
                                       Experiment.status == ExperimentStatus.RUNNING.value)
        .order_by(Experiment.id)).scalars().all()
    for experiment_id in running:
        got = assign(session, experiment_id, customer_id)
        if got.enrolled:
            return got.plan_version_id
    return None
