"""Experiment results per arm (with 95 % intervals) and the revenue simulation before start.

Results: every assigned customer is counted from the day of its assignment: conversion to
paid (a paying subscription of the plan), ARPA and MRR (reporting currency, at the stored FX
rates), churn, expansion, disputes and payment failures. Each variant is compared with
control with :func:`console.experiments.conversion_lift` (rates) and
:func:`console.experiments.mean_difference` (ARPA); the guardrails are checked with
:func:`console.experiments.check_guardrails` (variant vs control). Nothing declares a winner
here: :func:`console.experiments.minimum_sample_reached` is reported, and the conclusion
service refuses a winner before it is reached.

Simulation: each variant's rate card against control's, re-rated over the eligible cohort's
last months of usage with :func:`console.catalog.queries.simulation.rate_plan`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlmodel import Session

from console.catalog import load_policy, price_specs, rate_plan
from console.experiments.domain import (
    ExperimentStatus,
    check_guardrails,
    conversion_lift,
    mean_difference,
    minimum_sample_reached,
)
from console.experiments.queries.metrics import (
    GroupOutcome,
    customer_outcomes,
    empty_group,
    group_outcomes,
)
from console.experiments.usecases.common import get_experiment, thresholds, version_labels
from console.experiments.usecases.experiments import (
    CURRENT_SUBSCRIPTIONS,
    Enrolment,
    arms_of,
    enroll_eligible,
)
from console.kernel.errors import InvalidInput
from console.money import format_minor, round_minor, to_major
from console.reference import fx_rates
from models import Customer, Experiment, ExperimentArm, ExperimentAssignment, Subscription
from models.db import read_session, unit_of_work
from models.types import utcnow

Progress = Callable[[int], None]

#: Metric -> (GroupOutcome count attribute, label); compared as rates with conversion_lift.
RATE_METRICS: dict[str, tuple[str, str]] = {
    "conversion": ("converted", "Conversion to paid"),
    "expansion": ("expanded", "Expansion"),
    "churn": ("churned", "Churn"),
    "dispute_rate": ("disputed", "Dispute rate"),
    "payment_failure_rate": ("payment_failed", "Payment failure rate"),
}


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _arm_json(arm: ExperimentArm, g: GroupOutcome) -> dict[str, Any]:
    return {
        "name": arm.name, "is_control": arm.is_control, "plan_version_id": arm.plan_version_id,
        "customers": g.customers, "converted": g.converted,
        "conversion": _finite(g.rate("converted")),
        "arpa_minor": round(g.arpa_mean) if g.arpa_mean is not None else None,
        "arpa_accounts": g.arpa.n if g.arpa else (1 if g.arpa_mean is not None else 0),
        "mrr_minor": round(g.mrr_reporting_minor),
        "churned": g.churned, "churn": _finite(g.rate("churned")),
        "expanded": g.expanded, "expansion": _finite(g.rate("expanded")),
        "disputed": g.disputed, "dispute_rate": _finite(g.rate("disputed")),
        "payment_failed": g.payment_failed,
        "payment_failure_rate": _finite(g.rate("payment_failed")),
    }


def _comparisons(control: GroupOutcome, variant: GroupOutcome, arm: str) -> list[dict]:
    out = []
    for metric, (attr, _label) in RATE_METRICS.items():
        if control.customers and variant.customers:
            diff, low, high = conversion_lift((getattr(control, attr), control.customers),
                                              (getattr(variant, attr), variant.customers))
            out.append({"arm": arm, "metric": metric, "diff": diff, "lower": low,
                        "upper": high})
        else:
            out.append({"arm": arm, "metric": metric, "diff": None, "lower": None,
                        "upper": None})
    if control.arpa is not None and variant.arpa is not None:
        diff, low, high = mean_difference(control.arpa, variant.arpa)
        out.append({"arm": arm, "metric": "arpa", "diff": diff, "lower": low, "upper": high})
    else:
        out.append({"arm": arm, "metric": "arpa", "diff": None, "lower": None, "upper": None})
    return out


def compute_results(session: Session, experiment_id: int) -> dict[str, Any]:
    """The experiment's results per arm as JSON (stored on ``experiment.results``)."""
    exp = get_experiment(session, experiment_id)
    arms = arms_of(session, exp.id)
    policy = load_policy(session)
    rates = fx_rates(session, policy.reporting_currency)
    rows = session.execute(
        sa.select(ExperimentAssignment.customer_id, ExperimentArm.name,
                  ExperimentAssignment.assigned_at)
        .join(ExperimentArm, ExperimentArm.id == ExperimentAssignment.arm_id)
        .where(ExperimentAssignment.experiment_id == exp.id)).all()
    cohort = pl.DataFrame([(int(c), name, at.date()) for c, name, at in rows], orient="row",
                          schema={"customer_id": pl.Int64, "group": pl.String,
                                  "since": pl.Date})
    ids = sa.select(ExperimentAssignment.customer_id).where(
        ExperimentAssignment.experiment_id == exp.id)
    per = customer_outcomes(session, cohort=cohort, ids=ids, plan_id=exp.plan_id, rates=rates)
    groups = group_outcomes(per)
    outcome = {a.name: groups.get(a.name, empty_group(a.name)) for a in arms}
    counts = {name: g.customers for name, g in outcome.items()}
    control = next((a for a in arms if a.is_control), arms[0])
    comparisons: list[dict] = []
    breaches: list[dict] = []
    limits = thresholds(exp.guardrails)
    for arm in arms:
        if arm.id == control.id:
            continue
        comparisons += _comparisons(outcome[control.name], outcome[arm.name], arm.name)
        for b in check_guardrails(outcome[arm.name].rates(), outcome[control.name].rates(),
                                  limits):
            breaches.append({"arm": arm.name, "metric": b.metric, "moved": b.moved,
                             "baseline": b.baseline, "threshold": b.threshold})
    return {
        "computed_at": utcnow().isoformat(timespec="seconds"),
        "reporting_currency": policy.reporting_currency,
        "primary_metric": exp.primary_metric,
        "min_sample": exp.min_sample,
        "counts": counts,
        "sample_reached": minimum_sample_reached(counts, exp.min_sample),
        "arms": [_arm_json(a, outcome[a.name]) for a in arms],
        "comparisons": comparisons,
        "guardrail_breaches": breaches,
    }


