"""Refreshing an experiment's results: enrol the eligible customers of a running experiment,
then compute the results and store them on the experiment (derived data, so anyone who may
view experiments may refresh them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.experiments.domain.lifecycle import ExperimentStatus
from console.experiments.queries.loaders import get_experiment, viewer
from console.experiments.queries.results import compute_results
from console.experiments.usecases.enrolment import Enrolment, enroll_eligible
from models import Experiment
from models.db import read_session, unit_of_work


def store_results(session: Session, experiment_id: int, results: Mapping[str, Any]) -> None:
    """Save results on the experiment, merged over the stored ones.

    Derived data: the row version is not bumped, so a page holding the experiment's version
    can still act on it.

    Raises:
        NotFound: no such experiment.
    """
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
    task while people keep working; both steps are idempotent. Run by the system (scheduler,
    CLI) or through :func:`refresh`.

    Raises:
        NotFound: no such experiment.
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


# --- page-facing


def refresh(user_id: int, experiment_id: int) -> Refresh:
    """Enrol eligible customers and recompute the results for the page (from a worker thread).

    Results are derived data: anyone who may view experiments may refresh them.

    Raises:
        NotAllowed: without VIEW_EXPERIMENTS.
        NotFound: no such experiment.
    """
    with read_session() as s:
        viewer(s, user_id)
    return refresh_results(experiment_id)
