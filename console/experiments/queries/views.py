"""Read side of experiments and rollouts for the pages: small frozen dataclasses with
preformatted strings (and plain floats only where a chart needs them).

Nothing here changes data and nothing returned is an ORM object.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console import identity as identity
from console.experiments.queries.results import RATE_METRICS
from console.experiments.usecases.common import (
    PRIMARY_METRICS,
    RATE_LABELS,
    eligibility_text,
    get_experiment,
    get_rollout,
    guardrails_text,
    pct,
    pts,
    today,
    version_labels,
)
from console.experiments.usecases.experiments import (
    APPROVAL_KINDS,
    START,
    arms_of,
    assignment_counts,
    pending_request,
)
from console.experiments.usecases.rollouts import PENDING, guardrail_report, stages_of
from console.kernel.roles import Permission, can
from console.money import exponent, format_minor
from models import (
    ApprovalRequest,
    AuditEvent,
    Customer,
    Experiment,
    ExperimentArm,
    ExperimentAssignment,
    Plan,
    PlanVersion,
    Rollout,
    RolloutMember,
    RolloutStage,
    Subscription,
    User,
)

STATUS_LABELS = {"draft": "Draft", "scheduled": "Scheduled", "running": "Running",
                 "paused": "Paused", "concluded": "Concluded", "rolled_back": "Rolled back",
                 "completed": "Completed", "pending": "Pending", "breached": "Breached",
                 "approved": "Approved", "rejected": "Rejected", "canceled": "Withdrawn"}
KIND_LABELS = {"experiment_start": "Start", "experiment_conclude": "Conclusion"}
TIMING_LABELS = {"next_renewal": "At each customer's next renewal", "date": "On the stage date"}
MEMBERS_SHOWN = 200
_DASH = "—"


def status_label(status: str) -> str:
    """``Rolled back``."""
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def _d(value: date | None) -> str:
    return value.isoformat() if value else _DASH


def _ts(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else _DASH


def _users(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(sa.select(User.id, User.email).where(User.id.in_(wanted))).all())


# --------------------------------------------------------------------------- lists


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
    """Every experiment, newest first."""
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
        .where(ApprovalRequest.subject_type == "experiment",
               ApprovalRequest.kind.in_(APPROVAL_KINDS), ApprovalRequest.status == "pending",
               ApprovalRequest.subject_id.in_(ids))).all()) if ids else {}
    return [ExperimentRow(
        id=e.id, key=e.key, name=e.name, plan=plan, status=e.status,
        status_label=status_label(e.status), arms=" · ".join(arms.get(e.id, [])),
        assigned=int(assigned.get(e.id, 0)),
        metric=PRIMARY_METRICS.get(e.primary_metric, e.primary_metric),
        started=_ts(e.started_at) if e.started_at else _DASH,
        pending=(f"{KIND_LABELS.get(pending[e.id], 'Request')} awaiting approval"
                 if e.id in pending else ""))
        for e, plan in exps]


def rollout_rows(session: Session) -> list[RolloutRow]:
    """Every rollout, newest first."""
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
        done = [s for s in mine if s.status != PENDING]
        reached = f" · at {done[-1].percent}%" if done else ""
        out.append(RolloutRow(
            id=r.id, key=r.key, name=r.name, plan=plan,
            versions=f"{labels.get(r.from_version_id, '?')} → {labels.get(r.to_version_id, '?')}",
            status=r.status, status_label=status_label(r.status),
            stages=f"{len(done)} of {len(mine)} stages{reached}",
            members=int(members.get(r.id, 0)), paused_reason=r.paused_reason or ""))
    return out


def version_choices(session: Session) -> tuple[list[VersionChoice], list[VersionChoice]]:
    """Published versions (arms, rollout targets) and versions with subscribers (sources)."""
    subs = dict(session.execute(
        sa.select(Subscription.plan_version_id, sa.func.count())
        .where(Subscription.status.in_(("trialing", "active", "past_due")))
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


# --------------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class TimelineRow:
    """One audit event of an experiment or rollout."""

    at: str
    actor: str
    action: str
    detail: str
    reason: str


def _detail(ev: AuditEvent) -> str:
    after = ev.after or {}
    keep = ("status", "winner", "stage", "percent", "members", "returned", "canceled",
            "left_alone", "paused_reason", "kind", "scheduled_for")
    parts = [f"{k.replace('_', ' ')}: {after[k]}" for k in keep
             if k in after and after[k] not in (None, "")]
    return " · ".join(parts)


def timeline(session: Session, *, object_type: str, object_id: int,
             extra: Sequence[tuple[str, Sequence[int]]] = ()) -> list[TimelineRow]:
    """Audit events of an object (and related objects), oldest first."""
    conds = [sa.and_(AuditEvent.object_type == object_type,
                     AuditEvent.object_id == str(object_id))]
    for kind, ids in extra:
        if ids:
            conds.append(sa.and_(AuditEvent.object_type == kind,
                                 AuditEvent.object_id.in_([str(i) for i in ids])))
    events = session.execute(sa.select(AuditEvent).where(sa.or_(*conds))
                             .order_by(AuditEvent.id)).scalars().all()
    return [TimelineRow(at=_ts(ev.occurred_at), actor=ev.actor_label,
                        action=ev.action, detail=_detail(ev),
                        reason=ev.reason) for ev in events]


# --------------------------------------------------------------------------- experiment detail


@dataclass(frozen=True)
class ArmRow:
    """An arm with its version, weight and assignments."""

    name: str
    version: str
    weight: int
    assigned: int
    is_control: bool


@dataclass(frozen=True)
class ArmResultRow:
    """Results of one arm (preformatted)."""

    name: str
    is_control: bool
    customers: int
    conversion: str
    arpa: str
    mrr: str
    churn: str
    expansion: str
    dispute_rate: str
    payment_failure_rate: str


@dataclass(frozen=True)
class ComparisonRow:
    """A variant minus control on one metric, with its 95 % interval."""

    metric: str
    label: str
    arm: str
    diff: str
    interval: str
    verdict: str
    primary: bool
    #: chart values (percentage points for rates, major reporting-currency units for ARPA)
    has_value: bool
    value: float
    lower: float
    upper: float


@dataclass(frozen=True)
class SimTotalRow:
    """One variant's revenue impact in one currency."""

    arm: str
    version: str
    currency: str
    customers: int
    old: str
    new: str
    change: str
    change_pct: str


