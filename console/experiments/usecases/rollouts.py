"""Staged rollouts: move subscribers from one plan version to another in stages, with
guardrails that pause it and a one-step rollback.

* Membership of a stage of ``p`` % is :func:`console.experiments.in_rollout_stage` over the
  rollout key and the customer id (monotone: everyone in 10 % is in 50 %). Candidates are the
  subscriptions on the source version that are trialing, active or past due and not yet
  members; grandfathered subscriptions only when ``rollout.include_grandfathered`` is set.
* :func:`preview_stage` lists who moves, when and the MRR change (the catalog migration
  preview, :func:`console.catalog.usecases.migration.preview_migration`);
  :func:`confirm_stage` stores the members (``rollout_member`` with the version each came
  from) and moves those already due. Members move at their next renewal (the day after the
  current period ends) or on the stage's date; :func:`run_due_rollouts` moves the rest when
  their day comes. A move is a conditional update of the subscription plus a ``migrate``
  subscription event (MRR before/after) and an audit event, like a catalog migration, so the
  bill run prorates the change.
* Before each further stage (and on demand) the guardrails compare the moved customers with
  those not moved yet (:func:`console.experiments.check_guardrails` on dispute rate, payment
  failure rate, churn and support load since the move); a breach pauses the rollout, records
  ``rollout.paused_by_guardrail`` in the audit trail and keeps the reason on
  ``rollout.paused_reason`` for the owner's page.
* :func:`rollback_rollout` returns every moved subscription to the version it came from
  (``migrate`` events dated the rollback day, or the day after a same-day move so no version
  span is empty), cancels the moves still scheduled, and marks the rollout rolled back, in
  one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from console.audit import record
from console.catalog import (
    MOVABLE_STATUSES,
    MigrationLine,
    MigrationTiming,
    MigrationTotal,
    PriceSpec,
    VersionStatus,
    get_version,
    load_policy,
    preview_migration,
    price_specs,
    subscription_mrr_minor,
)
from console.experiments.domain import (
    GuardrailBreach,
    RolloutStatus,
    check_guardrails,
    in_rollout_stage,
)
from console.experiments.queries.metrics import customer_outcomes, empty_group, group_outcomes
from console.experiments.usecases.common import (
    GUARDRAIL_KEYS,
    RATE_LABELS,
    audit_safe,
    check_key,
    check_text,
    get_rollout,
    move_rollout,
    normalize_guardrails,
    pct,
    pts,
    require_published,
    thresholds,
    today,
)
from console.kernel.actor import Actor
from console.kernel.conditional import check_version, conditional_update, try_conditional_update
from console.kernel.errors import Conflict, InvalidInput
from console.kernel.permissions import require
from console.kernel.roles import Permission
from console.money import format_minor
from console.reference import fx_rates
from models import Customer, Rollout, RolloutMember, RolloutStage, Subscription, SubscriptionEvent
from models.types import utcnow

SUBJECT = "rollout"
PENDING, COMPLETED, BREACHED = "pending", "completed", "breached"
#: Rollout statuses in which members may still move.
MOVING = (RolloutStatus.RUNNING.value, RolloutStatus.COMPLETED.value)
#: How many preview lines a stage keeps in its stored preview.
STORED_LINES = 200
#: Subscriptions previewed per query (keeps IN lists far below SQLite's variable limit).
CHUNK = 5000


@dataclass(frozen=True)
class RolloutInput:
    """What a monetization lead fills in to define a rollout."""

    key: str
    name: str
    from_version_id: int
    to_version_id: int
    stages: Sequence[int] = (1, 10, 50, 100)
    timing: str = MigrationTiming.NEXT_RENEWAL.value
    guardrails: Mapping[str, Any] = field(default_factory=dict)
    include_grandfathered: bool = False


@dataclass(frozen=True)
class StagePreview:
    """Who the next stage moves, when, and what it does to MRR."""

    rollout_id: int
    position: int
    percent: int
    timing: str
    effective_date: date | None
    lines: tuple[MigrationLine, ...]
    totals: tuple[MigrationTotal, ...]
    grandfathered_excluded: int
    already_members: int

    @property
    def count(self) -> int:
        """How many subscriptions the stage adds."""
        return len(self.lines)

    def to_json(self) -> dict[str, Any]:
        """The summary stored on ``rollout_stage.preview``."""
        return {
            "subscriptions": self.count,
            "mrr_delta_minor": {t.currency: t.change_minor for t in self.totals},
            "totals": [{"currency": t.currency, "subscriptions": t.subscriptions,
                        "mrr_before": t.mrr_before, "mrr_after": t.mrr_after,
                        "change": t.change} for t in self.totals],
            "grandfathered_excluded": self.grandfathered_excluded,
            "timing": self.timing,
            "effective_date": self.effective_date.isoformat() if self.effective_date else None,
            "lines": [{"subscription_id": ln.subscription_id, "customer_code": ln.customer_code,
                       "move_on": ln.move_on_text, "change": ln.change}
                      for ln in self.lines[:STORED_LINES]],
        }


@dataclass(frozen=True)
class GuardrailRow:
    """One guardrail: the rate among moved customers and among those not moved yet."""

    metric: str
    label: str
    moved: float
    baseline: float
    threshold: float | None
    breached: bool

    @property
    def moved_text(self) -> str:
        """``12.5%``."""
        return pct(self.moved)

    @property
    def baseline_text(self) -> str:
        """``3.0%``."""
        return pct(self.baseline)

    @property
    def threshold_text(self) -> str:
        """``+2.0 pts`` (``—`` when not guarded)."""
        return pts(self.threshold) if self.threshold is not None else "—"


@dataclass(frozen=True)
class GuardrailReport:
    """The guardrail check after a stage."""

    stage_position: int
    checked_on: date
    moved_customers: int
    baseline_customers: int
    rows: tuple[GuardrailRow, ...]
    breaches: tuple[GuardrailBreach, ...]

    @property
    def passed(self) -> bool:
        """True when no guardrail is breached."""
        return not self.breaches

    def describe(self) -> str:
        """A sentence for the owner: what breached, by how much."""
        if self.passed:
            return "All guardrails hold."
        parts = [f"{RATE_LABELS.get(b.metric, b.metric)} {pct(b.moved)} among moved customers "
                 f"vs {pct(b.baseline)} not moved (tolerated rise {pts(b.threshold)})"
                 for b in self.breaches]
        return f"Guardrail breached after stage {self.stage_position}: " + "; ".join(parts) + "."

    def to_json(self) -> dict[str, Any]:
        """The form stored on ``rollout_stage.guardrail_result``."""
        doc: dict[str, Any] = {"passed": self.passed, "checked_on": self.checked_on.isoformat(),
                               "moved": self.moved_customers,
                               "baseline": self.baseline_customers, "rates": {},
                               "breaches": [{"metric": b.metric, "moved": b.moved,
                                             "baseline": b.baseline, "threshold": b.threshold}
                                            for b in self.breaches]}
        for row in self.rows:
            doc[row.metric] = None if row.moved != row.moved else row.moved
            doc["rates"][row.metric] = {"moved": None if row.moved != row.moved else row.moved,
                                        "baseline": row.baseline, "threshold": row.threshold}
        return doc


@dataclass(frozen=True)
class StageResult:
    """What confirming a stage did (or why it paused the rollout instead)."""

    position: int
    members: int
    moved_now: int
    paused: bool
    report: GuardrailReport | None
    message: str


@dataclass(frozen=True)
class RollbackResult:
    """What a rollback did."""

    returned: int
    canceled: int
    left_alone: int


# --------------------------------------------------------------------------- definition


def _check_stages(stages: Sequence[Any]) -> list[int]:
    try:
        values = [int(s) for s in stages]
    except (TypeError, ValueError):
        raise InvalidInput("stages: use whole percentages such as 1, 10, 50, 100.") from None
    if not values or len(values) > 20:
        raise InvalidInput("stages: give between 1 and 20 stages.")
    if any(not 1 <= v <= 100 for v in values):
        raise InvalidInput("stages: each stage is a percentage between 1 and 100.")
    if any(b <= a for a, b in pairwise(values)):
        raise InvalidInput("stages: each stage must be larger than the one before.")
    return values


def _rollout_json(r: Rollout) -> dict[str, Any]:
    return {"key": r.key, "name": r.name, "status": r.status, "plan_id": r.plan_id,
            "from_version_id": r.from_version_id, "to_version_id": r.to_version_id,
            "timing": r.timing, "guardrails": audit_safe(r.guardrails),
            "include_grandfathered": r.include_grandfathered}


def create_rollout(session: Session, *, actor: Actor, spec: RolloutInput) -> Rollout:
    """Create a draft rollout with its stages (audited; the actor owns it).

    Raises:
        NotAllowed: without RUN_EXPERIMENTS.
        InvalidInput: a bad key, name, stage list, timing or guardrail.
        Conflict: the target is not published, the versions differ in plan, or the key is taken.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS)
    key = check_key(spec.key)
    name = check_text(spec.name, "A name")
    stages = _check_stages(spec.stages)
    try:
        timing = MigrationTiming(spec.timing)
    except ValueError:
        raise InvalidInput("timing: use next_renewal or date.") from None
    source = get_version(session, int(spec.from_version_id))
    target = get_version(session, int(spec.to_version_id))
    if source.id == target.id:
        raise InvalidInput("Choose two different versions.")
    if source.plan_id != target.plan_id:
        raise InvalidInput("Both versions must belong to the same plan.")
    require_published(target, "target")
    if source.status not in (VersionStatus.PUBLISHED, VersionStatus.RETIRED):
        raise Conflict("Customers can only move off a published or retired version.")
    if session.execute(sa.select(Rollout.id).where(Rollout.key == key)).first():
        raise Conflict(f"A rollout with key {key!r} already exists; keys never change.")
    rollout = Rollout(key=key, name=name, plan_id=source.plan_id, from_version_id=source.id,
                      to_version_id=target.id, status=RolloutStatus.DRAFT.value,
                      timing=timing.value, guardrails=normalize_guardrails(spec.guardrails),
                      include_grandfathered=bool(spec.include_grandfathered),
                      owner_id=actor.user_id)
    session.add(rollout)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"A rollout with key {key!r} already exists.") from None
    for position, percent in enumerate(stages, start=1):
        session.add(RolloutStage(rollout_id=rollout.id, position=position, percent=percent))
    session.flush()
    record(session, actor=actor, action="rollout.create", object_type=SUBJECT,
           object_id=rollout.id, after={**_rollout_json(rollout), "stages": stages})
    return rollout


