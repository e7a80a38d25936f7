"""Page-facing entry points of experiments and rollouts: each opens its own transaction,
re-checks the user's permission on the server (inside the service called), writes the audit
trail and returns frozen dataclasses. Pages catch :class:`ServiceError` and show ``str(exc)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from console.experiments.queries import results as results_svc
from console.experiments.queries import views
from console.experiments.usecases import experiments as exp_svc
from console.experiments.usecases import rollouts as roll_svc
from console.kernel.actor import Actor, actor_for
from console.kernel.errors import InvalidInput
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models.db import read_session, unit_of_work

Progress = Callable[[int], None]


def _date(text: str | date | None, what: str) -> date | None:
    if text is None or isinstance(text, date):
        return text
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what}: use a date like 2026-12-01.") from None


def _viewer(session, user_id: int) -> Actor:
    actor = actor_for(session, user_id)
    require(session, actor, Permission.VIEW_EXPERIMENTS)
    return actor


# --------------------------------------------------------------------------- read side


@dataclass(frozen=True)
class Overview:
    """The experiments page: experiments, rollouts and the versions forms offer."""

    experiments: list[views.ExperimentRow]
    rollouts: list[views.RolloutRow]
    published: list[views.VersionChoice]
    sources: list[views.VersionChoice]


def overview(user_id: int) -> Overview:
    """Experiments and rollouts, newest first (needs VIEW_EXPERIMENTS)."""
    with read_session() as s:
        _viewer(s, user_id)
        published, sources = views.version_choices(s)
        return Overview(views.experiment_rows(s), views.rollout_rows(s), published, sources)


def experiment(experiment_id: int, user_id: int) -> views.ExperimentDetail:
    """One experiment (needs VIEW_EXPERIMENTS)."""
    with read_session() as s:
        _viewer(s, user_id)
        return views.experiment_detail(s, experiment_id, user_id)


def rollout(rollout_id: int, user_id: int) -> views.RolloutDetail:
    """One rollout with a live guardrail check (needs VIEW_EXPERIMENTS)."""
    with read_session() as s:
        _viewer(s, user_id)
        return views.rollout_detail(s, rollout_id)


# --------------------------------------------------------------------------- experiments


def create_experiment(user_id: int, spec: exp_svc.ExperimentInput) -> int:
    """Create a draft experiment; returns its id."""
    with unit_of_work() as s:
        return exp_svc.create_experiment(s, actor=actor_for(s, user_id), spec=spec).id


@dataclass(frozen=True)
class SimulationView:
    """A simulation as the page shows it."""

    note: str
    rows: list[views.SimTotalRow]


def simulate(user_id: int, experiment_id: int, months: int, progress: Progress | None = None
             ) -> SimulationView:
    """Run the revenue simulation (read-only; call it from a worker thread)."""
    with read_session() as s:
        _viewer(s, user_id)
    doc = results_svc.simulate_experiment(experiment_id=experiment_id, months=months,
                                          progress=progress).to_json()
    return SimulationView(views.simulation_note(doc), views.simulation_rows(doc))


def request_start(user_id: int, experiment_id: int, *, reason: str, months: int = 3,
                  scheduled_for: str = "", progress: Progress | None = None) -> int:
    """Simulate, then ask for approval to start (the simulation goes with the request)."""
    day = _date(scheduled_for, "start date")
    with read_session() as s:
        require(s, actor_for(s, user_id), Permission.RUN_EXPERIMENTS)
    sim = results_svc.simulate_experiment(experiment_id=experiment_id, months=months,
                                          progress=progress)
    with unit_of_work() as s:
        return exp_svc.request_start(s, experiment_id=experiment_id, actor=actor_for(s, user_id),
                                     reason=reason, simulation=sim.to_json(),
                                     scheduled_for=day).id


def request_conclusion(user_id: int, experiment_id: int, *, winner: str, reason: str) -> int:
    """Ask for approval to conclude with a winner."""
    with unit_of_work() as s:
        return exp_svc.request_conclusion(s, experiment_id=experiment_id, winner_arm=winner,
                                          actor=actor_for(s, user_id), reason=reason).id


def approve(user_id: int, request_id: int, comment: str = "") -> str:
    """Approve a pending start or conclusion; returns the experiment's new status."""
    with unit_of_work() as s:
        exp = exp_svc.approve_request(s, request_id=request_id, actor=actor_for(s, user_id),
                                      comment=comment)
        return views.status_label(exp.status)


def reject(user_id: int, request_id: int, comment: str) -> None:
    """Reject a pending start or conclusion with a comment."""
    with unit_of_work() as s:
        exp_svc.reject_request(s, request_id=request_id, actor=actor_for(s, user_id),
                               comment=comment)


def withdraw(user_id: int, request_id: int) -> None:
    """The requester takes a pending request back."""
    with unit_of_work() as s:
        exp_svc.withdraw_request(s, request_id=request_id, actor=actor_for(s, user_id))


def pause(user_id: int, experiment_id: int, reason: str, expected_version: int) -> None:
    """Pause a running experiment."""
    with unit_of_work() as s:
        exp_svc.pause_experiment(s, experiment_id=experiment_id, actor=actor_for(s, user_id),
                                 reason=reason, expected_version=expected_version)


def resume(user_id: int, experiment_id: int, reason: str, expected_version: int) -> None:
    """Resume a paused experiment."""
    with unit_of_work() as s:
        exp_svc.resume_experiment(s, experiment_id=experiment_id, actor=actor_for(s, user_id),
                                  reason=reason, expected_version=expected_version)