@dataclass(frozen=True)
class PendingView:
    """A pending approval request as its reviewers see it."""

    id: int
    kind: str
    kind_label: str
    requested_by: str
    requested_at: str
    reason: str
    detail: str
    blocked: str


@dataclass(frozen=True)
class ExperimentDetail:
    """Everything the experiment page shows."""

    id: int
    version: int
    key: str
    name: str
    hypothesis: str
    plan: str
    status: str
    status_label: str
    eligibility: str
    primary_metric: str
    guardrails: str
    planned_days: int
    min_sample: int
    scheduled_for: str
    started: str
    ended: str
    winner: str
    author: str
    decision: str
    arms: list[ArmRow]
    pending: PendingView | None
    currency: str
    results_at: str
    results_note: str
    sample_reached: bool
    sample_text: str
    arm_results: list[ArmResultRow]
    comparisons: list[ComparisonRow]
    breaches: list[str]
    simulation_note: str
    simulation: list[SimTotalRow]
    timeline: list[TimelineRow]
    results_age_seconds: float | None = None


def _num(value: Any) -> float:
    """A finite float for charts (0 for missing or NaN: JSON has no NaN)."""
    if isinstance(value, int | float) and not math.isnan(value):
        return float(value)
    return 0.0


def _money(minor: Any, currency: str) -> str:
    return format_minor(int(minor), currency) if isinstance(minor, int | float) else _DASH


def _signed_money(value: float, currency: str) -> str:
    minor = round(value)
    text = format_minor(minor, currency)
    return f"+{text}" if minor > 0 else text


def _comparison(doc: Mapping[str, Any], primary: str, currency: str) -> ComparisonRow:
    metric = doc["metric"]
    diff, low, high = doc.get("diff"), doc.get("lower"), doc.get("upper")
    label = "ARPA" if metric == "arpa" else RATE_METRICS.get(metric, (None, metric))[1]
    if diff is None:
        return ComparisonRow(metric, label, doc["arm"], _DASH, "not enough data", "",
                             metric == primary, False, 0.0, 0.0, 0.0)
    if metric == "arpa":
        diff_text = _signed_money(diff, currency)
        interval = f"[{_signed_money(low, currency)}, {_signed_money(high, currency)}]"
        scale = 1 / 10 ** exponent(currency)
    else:
        diff_text = pts(diff)
        interval = f"[{low * 100:+.1f}, {high * 100:+.1f}] pts"
        scale = 100.0
    if low > 0:
        verdict = "higher than control"
    elif high < 0:
        verdict = "lower than control"
    else:
        verdict = "no clear difference"
    return ComparisonRow(metric, label, doc["arm"], diff_text, interval, verdict,
                         metric == primary, True, diff * scale, low * scale, high * scale)