def stages_of(session: Session, rollout_id: int) -> list[RolloutStage]:
    """The rollout's stages in order."""
    return list(session.execute(
        sa.select(RolloutStage).where(RolloutStage.rollout_id == rollout_id)
        .order_by(RolloutStage.position).execution_options(populate_existing=True)).scalars())


def _next_stage(stages: Sequence[RolloutStage]) -> RolloutStage | None:
    return next((s for s in stages if s.status == PENDING), None)


def _last_done(stages: Sequence[RolloutStage]) -> RolloutStage | None:
    done = [s for s in stages if s.status != PENDING]
    return done[-1] if done else None


# --------------------------------------------------------------------------- preview / confirm


def _candidates(session: Session, rollout: Rollout, percent: int) -> tuple[list[int], int, int]:
    """Subscription ids the stage adds, grandfathered ones left out, and members already in."""
    members = sa.select(RolloutMember.subscription_id).where(
        RolloutMember.rollout_id == rollout.id)
    rows = session.execute(
        sa.select(Subscription.id, Subscription.customer_id, Subscription.grandfathered)
        .where(Subscription.plan_version_id == rollout.from_version_id,
               Subscription.status.in_(MOVABLE_STATUSES), Subscription.id.not_in(members))
        .order_by(Subscription.id)).all()
    inside = [r for r in rows if in_rollout_stage(rollout.key, str(r.customer_id), percent)]
    chosen = [r.id for r in inside if rollout.include_grandfathered or not r.grandfathered]
    already = session.execute(sa.select(sa.func.count()).select_from(
        members.subquery())).scalar_one()
    return chosen, len(inside) - len(chosen), int(already)


