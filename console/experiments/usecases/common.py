"""Shared plumbing of the experiment and rollout services: permissions, loading, guardrail
settings, eligibility filters and conditional (optimistic) status moves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.catalog import REGIONS, SEGMENTS, VersionStatus
from console.experiments.domain import (
    ExperimentStatus,
    RolloutStatus,
    TransitionError,
    check_transition,
)
from console.kernel.conditional import conditional_update
from console.kernel.errors import Conflict, InvalidInput, NotFound
from console.money import MoneyError, exponent
from models import Experiment, Plan, PlanVersion, Rollout

#: Primary metrics an experiment may be judged on, with their labels.
PRIMARY_METRICS: dict[str, str] = {
    "conversion": "Conversion to paid",
    "arpa": "ARPA",
    "expansion": "Expansion",
    "churn": "Churn",
}

#: Guardrail setting key -> the rate it bounds (a rise above the baseline; higher is worse).
GUARDRAIL_KEYS: dict[str, str] = {
    "max_dispute_rate": "dispute_rate",
    "max_payment_failure_rate": "payment_failure_rate",
    "max_churn_delta": "churn_rate",
    "max_support_rate": "support_rate",
}

#: Rate -> label shown on pages.
RATE_LABELS: dict[str, str] = {
    "dispute_rate": "Dispute rate",
    "payment_failure_rate": "Payment failure rate",
    "churn_rate": "Churn",
    "support_rate": "Support load",
}

#: Defaults offered by the forms (absolute rises in rate: 0.02 = two percentage points).
DEFAULT_GUARDRAILS: dict[str, float] = {
    "max_dispute_rate": 0.02,
    "max_payment_failure_rate": 0.05,
    "max_churn_delta": 0.02,
    "max_support_rate": 0.1,
}

_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{1,63}")


def today() -> date:
    """Today in UTC (the date the services use when none is given)."""
    return datetime.now(UTC).date()


def check_key(key: str) -> str:
    """A lower-case stable key (2-64 characters: letters, digits, ``-`` and ``_``)."""
    key = (key or "").strip().lower()
    if not _KEY.fullmatch(key):
        raise InvalidInput("key: use 2-64 lower-case letters, digits, '-' or '_' "
                           "(it seeds the assignment hash and never changes).")
    return key


def check_text(text: str, what: str, limit: int = 200) -> str:
    """Trimmed, non-empty text no longer than ``limit``."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(f"{what} is required.")
    if len(text) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters.")
    return text


def get_experiment(session: Session, experiment_id: int, *, lock: bool = False) -> Experiment:
    """The experiment (fresh from the database), or NotFound."""
    query = sa.select(Experiment).where(Experiment.id == experiment_id).execution_options(
        populate_existing=True)
    if lock:
        query = query.with_for_update()
    exp = session.execute(query).scalar_one_or_none()
    if exp is None:
        raise NotFound("No such experiment.")
    return exp