def _arm_result(doc: Mapping[str, Any], currency: str) -> ArmResultRow:
    return ArmResultRow(
        name=doc["name"], is_control=bool(doc.get("is_control")),
        customers=int(doc.get("customers") or 0), conversion=pct(doc.get("conversion")),
        arpa=_money(doc.get("arpa_minor"), currency), mrr=_money(doc.get("mrr_minor"), currency),
        churn=pct(doc.get("churn")), expansion=pct(doc.get("expansion")),
        dispute_rate=pct(doc.get("dispute_rate")),
        payment_failure_rate=pct(doc.get("payment_failure_rate")))


def simulation_rows(doc: Mapping[str, Any] | None) -> list[SimTotalRow]:
    """Per variant and currency rows of a stored simulation."""
    rows = []
    for v in (doc or {}).get("variants", []):
        for t in v.get("totals", []):
            rows.append(SimTotalRow(v["arm"], v.get("version", ""), t["currency"],
                                    int(t["customers"]), t["old"], t["new"], t["change"],
                                    t["change_pct"]))
    return rows


def simulation_note(doc: Mapping[str, Any] | None) -> str:
    """``3 months (Aug 2026 – Oct 2026) over 30 eligible customers · variant -$1,215.53``."""
    if not doc:
        return ""
    changes = " · ".join(f"{v['arm']}: {v.get('change_reporting') or 'n/a'} "
                         f"({doc.get('reporting_currency', '')})"
                         for v in doc.get("variants", []))
    return (f"{doc.get('months')} months ({doc.get('window')}) over {doc.get('cohort')} "
            f"eligible customers vs {doc.get('control')} · {changes}")