def _totals(lines: Sequence[MigrationLine]) -> tuple[MigrationTotal, ...]:
    frame = pl.DataFrame([(ln.currency, ln.mrr_before_minor, ln.mrr_after_minor) for ln in lines],
                         orient="row", schema={"currency": pl.String, "before": pl.Int64,
                                               "after": pl.Int64})
    out = []
    for cur, n, before, after in frame.group_by("currency").agg(
            n=pl.len(), before=pl.col("before").sum(), after=pl.col("after").sum()
    ).sort("currency").iter_rows():
        change = after - before
        text = format_minor(change, cur)
        out.append(MigrationTotal(cur, n, before, after, change, format_minor(before, cur),
                                  format_minor(after, cur), f"+{text}" if change > 0 else text))
    return tuple(out)


def preview_stage(session: Session, *, rollout_id: int, effective_date: date | None = None,
                  on: date | None = None) -> StagePreview:
    """Who the next pending stage would move, when, and the MRR before/after (read-only).

    Args:
        session: an open session.
        rollout_id: the rollout.
        effective_date: the move date for timing ``date`` (default ``on``).
        on: today (default: today in UTC).

    Raises:
        Conflict: every stage is confirmed, or the target is no longer published.
        InvalidInput: a date in the past.
    """
    on = on or today()
    rollout = get_rollout(session, rollout_id)
    stage = _next_stage(stages_of(session, rollout.id))
    if stage is None:
        raise Conflict("Every stage of this rollout is confirmed.")
    timing = MigrationTiming(rollout.timing)
    effective = (effective_date or on) if timing == MigrationTiming.DATE else None
    if effective is not None and effective < on:
        raise InvalidInput("The move date cannot be in the past.")
    sub_ids, excluded, already = _candidates(session, rollout, stage.percent)
    wanted = set(sub_ids)
    found: list[MigrationLine] = []
    for start in range(0, len(sub_ids), CHUNK):  # bounded IN lists (SQLite's variable limit)
        chunk = sub_ids[start:start + CHUNK]
        customers = session.execute(sa.select(Subscription.customer_id).where(
            Subscription.id.in_(chunk))).scalars().all()
        preview = preview_migration(session, from_version_id=rollout.from_version_id,
                                    to_version_id=rollout.to_version_id,
                                    customer_filter={"customer_ids": sorted(set(customers))},
                                    timing=timing.value, effective_date=effective, today=on)
        found += [ln for ln in preview.lines if ln.subscription_id in wanted]
    if not sub_ids:
        require_published(get_version(session, rollout.to_version_id), "target")
    unique = {ln.subscription_id: ln for ln in found}
    lines = tuple(sorted(unique.values(), key=lambda ln: (ln.customer_code, ln.subscription_id)))
    return StagePreview(rollout.id, stage.position, stage.percent, timing.value, effective,
                        lines, _totals(lines), excluded, already)