def roll_back(user_id: int, experiment_id: int, reason: str, expected_version: int) -> None:
    """Stop an experiment without a winner."""
    with unit_of_work() as s:
        exp_svc.roll_back_experiment(s, experiment_id=experiment_id,
                                     actor=actor_for(s, user_id), reason=reason,
                                     expected_version=expected_version)


def refresh(user_id: int, experiment_id: int) -> results_svc.Refresh:
    """Enrol eligible customers and recompute the results (call it from a worker thread).

    Results are derived data: anyone who may view experiments may refresh them.
    """
    with read_session() as s:
        _viewer(s, user_id)
    return results_svc.refresh_results(experiment_id)


# --------------------------------------------------------------------------- rollouts


def create_rollout(user_id: int, spec: roll_svc.RolloutInput) -> int:
    """Create a draft rollout; returns its id."""
    with unit_of_work() as s:
        return roll_svc.create_rollout(s, actor=actor_for(s, user_id), spec=spec).id


@dataclass(frozen=True)
class PreviewLine:
    """One subscription a stage would move (preformatted)."""

    customer_id: int
    customer_code: str
    customer_name: str
    move_on: str
    mrr_before: str
    mrr_after: str
    change: str


@dataclass(frozen=True)
class PreviewTotal:
    """The MRR change of a stage in one currency."""

    currency: str
    subscriptions: int
    mrr_before: str
    mrr_after: str
    change: str


@dataclass(frozen=True)
class PreviewView:
    """The next stage's preview as the page shows it."""

    position: int
    percent: int
    count: int
    effective: str
    lines: list[PreviewLine]
    totals: list[PreviewTotal]
    note: str


def preview(user_id: int, rollout_id: int, effective_date: str = "") -> PreviewView:
    """Who the next stage would move and the MRR change (needs RUN_EXPERIMENTS)."""
    day = _date(effective_date, "move date")
    with read_session() as s:
        require(s, actor_for(s, user_id), Permission.RUN_EXPERIMENTS)
        p = roll_svc.preview_stage(s, rollout_id=rollout_id, effective_date=day)
    note = []
    if p.grandfathered_excluded:
        note.append(f"{p.grandfathered_excluded} grandfathered subscription(s) in this stage "
                    "stay where they are (the rollout does not include grandfathered ones).")
    if p.already_members:
        note.append(f"{p.already_members} subscription(s) joined in earlier stages.")
    return PreviewView(
        p.position, p.percent, p.count,
        p.effective_date.isoformat() if p.effective_date else "each customer's next renewal",
        [PreviewLine(ln.customer_id, ln.customer_code, ln.customer_name, ln.move_on_text,
                     ln.mrr_before, ln.mrr_after, ln.change) for ln in p.lines[:500]],
        [PreviewTotal(t.currency, t.subscriptions, t.mrr_before, t.mrr_after, t.change)
         for t in p.totals],
        " ".join(note))


def confirm(user_id: int, rollout_id: int, expected_version: int, effective_date: str = ""
            ) -> roll_svc.StageResult:
    """Confirm the next stage (or pause on a guardrail breach of the stage before)."""
    day = _date(effective_date, "move date")
    with unit_of_work() as s:
        return roll_svc.confirm_stage(s, rollout_id=rollout_id, actor=actor_for(s, user_id),
                                      expected_version=expected_version, effective_date=day)


def check_guardrails(user_id: int, rollout_id: int) -> roll_svc.GuardrailReport:
    """Check the guardrails after the last stage; a breach pauses the rollout."""
    with unit_of_work() as s:
        return roll_svc.check_rollout_guardrails(s, rollout_id=rollout_id,
                                                 actor=actor_for(s, user_id))


def pause_rollout(user_id: int, rollout_id: int, reason: str, expected_version: int) -> None:
    """Pause a running rollout by hand."""
    with unit_of_work() as s:
        roll_svc.pause_rollout(s, rollout_id=rollout_id, actor=actor_for(s, user_id),
                               reason=reason, expected_version=expected_version)


def resume_rollout(user_id: int, rollout_id: int, reason: str, expected_version: int) -> None:
    """Resume a paused rollout."""
    with unit_of_work() as s:
        roll_svc.resume_rollout(s, rollout_id=rollout_id, actor=actor_for(s, user_id),
                                reason=reason, expected_version=expected_version)


def complete_rollout(user_id: int, rollout_id: int, expected_version: int
                     ) -> roll_svc.StageResult:
    """Complete a rollout whose stages are all confirmed (or pause on a breach)."""
    with unit_of_work() as s:
        return roll_svc.complete_rollout(s, rollout_id=rollout_id, actor=actor_for(s, user_id),
                                         expected_version=expected_version)


def rollback(user_id: int, rollout_id: int, reason: str, expected_version: int
             ) -> roll_svc.RollbackResult:
    """Return every moved customer to the version it came from."""
    with unit_of_work() as s:
        return roll_svc.rollback_rollout(s, rollout_id=rollout_id, actor=actor_for(s, user_id),
                                         reason=reason, expected_version=expected_version)


def guardrails_from_form(form: Mapping[str, Any]) -> dict[str, float]:
    """Guardrail thresholds typed in percentage points (``2`` = 0.02); blank ones are off."""
    out: dict[str, float] = {}
    for key in ("max_dispute_rate", "max_payment_failure_rate", "max_churn_delta",
                "max_support_rate"):
        text = str(form.get(key, "") or "").strip()
        if not text:
            continue
        try:
            out[key] = float(text) / 100
        except ValueError:
            raise InvalidInput(f"{key.replace('_', ' ')}: {text!r} is not a number.") from None
    return out