def get_rollout(session: Session, rollout_id: int) -> Rollout:
    """The rollout (fresh from the database), or NotFound."""
    rollout = session.execute(
        sa.select(Rollout).where(Rollout.id == rollout_id)
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if rollout is None:
        raise NotFound("No such rollout.")
    return rollout


def version_labels(session: Session, version_ids: set[int]) -> dict[int, str]:
    """Version id -> ``Team v2`` for display."""
    if not version_ids:
        return {}
    rows = session.execute(
        sa.select(PlanVersion.id, PlanVersion.number, Plan.name)
        .join(Plan, Plan.id == PlanVersion.plan_id).where(PlanVersion.id.in_(version_ids))
    ).all()
    return {r.id: f"{r.name} v{r.number}" for r in rows}


def require_published(version: PlanVersion, role: str) -> None:
    """Raise Conflict unless ``version`` is published (the catalog's approval flow ran)."""
    if version.status != VersionStatus.PUBLISHED:
        raise Conflict(f"The {role} must be a published plan version (v{version.number} is "
                       f"{version.status.replace('_', ' ')}); publish it through the catalog "
                       "approval flow first.")


def normalize_guardrails(raw: Mapping[str, Any] | None) -> dict[str, float]:
    """Guardrail thresholds by setting key (``max_dispute_rate`` ...), each in ``[0, 1]``."""
    out: dict[str, float] = {}
    for key, value in dict(raw or {}).items():
        if key not in GUARDRAIL_KEYS:
            raise InvalidInput(f"guardrails: unknown guardrail {key!r} (use "
                               f"{', '.join(GUARDRAIL_KEYS)}).")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInput(f"guardrails.{key}: {value!r} is not a number.") from None
        if not math.isfinite(number) or not 0 <= number <= 1:
            raise InvalidInput(f"guardrails.{key}: use a rate between 0 and 1 (0.02 = 2 points).")
        out[key] = number
    return out


def thresholds(guardrails: Mapping[str, Any] | None) -> dict[str, float]:
    """Stored guardrail settings as :func:`console.experiments.check_guardrails` thresholds."""
    out: dict[str, float] = {}
    for key, value in dict(guardrails or {}).items():
        metric = GUARDRAIL_KEYS.get(key)
        if metric is not None:
            try:
                out[metric] = float(value)
            except (TypeError, ValueError):
                continue
    return out


def normalize_eligibility(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Eligibility of an experiment: segments, regions, currencies (empty: any) and
    ``new_customers_only`` (False: existing subscribers join at their renewal too)."""
    raw = dict(raw or {})
    known = {"segments", "regions", "currencies", "new_customers_only"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InvalidInput(f"eligibility: unknown key(s) {', '.join(unknown)}.")

    def values(key: str, allowed: tuple[str, ...] | None) -> list[str]:
        got = raw.get(key) or []
        got = [got] if isinstance(got, str) else list(got)
        clean = sorted({str(v).strip() for v in got if str(v).strip()})
        for v in clean:
            if allowed is not None and v not in allowed:
                raise InvalidInput(f"eligibility.{key}: {v!r} is not one of {', '.join(allowed)}.")
        return clean

    currencies = [c.upper() for c in values("currencies", None)]
    for cur in currencies:
        try:
            exponent(cur)
        except MoneyError as exc:
            raise InvalidInput(f"eligibility.currencies: {exc}") from None
    return {"segments": values("segments", SEGMENTS), "regions": values("regions", REGIONS),
            "currencies": currencies,
            "new_customers_only": bool(raw.get("new_customers_only", True))}


def eligibility_text(elig: Mapping[str, Any] | None) -> str:
    """``smb · any region · USD, EUR · new customers only``."""
    elig = dict(elig or {})
    parts = [", ".join(s.replace("_", " ") for s in elig.get("segments") or []) or "any segment",
             ", ".join(elig.get("regions") or []) or "any region",
             ", ".join(elig.get("currencies") or []) or "any currency",
             "new customers only" if elig.get("new_customers_only", True)
             else "new customers and existing ones at renewal"]
    return " · ".join(parts)


def guardrails_text(guardrails: Mapping[str, Any] | None) -> str:
    """``Dispute rate +2.0 pts · Churn +2.0 pts``."""
    parts = []
    for key, value in dict(guardrails or {}).items():
        metric = GUARDRAIL_KEYS.get(key)
        if metric is not None:
            parts.append(f"{RATE_LABELS[metric]} +{float(value) * 100:.1f} pts")
    return " · ".join(parts) or "none"


def move_experiment(session: Session, exp: Experiment, target: ExperimentStatus,
                    **values: object) -> str:
    """Change an experiment's status with a conditional UPDATE; returns the old status.

    Raises:
        Conflict: the lifecycle forbids it, or someone changed the experiment first.
    """
    current = ExperimentStatus(exp.status)
    try:
        check_transition(current, target)
    except TransitionError as exc:
        raise Conflict(str(exc)) from None
    conditional_update(session, exp, status=target.value, **values)
    return current.value


def move_rollout(session: Session, rollout: Rollout, target: RolloutStatus,
                 **values: object) -> str:
    """Change a rollout's status with a conditional UPDATE; returns the old status.

    Raises:
        Conflict: the lifecycle forbids it, or someone changed the rollout first.
    """
    current = RolloutStatus(rollout.status)
    try:
        check_transition(current, target)
    except TransitionError as exc:
        raise Conflict(str(exc)) from None
    conditional_update(session, rollout, status=target.value, **values)
    return current.value


def audit_safe(value: Any) -> Any:
    """``value`` with floats as Decimal text (the audit trail refuses floats); NaN as None."""
    if isinstance(value, float):
        return None if math.isnan(value) else Decimal(repr(round(value, 6)))
    if isinstance(value, Mapping):
        return {k: audit_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [audit_safe(v) for v in value]
    return value


def pct(value: float | None, digits: int = 1) -> str:
    """``12.5%`` (``—`` for no data)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:.{digits}f}%"


def pts(value: float | None) -> str:
    """A signed rate difference in percentage points, ``+1.2 pts``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:+.1f} pts"