def confirm_stage(session: Session, *, rollout_id: int, actor: Actor,
                  expected_version: int | None = None, effective_date: date | None = None,
                  on: date | None = None) -> StageResult:
    """Confirm the next stage: store its members and move those already due.

    The guardrails of the stage before are checked first; on a breach the rollout is paused
    (and audited) instead, and the result says so (the pause is kept: nothing is raised).

    Raises:
        NotAllowed: without RUN_EXPERIMENTS.
        Conflict: the rollout is paused, finished or changed since the page was loaded.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS)
    on = on or today()
    rollout = get_rollout(session, rollout_id)
    check_version(rollout, expected_version)
    if rollout.status not in (RolloutStatus.DRAFT, RolloutStatus.RUNNING):
        paused = rollout.status == RolloutStatus.PAUSED
        what = ("paused: resume it (or roll it back) first" if paused
                else rollout.status.replace("_", " "))
        raise Conflict(f"This rollout is {what}.")
    stages = stages_of(session, rollout.id)
    stage = _next_stage(stages)
    if stage is None:
        raise Conflict("Every stage of this rollout is confirmed; complete it.")
    previous = _last_done(stages)
    if previous is not None:
        report = _check_and_store(session, rollout, previous, actor, on)
        if not report.passed:
            return StageResult(stage.position, 0, 0, True, report, report.describe())
    preview = preview_stage(session, rollout_id=rollout.id, effective_date=effective_date, on=on)
    for ln in preview.lines:
        session.add(RolloutMember(rollout_id=rollout.id, stage_id=stage.id,
                                  customer_id=ln.customer_id, subscription_id=ln.subscription_id,
                                  from_version_id=rollout.from_version_id, moved_on=ln.move_on))
    stage.status = COMPLETED
    stage.effective_date = preview.effective_date
    stage.preview = preview.to_json()
    stage.confirmed_by = actor.user_id
    stage.confirmed_at = utcnow()
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("Someone confirmed this stage at the same time; reload.") from None
    before = rollout.status
    if rollout.status == RolloutStatus.DRAFT:
        move_rollout(session, rollout, RolloutStatus.RUNNING)
    else:
        conditional_update(session, rollout)
    record(session, actor=actor, action="rollout.stage_confirmed", object_type=SUBJECT,
           object_id=rollout.id, before={"status": before},
           after={"status": rollout.status, "stage": stage.position, "percent": stage.percent,
                  "members": preview.count, "effective_date": preview.effective_date,
                  "grandfathered_excluded": preview.grandfathered_excluded,
                  "mrr_change": [t.change for t in preview.totals]})
    moved = _move_due(session, rollout, on, actor)
    return StageResult(stage.position, preview.count, moved, False, None,
                       f"Stage {stage.position} ({stage.percent}%) confirmed: {preview.count} "
                       f"subscription(s), {moved} moved now.")


# --------------------------------------------------------------------------- moving


def _switch(session: Session, *, sub: Subscription, customer: Customer, from_id: int,
            to_id: int, on: date, prices: Mapping[int, list[PriceSpec]], actor: Actor,
            grandfathered: bool, note: str, context: Mapping[str, Any]) -> bool:
    """Move one subscription between versions (conditional), with its migrate event and audit."""
    def mrr(version_id: int) -> int:
        return subscription_mrr_minor(prices[version_id], seats=sub.seats, currency=sub.currency,
                                      interval=sub.billing_interval, region=customer.region,
                                      segment=customer.segment)

    before, after = mrr(from_id), mrr(to_id)
    # The caller never reuses ``sub``: no refresh.
    if not try_conditional_update(session, sub, expect_status=None, refresh=False,
                                  where=[Subscription.plan_version_id == from_id],
                                  plan_version_id=to_id, mrr_minor=after,
                                  grandfathered=grandfathered):
        return False
    if customer.currency == sub.currency and sub.status in MOVABLE_STATUSES:
        session.execute(sa.update(Customer).where(Customer.id == customer.id)
                        .values(mrr_minor=Customer.mrr_minor + (after - before))
                        .execution_options(synchronize_session=False))
    session.add(SubscriptionEvent(
        subscription_id=sub.id, customer_id=customer.id, kind="migrate", occurred_on=on,
        from_version_id=from_id, to_version_id=to_id, currency=sub.currency,
        mrr_before_minor=before, mrr_after_minor=after, mrr_delta_minor=after - before,
        note=note, actor_id=actor.user_id))
    session.flush()
    record(session, actor=actor, action="subscription.migrate", object_type="subscription",
           object_id=sub.id,
           before={"plan_version_id": from_id, "mrr_minor": before,
                   "grandfathered": sub.grandfathered},
           after={"plan_version_id": to_id, "mrr_minor": after, "grandfathered": grandfathered,
                  "occurred_on": on, **context})
    return True


def _prices(session: Session, *version_ids: int) -> dict[int, list[PriceSpec]]:
    return {v: price_specs(session, v) for v in set(version_ids)}


def _move_due(session: Session, rollout: Rollout, on: date, actor: Actor) -> int:
    rows = session.execute(
        sa.select(RolloutMember, Subscription, Customer)
        .join(Subscription, Subscription.id == RolloutMember.subscription_id)
        .join(Customer, Customer.id == RolloutMember.customer_id)
        .where(RolloutMember.rollout_id == rollout.id, RolloutMember.rolled_back_on.is_(None),
               RolloutMember.moved_on <= on,
               Subscription.plan_version_id == RolloutMember.from_version_id)
        .order_by(RolloutMember.id)).all()
    if not rows:
        return 0
    prices = _prices(session, rollout.to_version_id, *{m.from_version_id for m, _s, _c in rows})
    moved = 0
    for member, sub, customer in rows:
        moved += _switch(session, sub=sub, customer=customer, from_id=member.from_version_id,
                         to_id=rollout.to_version_id, on=member.moved_on, prices=prices,
                         actor=actor, grandfathered=False, note=f"rollout {rollout.key}",
                         context={"rollout_id": rollout.id, "stage_id": member.stage_id})
    return moved


def run_due_rollouts(session: Session, *, on: date, actor: Actor) -> int:
    """Move every member of a running or completed rollout whose day has come; returns how many.

    Paused rollouts move nobody until they resume. Run by the system (scheduler, CLI) or a user
    with RUN_EXPERIMENTS.
    """
    if actor.user_id is not None:
        require(session, actor, Permission.RUN_EXPERIMENTS)
    rollouts = session.execute(sa.select(Rollout).where(Rollout.status.in_(MOVING))
                               .order_by(Rollout.id)).scalars().all()
    return sum(_move_due(session, r, on, actor) for r in rollouts)


# --------------------------------------------------------------------------- guardrails


def guardrail_report(session: Session, rollout: Rollout, *, position: int,
                     on: date | None = None) -> GuardrailReport:
    """Guardrail rates of moved customers vs those not moved yet (read-only).

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


