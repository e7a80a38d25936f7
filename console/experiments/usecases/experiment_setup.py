"""Defining a pricing experiment: its key, hypothesis, arms (each a published version of the
same plan, with a weight), eligibility, primary metric, guardrails and planned duration.

Lifecycle (:class:`~console.experiments.domain.lifecycle.ExperimentStatus`): draft ->
scheduled -> running -> paused -> concluded (a winner chosen) | rolled_back. A new experiment
is a draft; starting it needs an approval (``experiment_approvals``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from console.audit import record
from console.catalog import REGIONS, SEGMENTS, get_version
from console.experiments.domain.eligibility import normalize_eligibility
from console.experiments.domain.guardrails import audit_safe, normalize_guardrails
from console.experiments.domain.inputs import check_int, check_key, check_text
from console.experiments.domain.lifecycle import ExperimentStatus
from console.experiments.domain.metrics import PRIMARY_METRICS
from console.experiments.queries.loaders import EXPERIMENT, arms_of, require_published, today
from console.kernel.actor import Actor, actor_for
from console.kernel.errors import Conflict, InvalidInput
from console.kernel.permissions import require
from console.kernel.roles import Permission
from models import Experiment, ExperimentArm
from models.db import unit_of_work


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


def _experiment_json(exp: Experiment) -> dict[str, Any]:
    return {"key": exp.key, "name": exp.name, "status": exp.status, "plan_id": exp.plan_id,
            "primary_metric": exp.primary_metric, "eligibility": exp.eligibility,
            "guardrails": audit_safe(exp.guardrails), "planned_days": exp.planned_days,
            "min_sample": exp.min_sample, "scheduled_for": exp.scheduled_for}


def create_experiment(session: Session, *, actor: Actor, spec: ExperimentInput) -> Experiment:
    """Create a draft experiment with its control and variant arms (audited).

    Args:
        session: the unit of work.
        actor: a user with RUN_EXPERIMENTS (the author: never its approver).
        spec: the definition.

    Returns:
        The draft.

    Raises:
        NotAllowed: without RUN_EXPERIMENTS.
        InvalidInput: a bad key, text, weight, metric, guardrail or eligibility value.
        Conflict: an arm's version is not published, the versions are of different plans,
            or the key is taken.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS)
    key = check_key(spec.key)
    name = check_text(spec.name, "A name")
    hypothesis = check_text(spec.hypothesis, "A hypothesis", limit=4000)
    if spec.primary_metric not in PRIMARY_METRICS:
        raise InvalidInput(f"primary metric: use one of {', '.join(PRIMARY_METRICS)}.")
    planned_days = check_int(spec.planned_days, what="The planned duration (days)", low=1,
                             high=730)
    min_sample = check_int(spec.min_sample, what="The minimum sample per arm", low=1,
                           high=10_000_000)
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
        check_int(weight, what=f"The weight of {arm_name}", low=1, high=10_000)
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
                     eligibility=normalize_eligibility(spec.eligibility, segments=SEGMENTS,
                                                       regions=REGIONS),
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
    record(session, actor=actor, action="experiment.create", object_type=EXPERIMENT,
           object_id=exp.id, after={**_experiment_json(exp), "arms": [
               {"name": a[0], "plan_version_id": int(a[1]), "weight": int(a[2])} for a in arms]},
           reason=hypothesis)
    return exp


def check_arm_versions(session: Session, experiment_id: int) -> None:
    """Refuse when an arm's plan version is no longer published.

    Raises:
        Conflict: an arm's version is not published.
    """
    for arm in arms_of(session, experiment_id):
        require_published(get_version(session, arm.plan_version_id), f"{arm.name} arm's version")


# --- page-facing


def create_experiment_as_user(user_id: int, spec: ExperimentInput) -> int:
    """Create a draft experiment as the signed-in user (the public ``create_experiment``).

    Returns:
        The new experiment's id.

    Raises:
        ServiceError: as :func:`create_experiment`.
    """
    with unit_of_work() as s:
        return create_experiment(s, actor=actor_for(s, user_id), spec=spec).id