def _pending_view(session: Session, exp: Experiment, user_id: int | None,
                  users: Mapping[int, str]) -> PendingView | None:
    req = pending_request(session, exp.id)
    if req is None:
        return None
    blocked = ""
    roles = identity.roles_of(session, user_id) if user_id else frozenset()
    if user_id in (exp.created_by, req.requested_by):
        blocked = ("You created this experiment or asked for this step: someone else must "
                   "approve it.")
    elif not can(roles, Permission.APPROVE_EXPERIMENTS):
        blocked = "A monetization lead or finance reviewer decides on this request."
    payload = req.payload or {}
    if req.kind == START:
        when = payload.get("scheduled_for")
        detail = f"Start on {when}" if when else "Start as soon as approved"
        sim = simulation_note(payload.get("simulation"))
        if sim:
            detail += f" · simulation: {sim}"
    else:
        counts = payload.get("counts") or {}
        detail = (f"Winner: {payload.get('winner')} · assigned "
                  + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return PendingView(req.id, req.kind, KIND_LABELS.get(req.kind, req.kind),
                       users.get(req.requested_by, "?"), _ts(req.created_at), req.reason,
                       detail, blocked)


def experiment_detail(session: Session, experiment_id: int, user_id: int | None = None
                      ) -> ExperimentDetail:
    """The experiment page's data (``user_id`` decides what the pending request says)."""
    from console.experiments.queries.results import results_age

    exp = get_experiment(session, experiment_id)
    arms = arms_of(session, exp.id)
    labels = version_labels(session, {a.plan_version_id for a in arms})
    counts = assignment_counts(session, exp.id)
    plan = session.get(Plan, exp.plan_id)
    requests = session.execute(sa.select(ApprovalRequest).where(
        ApprovalRequest.subject_type == "experiment", ApprovalRequest.subject_id == exp.id)
        .order_by(ApprovalRequest.id)).scalars().all()
    users = _users(session, {exp.created_by, *(r.requested_by for r in requests)})
    results = exp.results or {}
    currency = results.get("reporting_currency", "USD")
    primary = exp.primary_metric
    comparisons = [_comparison(c, primary, currency) for c in results.get("comparisons", [])]
    comparisons.sort(key=lambda c: (not c.primary, c.arm))
    winner = next((a.name for a in arms if a.id == exp.winner_arm_id), "")
    starts = [r for r in requests if r.kind == START and (r.payload or {}).get("simulation")]
    sim_doc = (starts[-1].payload or {}).get("simulation") if starts else None
    sample_counts = ", ".join(f"{k} {v}" for k, v in counts.items())
    computed = results.get("computed_at")
    breaches = [f"{b['arm']}: {RATE_LABELS.get(b['metric'], b['metric'])} "
                f"{pct(b['moved'])} vs control {pct(b['baseline'])} "
                f"(tolerated rise {pts(b['threshold'])})"
                for b in results.get("guardrail_breaches", [])]
    return ExperimentDetail(
        id=exp.id, version=exp.version, key=exp.key, name=exp.name, hypothesis=exp.hypothesis,
        plan=plan.name if plan else "?", status=exp.status,
        status_label=status_label(exp.status), eligibility=eligibility_text(exp.eligibility),
        primary_metric=PRIMARY_METRICS.get(primary, primary),
        guardrails=guardrails_text(exp.guardrails), planned_days=exp.planned_days,
        min_sample=exp.min_sample, scheduled_for=_d(exp.scheduled_for),
        started=_ts(exp.started_at), ended=_ts(exp.ended_at), winner=winner,
        author=users.get(exp.created_by, "?"), decision=str(results.get("decision") or ""),
        arms=[ArmRow(a.name, labels.get(a.plan_version_id, "?"), a.weight,
                     counts.get(a.name, 0), a.is_control) for a in arms],
        pending=_pending_view(session, exp, user_id, users),
        currency=currency,
        results_at=computed.replace("T", " ")[:16] + " UTC" if computed else "",
        results_note=("" if computed else "No results yet: refresh to compute them."),
        sample_reached=bool(counts) and all(n >= exp.min_sample for n in counts.values()),
        sample_text=(f"Minimum sample {exp.min_sample} per arm · assigned {sample_counts}"),
        arm_results=[_arm_result(a, currency) for a in results.get("arms", [])
                     if isinstance(a, Mapping)],
        comparisons=comparisons, breaches=breaches,
        simulation_note=simulation_note(sim_doc), simulation=simulation_rows(sim_doc),
        timeline=timeline(session, object_type="experiment", object_id=exp.id,
                          extra=[("approval_request", [r.id for r in requests])]),
        results_age_seconds=results_age(results),
    )


# --------------------------------------------------------------------------- rollout detail


@dataclass(frozen=True)
class StageRow:
    """One stage of a rollout."""

    position: int
    percent: int
    status: str
    status_label: str
    effective: str
    confirmed: str
    members: int
    mrr_change: str
    guardrails: str


@dataclass(frozen=True)
class MemberRow:
    """A subscription the rollout moved (or will move)."""

    customer_id: int
    customer_code: str
    customer_name: str
    stage: int
    from_version: str
    now_on: str
    moved_on: str
    state: str


@dataclass(frozen=True)
class GuardrailView:
    """One guardrail of the latest check (strings, and percentages for the chart)."""

    metric: str
    label: str
    moved: str
    baseline: str
    threshold: str
    breached: bool
    #: chart values in percent (0 when nobody moved yet); the limit is baseline + threshold
    moved_pct: float
    baseline_pct: float
    has_limit: bool
    limit_pct: float


@dataclass(frozen=True)
class StageRate:
    """A guardrail rate stored after one stage (for the history chart)."""

    position: int
    metric: str
    moved_pct: float
    baseline_pct: float


@dataclass(frozen=True)
class RolloutDetail:
    """Everything the rollout page shows."""

    id: int
    version: int
    key: str
    name: str
    plan: str
    from_version: str
    to_version: str
    status: str
    status_label: str
    timing: str
    timing_label: str
    include_grandfathered: bool
    owner: str
    paused_reason: str
    guardrails: str
    stages: list[StageRow]
    next_position: int
    next_percent: int
    all_confirmed: bool
    members: list[MemberRow]
    moved: int
    scheduled: int
    rolled_back: int
    guardrail_rows: list[GuardrailView]
    guardrail_note: str
    history: list[StageRate]
    timeline: list[TimelineRow]


def _stage_guardrails(doc: Mapping[str, Any] | None) -> str:
    if not doc:
        return _DASH
    if doc.get("passed", True):
        return "passed"
    names = [RATE_LABELS.get(b.get("metric"), b.get("metric")) for b in doc.get("breaches", [])]
    return "breached: " + ", ".join(str(n) for n in names)


def _member_state(member: RolloutMember, sub_version: int, to_version: int, on: date) -> str:
    if member.rolled_back_on is not None:
        return "rolled back"
    if sub_version == to_version:
        return "moved"
    if sub_version == member.from_version_id:
        return "scheduled" if member.moved_on > on else "due"
    return "changed since"


def rollout_detail(session: Session, rollout_id: int) -> RolloutDetail:
    """The rollout page's data, with a fresh (read-only) guardrail check."""
    on = today()
    r = get_rollout(session, rollout_id)
    stages = stages_of(session, r.id)
    plan = session.get(Plan, r.plan_id)
    member_rows = session.execute(
        sa.select(RolloutMember, Customer.code, Customer.name, Subscription.plan_version_id,
                  RolloutStage.position)
        .join(Customer, Customer.id == RolloutMember.customer_id)
        .join(Subscription, Subscription.id == RolloutMember.subscription_id)
        .join(RolloutStage, RolloutStage.id == RolloutMember.stage_id)
        .where(RolloutMember.rollout_id == r.id)
        .order_by(RolloutStage.position, Customer.code)).all()
    labels = version_labels(session, {r.from_version_id, r.to_version_id,
                                      *(row[3] for row in member_rows),
                                      *(row[0].from_version_id for row in member_rows)})
    users = _users(session, {r.owner_id, *(s.confirmed_by for s in stages)})
    members = [MemberRow(m.customer_id, code, name, position,
                         labels.get(m.from_version_id, "?"), labels.get(sub_version, "?"),
                         _d(m.moved_on), _member_state(m, sub_version, r.to_version_id, on))
               for m, code, name, sub_version, position in member_rows]
    per_stage: dict[int, int] = {}
    for m in members:
        per_stage[m.stage] = per_stage.get(m.stage, 0) + 1
    stage_rows = []
    history: list[StageRate] = []
    for s in stages:
        preview = s.preview or {}
        stage_rows.append(StageRow(
            position=s.position, percent=s.percent, status=s.status,
            status_label=status_label(s.status), effective=_d(s.effective_date),
            confirmed=(f"{users.get(s.confirmed_by, '?')} · {_ts(s.confirmed_at)}"
                       if s.confirmed_by else _DASH),
            members=per_stage.get(s.position, 0),
            mrr_change=" · ".join(t.get("change", "") for t in preview.get("totals", [])) or _DASH,
            guardrails=_stage_guardrails(s.guardrail_result)))
        for metric, rates in ((s.guardrail_result or {}).get("rates") or {}).items():
            history.append(StageRate(s.position, RATE_LABELS.get(metric, metric),
                                     _num(rates.get("moved")) * 100,
                                     _num(rates.get("baseline")) * 100))
    nxt = next((s for s in stages if s.status == PENDING), None)
    done = [s for s in stages if s.status != PENDING]
    guard_rows: list[GuardrailView] = []
    note = "No stage confirmed yet: guardrails are checked after the first one."
    if r.status == "rolled_back":
        note = "Rolled back: guardrails are no longer checked (the stages keep their results)."
    elif done:
        report = guardrail_report(session, r, position=done[-1].position, on=on)
        guard_rows = [GuardrailView(
            g.metric, g.label, g.moved_text, g.baseline_text, g.threshold_text, g.breached,
            _num(g.moved) * 100, _num(g.baseline) * 100, g.threshold is not None,
            (_num(g.baseline) + (g.threshold or 0.0)) * 100)
            for g in report.rows]
        note = (f"Live check after stage {report.stage_position}: {report.moved_customers} "
                f"moved vs {report.baseline_customers} not moved customers. "
                f"{report.describe()}")
    states = [m.state for m in members]
    return RolloutDetail(
        id=r.id, version=r.version, key=r.key, name=r.name, plan=plan.name if plan else "?",
        from_version=labels.get(r.from_version_id, "?"),
        to_version=labels.get(r.to_version_id, "?"), status=r.status,
        status_label=status_label(r.status), timing=r.timing,
        timing_label=TIMING_LABELS.get(r.timing, r.timing),
        include_grandfathered=r.include_grandfathered, owner=users.get(r.owner_id, "?"),
        paused_reason=r.paused_reason or "", guardrails=guardrails_text(r.guardrails),
        stages=stage_rows, next_position=nxt.position if nxt else 0,
        next_percent=nxt.percent if nxt else 0, all_confirmed=nxt is None,
        members=members[:MEMBERS_SHOWN], moved=states.count("moved"),
        scheduled=states.count("scheduled") + states.count("due"),
        rolled_back=states.count("rolled back"), guardrail_rows=guard_rows,
        guardrail_note=note, history=history,
        timeline=timeline(session, object_type="rollout", object_id=r.id))