def _check_and_store(session: Session, rollout: Rollout, stage: RolloutStage, actor: Actor,
                     on: date) -> GuardrailReport:
    report = guardrail_report(session, rollout, position=stage.position, on=on)
    stage.guardrail_result = report.to_json()
    if not report.passed:
        stage.status = BREACHED
    session.flush()
    if not report.passed and rollout.status == RolloutStatus.RUNNING:
        reason = report.describe()
        before = move_rollout(session, rollout, RolloutStatus.PAUSED, paused_reason=reason)
        record(session, actor=actor, action="rollout.paused_by_guardrail", object_type=SUBJECT,
               object_id=rollout.id, before={"status": before},
               after={"status": rollout.status, "paused_reason": reason,
                      "stage": stage.position, "owner_id": rollout.owner_id,
                      "breaches": audit_safe(report.to_json()["breaches"])}, reason=reason)
    return report


def check_rollout_guardrails(session: Session, *, rollout_id: int, actor: Actor,
                             on: date | None = None) -> GuardrailReport:
    """Check the guardrails after the last confirmed stage; a breach pauses a running rollout.

    Run by the owner's page (RUN_EXPERIMENTS) or by the system (background jobs, CLI).

    Raises:
        Conflict: no stage has been confirmed yet.
    """
    if actor.user_id is not None:
        require(session, actor, Permission.RUN_EXPERIMENTS)
    rollout = get_rollout(session, rollout_id)
    stage = _last_done(stages_of(session, rollout.id))
    if stage is None:
        raise Conflict("No stage has been confirmed yet: there is nothing to check.")
    return _check_and_store(session, rollout, stage, actor, on or today())