def store_results(session: Session, experiment_id: int, results: Mapping[str, Any]) -> None:
    """Save results on the experiment (derived data: the row version is not bumped)."""
    exp = get_experiment(session, experiment_id)
    merged = {**dict(exp.results or {}), **dict(results)}
    session.execute(sa.update(Experiment).where(Experiment.id == experiment_id)
                    .values(results=merged))


@dataclass(frozen=True)
class Refresh:
    """What a results refresh did."""

    enrolment: Enrolment
    results: dict[str, Any]


def refresh_results(experiment_id: int, *, engine: sa.Engine | None = None) -> Refresh:
    """Enrol the eligible customers (running experiments) and recompute the stored results.

    Runs in two short transactions (enrolment, then results) so it can run in a background
    task while people keep working; both steps are idempotent.
    """
    with unit_of_work(engine) as s:
        exp = get_experiment(s, experiment_id)
        enrolment = (enroll_eligible(s, experiment_id)
                     if exp.status == ExperimentStatus.RUNNING else Enrolment(0, 0))
    with unit_of_work(engine) as s:
        results = compute_results(s, experiment_id)
        results["skipped_elsewhere"] = enrolment.skipped_elsewhere
        store_results(s, experiment_id, results)
    return Refresh(enrolment, results)


# --------------------------------------------------------------------------- simulation


@dataclass(frozen=True)
class SimTotal:
    """One currency's revenue over the window under control and under a variant."""

    currency: str
    customers: int
    old_minor: int
    new_minor: int
    change_minor: int
    old: str
    new: str
    change: str
    change_pct: str


@dataclass(frozen=True)
class VariantSimulation:
    """A variant's revenue impact over the cohort, against control."""

    arm: str
    version_label: str
    customers: int
    increased: int
    decreased: int
    unchanged: int
    totals: tuple[SimTotal, ...]
    change_reporting_minor: int | None
    change_reporting: str


