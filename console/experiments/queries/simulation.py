"""The revenue simulation before an experiment starts: each variant's rate card against
control's, re-rated over the eligible cohort's last months of usage with the catalog's
:func:`~console.catalog.rate_plan` (read-only), and how a stored simulation reads on the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlmodel import Session

from console.catalog import load_policy, price_specs, rate_plan
from console.experiments.domain.eligibility import CURRENT_SUBSCRIPTIONS, new_customers_only
from console.experiments.queries.loaders import (
    arms_of,
    eligibility_filters,
    get_experiment,
    version_labels,
    viewer,
)
from console.kernel.errors import InvalidInput
from console.money import format_minor, format_signed_minor, round_minor, to_major
from console.reference import fx_rates
from models import Customer, Experiment, ExperimentArm, Subscription
from models.db import read_session

#: Called with the percentage done.
Progress = Callable[[int], None]


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


def _pct(old: int, new: int) -> str:
    if not old:
        return "—" if new == old else "new revenue"
    return f"{(new - old) / old * 100:+.1f}%"


def _cohort_ids(session: Session, exp: Experiment) -> set[int]:
    subscribers = Customer.id.in_(sa.select(Subscription.customer_id).where(
        Subscription.plan_id == exp.plan_id, Subscription.status.in_(CURRENT_SUBSCRIPTIONS)))
    return set(session.execute(sa.select(Customer.id).where(
        subscribers, *eligibility_filters(exp.eligibility))).scalars())


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
                               format_minor(new, cur), format_signed_minor(new - old, cur),
                               _pct(old, new)))
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
        change_reporting=format_signed_minor(change, reporting) if change is not None else "")


def simulate_experiment_in(session: Session, *, experiment_id: int, months: int = 3,
                           as_of: date | None = None, progress: Progress | None = None
                           ) -> ExperimentSimulation:
    """Return the revenue impact of each variant: the eligible cohort re-rated (read-only).

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
    if new_customers_only(exp.eligibility):
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
    """Return :func:`simulate_experiment_in` run in its own read-only session.

    Run it off the event loop: it re-rates months of usage.
    """
    with read_session(engine) as session:
        return simulate_experiment_in(session, experiment_id=experiment_id, months=months,
                                      as_of=as_of, progress=progress)


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


def simulation_rows(doc: Mapping[str, Any] | None) -> list[SimTotalRow]:
    """Return per variant and currency rows of a stored simulation."""
    rows = []
    for v in (doc or {}).get("variants", []):
        for t in v.get("totals", []):
            rows.append(SimTotalRow(v["arm"], v.get("version", ""), t["currency"],
                                    int(t["customers"]), t["old"], t["new"], t["change"],
                                    t["change_pct"]))
    return rows


def simulation_note(doc: Mapping[str, Any] | None) -> str:
    """Return a stored simulation as a line.

    ``3 months (Aug 2026 – Oct 2026) over 30 eligible customers · variant -$1,215.53``.
    """
    if not doc:
        return ""
    changes = " · ".join(f"{v['arm']}: {v.get('change_reporting') or 'n/a'} "
                         f"({doc.get('reporting_currency', '')})"
                         for v in doc.get("variants", []))
    return (f"{doc.get('months')} months ({doc.get('window')}) over {doc.get('cohort')} "
            f"eligible customers vs {doc.get('control')} · {changes}")


# --- page-facing


@dataclass(frozen=True)
class SimulationView:
    """A simulation as the page shows it."""

    note: str
    rows: list[SimTotalRow]


def simulate(user_id: int, experiment_id: int, months: int, progress: Progress | None = None
             ) -> SimulationView:
    """Run the revenue simulation for the page (read-only; call it from a worker thread).

    Raises:
        NotAllowed: without VIEW_EXPERIMENTS.
        NotFound: no such experiment.
        InvalidInput: a window outside 1-24 months or an unusable price row.
    """
    with read_session() as s:
        viewer(s, user_id)
    doc = simulate_experiment(experiment_id=experiment_id, months=months,
                              progress=progress).to_json()
    return SimulationView(simulation_note(doc), simulation_rows(doc))