# --------------------------------------------------------------------------- lifecycle


def pause_rollout(session: Session, *, rollout_id: int, actor: Actor, reason: str,
                  expected_version: int | None = None) -> Rollout:
    """Pause a running rollout by hand: scheduled moves wait, no stage can be confirmed."""
    require(session, actor, Permission.RUN_EXPERIMENTS)
    reason = check_text(reason, "A reason", 2000)
    rollout = get_rollout(session, rollout_id)
    check_version(rollout, expected_version)
    before = move_rollout(session, rollout, RolloutStatus.PAUSED, paused_reason=reason)
    record(session, actor=actor, action="rollout.pause", object_type=SUBJECT,
           object_id=rollout.id, before={"status": before},
           after={"status": rollout.status, "paused_reason": reason}, reason=reason)
    return rollout


def resume_rollout(session: Session, *, rollout_id: int, actor: Actor, reason: str,
                   expected_version: int | None = None) -> Rollout:
    """Resume a paused rollout (a reason is required: it may have paused on a guardrail)."""
    require(session, actor, Permission.RUN_EXPERIMENTS)
    reason = check_text(reason, "A reason", 2000)
    rollout = get_rollout(session, rollout_id)
    check_version(rollout, expected_version)
    paused_reason = rollout.paused_reason
    before = move_rollout(session, rollout, RolloutStatus.RUNNING, paused_reason=None)
    record(session, actor=actor, action="rollout.resume", object_type=SUBJECT,
           object_id=rollout.id, before={"status": before, "paused_reason": paused_reason},
           after={"status": rollout.status}, reason=reason)
    return rollout


