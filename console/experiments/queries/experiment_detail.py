"""The experiment page: definition, arms, the pending approval request, results per arm with
their comparisons against control, the simulation sent with the start request, and history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.experiments.domain.eligibility import eligibility_text
from console.experiments.domain.formatting import DASH, pct, pts
from console.experiments.domain.guardrails import RATE_LABELS, guardrails_text
from console.experiments.domain.lifecycle import START
from console.experiments.domain.metrics import PRIMARY_METRICS, RATE_METRICS, verdict
from console.experiments.domain.stats import minimum_sample_reached
from console.experiments.queries.labels import (
    KIND_LABELS,
    day_text,
    status_label,
    time_text,
    user_emails,
)
from console.experiments.queries.loaders import (
    EXPERIMENT,
    arms_of,
    assignment_counts,
    get_experiment,
    pending_request,
    version_labels,
    viewer,
)
from console.experiments.queries.results import results_age
from console.experiments.queries.simulation import SimTotalRow, simulation_note, simulation_rows
from console.experiments.queries.timeline import TimelineRow, timeline
from console.kernel.permissions import roles_of
from console.kernel.roles import Permission, can
from console.money import exponent, format_minor, format_signed_minor
from models import ApprovalRequest, Experiment, Plan
from models.db import read_session


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


def _money(minor: Any, currency: str) -> str:
    return format_minor(int(minor), currency) if isinstance(minor, int | float) else DASH


def _signed_money(value: float, currency: str) -> str:
    return format_signed_minor(round(value), currency)


def _comparison(doc: Mapping[str, Any], primary: str, currency: str) -> ComparisonRow:
    metric = doc["metric"]
    diff, low, high = doc.get("diff"), doc.get("lower"), doc.get("upper")
    label = "ARPA" if metric == "arpa" else RATE_METRICS.get(metric, (None, metric))[1]
    if diff is None:
        return ComparisonRow(metric, label, doc["arm"], DASH, "not enough data", "",
                             metric == primary, False, 0.0, 0.0, 0.0)
    if metric == "arpa":
        diff_text = _signed_money(diff, currency)
        interval = f"[{_signed_money(low, currency)}, {_signed_money(high, currency)}]"
        scale = 1 / 10 ** exponent(currency)
    else:
        diff_text = pts(diff)
        interval = f"[{low * 100:+.1f}, {high * 100:+.1f}] pts"
        scale = 100.0
    return ComparisonRow(metric, label, doc["arm"], diff_text, interval,
                         verdict(lower=low, upper=high),
                         metric == primary, True, diff * scale, low * scale, high * scale)


def _arm_result(doc: Mapping[str, Any], currency: str) -> ArmResultRow:
    return ArmResultRow(
        name=doc["name"], is_control=bool(doc.get("is_control")),
        customers=int(doc.get("customers") or 0), conversion=pct(doc.get("conversion")),
        arpa=_money(doc.get("arpa_minor"), currency), mrr=_money(doc.get("mrr_minor"), currency),
        churn=pct(doc.get("churn")), expansion=pct(doc.get("expansion")),
        dispute_rate=pct(doc.get("dispute_rate")),
        payment_failure_rate=pct(doc.get("payment_failure_rate")))


def _pending_view(session: Session, exp: Experiment, user_id: int | None,
                  users: Mapping[int, str]) -> PendingView | None:
    req = pending_request(session, exp.id)
    if req is None:
        return None
    blocked = ""
    roles = roles_of(session, user_id) if user_id else frozenset()
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
                       users.get(req.requested_by, "?"), time_text(req.created_at), req.reason,
                       detail, blocked)


def experiment_detail(session: Session, experiment_id: int, user_id: int | None = None
                      ) -> ExperimentDetail:
    """Return the experiment page's data.

    Args:
        session: an open session.
        experiment_id: the experiment.
        user_id: who looks (decides what the pending request tells them), if anyone.

    Raises:
        NotFound: no such experiment.
    """
    exp = get_experiment(session, experiment_id)
    arms = arms_of(session, exp.id)
    labels = version_labels(session, {a.plan_version_id for a in arms})
    counts = assignment_counts(session, exp.id)
    plan = session.get(Plan, exp.plan_id)
    requests = session.execute(sa.select(ApprovalRequest).where(
        ApprovalRequest.subject_type == EXPERIMENT, ApprovalRequest.subject_id == exp.id)
        .order_by(ApprovalRequest.id)).scalars().all()
    users = user_emails(session, {exp.created_by, *(r.requested_by for r in requests)})
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
        min_sample=exp.min_sample, scheduled_for=day_text(exp.scheduled_for),
        started=time_text(exp.started_at), ended=time_text(exp.ended_at), winner=winner,
        author=users.get(exp.created_by, "?"), decision=str(results.get("decision") or ""),
        arms=[ArmRow(a.name, labels.get(a.plan_version_id, "?"), a.weight,
                     counts.get(a.name, 0), a.is_control) for a in arms],
        pending=_pending_view(session, exp, user_id, users),
        currency=currency,
        results_at=computed.replace("T", " ")[:16] + " UTC" if computed else "",
        results_note=("" if computed else "No results yet: refresh to compute them."),
        sample_reached=minimum_sample_reached(counts, exp.min_sample),
        sample_text=(f"Minimum sample {exp.min_sample} per arm · assigned {sample_counts}"),
        arm_results=[_arm_result(a, currency) for a in results.get("arms", [])
                     if isinstance(a, Mapping)],
        comparisons=comparisons, breaches=breaches,
        simulation_note=simulation_note(sim_doc), simulation=simulation_rows(sim_doc),
        timeline=timeline(session, object_type=EXPERIMENT, object_id=exp.id,
                          extra=[("approval_request", [r.id for r in requests])]),
        results_age_seconds=results_age(results),
    )


# --- page-facing


def experiment(experiment_id: int, user_id: int) -> ExperimentDetail:
    """Return one experiment for its page.

    Raises:
        NotAllowed: without VIEW_EXPERIMENTS.
        NotFound: no such experiment.
    """
    with read_session() as s:
        viewer(s, user_id)
        return experiment_detail(s, experiment_id, user_id)
