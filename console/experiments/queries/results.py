"""Experiment results per arm, with 95 % intervals (read-only: storing them is a use-case).

Every assigned customer is counted from the day of its assignment: conversion to paid (a
paying subscription of the plan), ARPA and MRR (reporting currency, at the stored FX rates),
churn, expansion, disputes and payment failures. Each variant is compared with control with
:func:`~console.experiments.domain.stats.conversion_lift` (rates) and
:func:`~console.experiments.domain.stats.mean_difference` (ARPA); the guardrails are checked
with :func:`~console.experiments.domain.guardrails.check_guardrails` (variant vs control).
Nothing declares a winner here: whether the minimum sample is reached is reported, and the
conclusion use-case refuses a winner before it is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlmodel import Session

from console.catalog import load_policy
from console.experiments.domain.guardrails import check_guardrails, thresholds
from console.experiments.domain.metrics import RATE_METRICS
from console.experiments.domain.stats import (
    conversion_lift,
    mean_difference,
    minimum_sample_reached,
)
from console.experiments.queries.loaders import arms_of, get_experiment
from console.experiments.queries.outcomes import (
    GroupOutcome,
    customer_outcomes,
    empty_group,
    group_outcomes,
)
from console.reference import fx_rates
from models import ExperimentArm, ExperimentAssignment
from models.types import utcnow


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
    """Return the experiment's results per arm as JSON (stored on ``experiment.results``).

    Raises:
        NotFound: no such experiment.
    """
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


def results_age(results: Mapping[str, Any] | None, now: datetime | None = None) -> float | None:
    """Return the seconds since the stored results were computed (None when never)."""
    stamp = (results or {}).get("computed_at")
    if not stamp:
        return None
    try:
        at = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return ((now or utcnow()) - at).total_seconds()