@dataclass(frozen=True)
class ExperimentSimulation:
    """Revenue impact of every variant over the eligible cohort's last months of usage."""

    experiment_id: int
    months: int
    window: str
    cohort: int
    control_label: str
    reporting_currency: str
    variants: tuple[VariantSimulation, ...]
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form (stored with the start request)."""
        return {
            "months": self.months, "window": self.window, "cohort": self.cohort,
            "control": self.control_label, "reporting_currency": self.reporting_currency,
            "notes": list(self.notes),
            "variants": [{
                "arm": v.arm, "version": v.version_label, "customers": v.customers,
                "increased": v.increased, "decreased": v.decreased, "unchanged": v.unchanged,
                "change_reporting_minor": v.change_reporting_minor,
                "change_reporting": v.change_reporting,
                "totals": [{k: getattr(t, k) for k in t.__dataclass_fields__} for t in v.totals],
            } for v in self.variants],
        }


def _signed(minor: int, currency: str) -> str:
    text = format_minor(minor, currency)
    return f"+{text}" if minor > 0 else text


def _pct(old: int, new: int) -> str:
    if not old:
        return "—" if new == old else "new revenue"
    return f"{(new - old) / old * 100:+.1f}%"


def _cohort_ids(session: Session, exp: Experiment) -> set[int]:
    elig = exp.eligibility or {}
    conds = [Customer.id.in_(sa.select(Subscription.customer_id).where(
        Subscription.plan_id == exp.plan_id, Subscription.status.in_(CURRENT_SUBSCRIPTIONS)))]
    for key, column in (("segments", Customer.segment), ("regions", Customer.region),
                        ("currencies", Customer.currency)):
        if elig.get(key):
            conds.append(column.in_(elig[key]))
    return set(session.execute(sa.select(Customer.id).where(*conds)).scalars())


def _variant(arm: ExperimentArm, label: str, impacts: list, rates: Mapping[str, Decimal],
             reporting: str) -> VariantSimulation:
    frame = pl.DataFrame([(c.currency, c.old_minor, c.new_minor) for c in impacts],
                         orient="row", schema={"currency": pl.String, "old": pl.Int64,
                                               "new": pl.Int64})
    by_currency = frame.group_by("currency").agg(n=pl.len(), old=pl.col("old").sum(),
                                                 new=pl.col("new").sum()).sort("currency")
    totals = []
    converted = Decimal(0)
    known = True
    for cur, n, old, new in by_currency.iter_rows():
        totals.append(SimTotal(cur, n, old, new, new - old, format_minor(old, cur),
                               format_minor(new, cur), _signed(new - old, cur), _pct(old, new)))
        rate = rates.get(cur)
        if rate is None:
            known = known and new == old
        else:
            converted += to_major(new - old, cur) * rate
    change = round_minor(converted, reporting) if known else None
    return VariantSimulation(
        arm=arm.name, version_label=label, customers=len(impacts),
        increased=sum(1 for c in impacts if c.change_minor > 0),
        decreased=sum(1 for c in impacts if c.change_minor < 0),
        unchanged=sum(1 for c in impacts if c.change_minor == 0),
        totals=tuple(totals), change_reporting_minor=change,
        change_reporting=_signed(change, reporting) if change is not None else "")


def simulate_experiment_in(session: Session, *, experiment_id: int, months: int = 3,
                           as_of: date | None = None, progress: Progress | None = None
                           ) -> ExperimentSimulation:
    """Re-rate the eligible cohort under control and each variant (read-only).

    The cohort is the plan's current subscribers matching the segment, region and currency
    filters (for a new-customers-only experiment they stand in for the customers to come).

    Raises:
        InvalidInput: a window outside 1-24 months or an unusable price row.
    """
    report = progress or (lambda _pct: None)
    exp = get_experiment(session, experiment_id)
    arms = arms_of(session, exp.id)
    control = next(a for a in arms if a.is_control)
    variants = [a for a in arms if not a.is_control]
    labels = version_labels(session, {a.plan_version_id for a in arms})
    policy = load_policy(session)
    rates = fx_rates(session, policy.reporting_currency)
    cohort = _cohort_ids(session, exp)
    control_prices = price_specs(session, control.plan_version_id)
    out: list[VariantSimulation] = []
    window, notes = "", []
    for i, arm in enumerate(variants):
        def step(pct: int, i: int = i) -> None:
            report((i * 100 + pct) // max(1, len(variants)))

        try:
            result = rate_plan(session.connection(), plan_id=exp.plan_id,
                               old_prices=control_prices,
                               new_prices=price_specs(session, arm.plan_version_id),
                               months=months, as_of=as_of, rates=rates,
                               reporting_currency=policy.reporting_currency, progress=step,
                               version_id=arm.plan_version_id,
                               baseline_version_id=control.plan_version_id)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        window = f"{result.window_start:%b %Y} – {result.window_end:%b %Y}"
        notes = list(result.notes)
        impacts = [c for c in result.per_customer if c.customer_id in cohort]
        out.append(_variant(arm, labels.get(arm.plan_version_id, ""), impacts, rates,
                            policy.reporting_currency))
    if (exp.eligibility or {}).get("new_customers_only", True):
        notes.append("New customers only: the plan's current eligible subscribers stand in "
                     "for the customers to come.")
    report(100)
    return ExperimentSimulation(
        experiment_id=exp.id, months=months, window=window, cohort=len(cohort),
        control_label=labels.get(control.plan_version_id, ""),
        reporting_currency=policy.reporting_currency, variants=tuple(out), notes=tuple(notes))


def simulate_experiment(engine: sa.Engine | None = None, *, experiment_id: int, months: int = 3,
                        as_of: date | None = None, progress: Progress | None = None
                        ) -> ExperimentSimulation:
    """:func:`simulate_experiment_in` in its own read-only session (run it off the event loop)."""
    with read_session(engine) as session:
        return simulate_experiment_in(session, experiment_id=experiment_id, months=months,
                                      as_of=as_of, progress=progress)


def results_age(results: Mapping[str, Any] | None, now: datetime | None = None) -> float | None:
    """Seconds since the stored results were computed (None when never)."""
    stamp = (results or {}).get("computed_at")
    if not stamp:
        return None
    try:
        at = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return ((now or utcnow()) - at).total_seconds()

