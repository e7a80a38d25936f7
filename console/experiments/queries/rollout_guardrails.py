"""The guardrail check of a rollout, read from the database: rates among the customers it
moved against those still on the source version (see
:class:`~console.experiments.domain.guardrail_report.GuardrailReport`). Storing the result and
pausing on a breach are use-cases.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import sqlalchemy as sa
from sqlmodel import Session

from console.catalog import MOVABLE_STATUSES, load_policy
from console.experiments.domain.guardrail_report import GuardrailReport, GuardrailRow
from console.experiments.domain.guardrails import (
    GUARDRAIL_KEYS,
    RATE_LABELS,
    check_guardrails,
    thresholds,
)
from console.experiments.queries.loaders import today
from console.experiments.queries.outcomes import customer_outcomes, empty_group, group_outcomes
from console.reference import fx_rates
from models import Customer, Rollout, RolloutMember, Subscription


def guardrail_report(session: Session, rollout: Rollout, *, position: int,
                     on: date | None = None) -> GuardrailReport:
    """Return the guardrail rates of moved customers vs those not moved yet (read-only).

    Moved: members whose subscription moved (counted from their move day). Not moved: current
    subscribers still on the source version, counted from the rollout's first move. With
    nobody left unmoved the baseline is 0; with nobody moved yet nothing can breach.
    """
    on = on or today()
    moved_rows = session.execute(
        sa.select(RolloutMember.customer_id, sa.func.min(RolloutMember.moved_on))
        .join(Subscription, Subscription.id == RolloutMember.subscription_id)
        .where(RolloutMember.rollout_id == rollout.id, RolloutMember.rolled_back_on.is_(None),
               RolloutMember.moved_on <= on,
               Subscription.plan_version_id == rollout.to_version_id)
        .group_by(RolloutMember.customer_id)).all()
    moved_ids = {int(c) for c, _d in moved_rows}
    since = min((d for _c, d in moved_rows), default=on)
    waiting = [int(c) for c in session.execute(
        sa.select(Subscription.customer_id).distinct()
        .where(Subscription.plan_version_id == rollout.from_version_id,
               Subscription.status.in_(MOVABLE_STATUSES))).scalars() if int(c) not in moved_ids]
    cohort = pl.DataFrame(
        [(c, "moved", d) for c, d in moved_rows] + [(c, "not_moved", since) for c in waiting],
        orient="row", schema={"customer_id": pl.Int64, "group": pl.String, "since": pl.Date})
    members = sa.select(RolloutMember.customer_id).where(RolloutMember.rollout_id == rollout.id)
    on_source = sa.select(Subscription.customer_id).where(
        Subscription.plan_version_id == rollout.from_version_id)
    ids = sa.select(Customer.id).where(sa.or_(Customer.id.in_(members),
                                              Customer.id.in_(on_source)))
    policy = load_policy(session)
    per = customer_outcomes(session, cohort=cohort, ids=ids, plan_id=rollout.plan_id,
                            rates=fx_rates(session, policy.reporting_currency))
    groups = group_outcomes(per)
    moved = groups.get("moved", empty_group("moved"))
    baseline = groups.get("not_moved", empty_group("not_moved"))
    moved_rates = moved.rates()
    base_rates = {k: (0.0 if baseline.customers == 0 else v)
                  for k, v in baseline.rates().items()}
    limits = thresholds(rollout.guardrails)
    breaches = tuple(check_guardrails(moved_rates, base_rates, limits))
    breached = {b.metric for b in breaches}
    rows = tuple(GuardrailRow(metric=m, label=RATE_LABELS[m], moved=moved_rates[m],
                              baseline=base_rates[m], threshold=limits.get(m),
                              breached=m in breached)
                 for m in GUARDRAIL_KEYS.values())
    return GuardrailReport(position, on, moved.customers, baseline.customers, rows, breaches)