def complete_rollout(session: Session, *, rollout_id: int, actor: Actor,
                     expected_version: int | None = None, on: date | None = None
                     ) -> StageResult:
    """Mark a running rollout whose stages are all confirmed as completed.

    The guardrails of the last stage are checked first; a breach pauses it instead.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS)
    on = on or today()
    rollout = get_rollout(session, rollout_id)
    check_version(rollout, expected_version)
    stages = stages_of(session, rollout.id)
    if rollout.status != RolloutStatus.RUNNING:
        raise Conflict(f"Only a running rollout can be completed; this one is "
                       f"{rollout.status.replace('_', ' ')}.")
    if _next_stage(stages) is not None:
        raise Conflict("Confirm every stage before completing the rollout.")
    last = _last_done(stages)
    report = _check_and_store(session, rollout, last, actor, on)
    if not report.passed:
        return StageResult(last.position, 0, 0, True, report, report.describe())
    before = move_rollout(session, rollout, RolloutStatus.COMPLETED)
    record(session, actor=actor, action="rollout.complete", object_type=SUBJECT,
           object_id=rollout.id, before={"status": before}, after={"status": rollout.status})
    return StageResult(last.position, 0, 0, False, report, "Rollout completed.")


def rollback_rollout(session: Session, *, rollout_id: int, actor: Actor, reason: str,
                     expected_version: int | None = None, on: date | None = None
                     ) -> RollbackResult:
    """Return every moved subscription to the version it came from, in one step (audited).

    Moved subscriptions get a ``migrate`` event back to ``rollout_member.from_version_id``
    dated ``on`` (the day after the move when it moved that same day), so the next invoice
    prorates both versions; they are grandfathered again when that version is no longer the
    published one. Moves still scheduled are canceled. A subscription changed to another
    version since is left alone (and counted).

    Raises:
        Conflict: already rolled back, still a draft, or changed since the page was loaded.
    """
    require(session, actor, Permission.RUN_EXPERIMENTS)
    reason = check_text(reason, "A reason", 2000)
    on = on or today()
    rollout = get_rollout(session, rollout_id)
    check_version(rollout, expected_version)
    before = move_rollout(session, rollout, RolloutStatus.ROLLED_BACK)
    rows = session.execute(
        sa.select(RolloutMember, Subscription, Customer)
        .join(Subscription, Subscription.id == RolloutMember.subscription_id)
        .join(Customer, Customer.id == RolloutMember.customer_id)
        .where(RolloutMember.rollout_id == rollout.id, RolloutMember.rolled_back_on.is_(None))
        .order_by(RolloutMember.id)).all()
    prices = _prices(session, rollout.to_version_id, *{m.from_version_id for m, _s, _c in rows})
    published = {v: get_version(session, v).status == VersionStatus.PUBLISHED for v in prices}
    returned = canceled = left = 0
    for member, sub, customer in rows:
        if sub.plan_version_id != rollout.to_version_id:
            member.rolled_back_on = on
            if sub.plan_version_id == member.from_version_id:
                canceled += 1  # scheduled (or paused) move that never happened
            else:
                left += 1
            continue
        back_on = max(on, member.moved_on + timedelta(days=1))
        if _switch(session, sub=sub, customer=customer, from_id=rollout.to_version_id,
                   to_id=member.from_version_id, on=back_on, prices=prices, actor=actor,
                   grandfathered=not published[member.from_version_id],
                   note=f"rollback of rollout {rollout.key}",
                   context={"rollout_id": rollout.id, "rollback": True}):
            member.rolled_back_on = back_on
            returned += 1
        else:
            member.rolled_back_on = on
            left += 1
    session.flush()
    record(session, actor=actor, action="rollout.rollback", object_type=SUBJECT,
           object_id=rollout.id, before={"status": before},
           after={"status": rollout.status, "returned": returned, "canceled": canceled,
                  "left_alone": left}, reason=reason)
    return RollbackResult(returned, canceled, left)
