"""The rollout page: stages, members and where each stands, the live guardrail check with the
rates stored after each stage, and history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console.experiments.domain.formatting import DASH, chart_value
from console.experiments.domain.guardrails import RATE_LABELS, guardrails_text
from console.experiments.domain.lifecycle import RolloutStatus, confirmed_stages, next_stage
from console.experiments.queries.labels import (
    TIMING_LABELS,
    day_text,
    status_label,
    time_text,
    user_emails,
)
from console.experiments.queries.loaders import (
    ROLLOUT,
    get_rollout,
    stages_of,
    today,
    version_labels,
    viewer,
)
from console.experiments.queries.rollout_guardrails import guardrail_report
from console.experiments.queries.timeline import TimelineRow, timeline
from models import Customer, Plan, RolloutMember, RolloutStage, Subscription
from models.db import read_session

#: Members listed on the page.
MEMBERS_SHOWN = 200


@dataclass(frozen=True)
class StageRow:
    """One stage of a rollout."""

    position: int
    percent: int
    status: str
    status_label: str
    effective: str
    confirmed: str
    members: int
    mrr_change: str
    guardrails: str


@dataclass(frozen=True)
class MemberRow:
    """A subscription the rollout moved (or will move)."""

    customer_id: int
    customer_code: str
    customer_name: str
    stage: int
    from_version: str
    now_on: str
    moved_on: str
    state: str


@dataclass(frozen=True)
class GuardrailView:
    """One guardrail of the latest check (strings, and percentages for the chart)."""

    metric: str
    label: str
    moved: str
    baseline: str
    threshold: str
    breached: bool
    #: chart values in percent (0 when nobody moved yet); the limit is baseline + threshold
    moved_pct: float
    baseline_pct: float
    has_limit: bool
    limit_pct: float


@dataclass(frozen=True)
class StageRate:
    """A guardrail rate stored after one stage (for the history chart)."""

    position: int
    metric: str
    moved_pct: float
    baseline_pct: float


@dataclass(frozen=True)
class RolloutDetail:
    """Everything the rollout page shows."""

    id: int
    version: int
    key: str
    name: str
    plan: str
    from_version: str
    to_version: str
    status: str
    status_label: str
    timing: str
    timing_label: str
    include_grandfathered: bool
    owner: str
    paused_reason: str
    guardrails: str
    stages: list[StageRow]
    next_position: int
    next_percent: int
    all_confirmed: bool
    members: list[MemberRow]
    moved: int
    scheduled: int
    rolled_back: int
    guardrail_rows: list[GuardrailView]
    guardrail_note: str
    history: list[StageRate]
    timeline: list[TimelineRow]


def _stage_guardrails(doc: Mapping[str, Any] | None) -> str:
    if not doc:
        return DASH
    if doc.get("passed", True):
        return "passed"
    names = [RATE_LABELS.get(b.get("metric"), b.get("metric")) for b in doc.get("breaches", [])]
    return "breached: " + ", ".join(str(n) for n in names)


def _member_state(member: RolloutMember, sub_version: int, to_version: int, on: date) -> str:
    if member.rolled_back_on is not None:
        return "rolled back"
    if sub_version == to_version:
        return "moved"
    if sub_version == member.from_version_id:
        return "scheduled" if member.moved_on > on else "due"
    return "changed since"


def rollout_detail(session: Session, rollout_id: int) -> RolloutDetail:
    """Return the rollout page's data, with a fresh (read-only) guardrail check.

    Raises:
        NotFound: no such rollout.
    """
    on = today()
    r = get_rollout(session, rollout_id)
    stages = stages_of(session, r.id)
    plan = session.get(Plan, r.plan_id)
    member_rows = session.execute(
        sa.select(RolloutMember, Customer.code, Customer.name, Subscription.plan_version_id,
                  RolloutStage.position)
        .join(Customer, Customer.id == RolloutMember.customer_id)
        .join(Subscription, Subscription.id == RolloutMember.subscription_id)
        .join(RolloutStage, RolloutStage.id == RolloutMember.stage_id)
        .where(RolloutMember.rollout_id == r.id)
        .order_by(RolloutStage.position, Customer.code)).all()
    labels = version_labels(session, {r.from_version_id, r.to_version_id,
                                      *(row[3] for row in member_rows),
                                      *(row[0].from_version_id for row in member_rows)})
    users = user_emails(session, {r.owner_id, *(s.confirmed_by for s in stages)})
    members = [MemberRow(m.customer_id, code, name, position,
                         labels.get(m.from_version_id, "?"), labels.get(sub_version, "?"),
                         day_text(m.moved_on), _member_state(m, sub_version, r.to_version_id, on))
               for m, code, name, sub_version, position in member_rows]
    per_stage: dict[int, int] = {}
    for m in members:
        per_stage[m.stage] = per_stage.get(m.stage, 0) + 1
    stage_rows = []
    history: list[StageRate] = []
    for s in stages:
        preview = s.preview or {}
        stage_rows.append(StageRow(
            position=s.position, percent=s.percent, status=s.status,
            status_label=status_label(s.status), effective=day_text(s.effective_date),
            confirmed=(f"{users.get(s.confirmed_by, '?')} · {time_text(s.confirmed_at)}"
                       if s.confirmed_by else DASH),
            members=per_stage.get(s.position, 0),
            mrr_change=" · ".join(t.get("change", "") for t in preview.get("totals", [])) or DASH,
            guardrails=_stage_guardrails(s.guardrail_result)))
        for metric, rates in ((s.guardrail_result or {}).get("rates") or {}).items():
            history.append(StageRate(s.position, RATE_LABELS.get(metric, metric),
                                     chart_value(rates.get("moved")) * 100,
                                     chart_value(rates.get("baseline")) * 100))
    nxt = next_stage(stages)
    done = confirmed_stages(stages)
    guard_rows: list[GuardrailView] = []
    note = "No stage confirmed yet: guardrails are checked after the first one."
    if r.status == RolloutStatus.ROLLED_BACK:
        note = "Rolled back: guardrails are no longer checked (the stages keep their results)."
    elif done:
        report = guardrail_report(session, r, position=done[-1].position, on=on)
        guard_rows = [GuardrailView(
            g.metric, g.label, g.moved_text, g.baseline_text, g.threshold_text, g.breached,
            chart_value(g.moved) * 100, chart_value(g.baseline) * 100, g.threshold is not None,
            (chart_value(g.baseline) + (g.threshold or 0.0)) * 100)
            for g in report.rows]
        note = (f"Live check after stage {report.stage_position}: {report.moved_customers} "
                f"moved vs {report.baseline_customers} not moved customers. "
                f"{report.describe()}")
    states = [m.state for m in members]
    return RolloutDetail(
        id=r.id, version=r.version, key=r.key, name=r.name, plan=plan.name if plan else "?",
        from_version=labels.get(r.from_version_id, "?"),
        to_version=labels.get(r.to_version_id, "?"), status=r.status,
        status_label=status_label(r.status), timing=r.timing,
        timing_label=TIMING_LABELS.get(r.timing, r.timing),
        include_grandfathered=r.include_grandfathered, owner=users.get(r.owner_id, "?"),
        paused_reason=r.paused_reason or "", guardrails=guardrails_text(r.guardrails),
        stages=stage_rows, next_position=nxt.position if nxt else 0,
        next_percent=nxt.percent if nxt else 0, all_confirmed=nxt is None,
        members=members[:MEMBERS_SHOWN], moved=states.count("moved"),
        scheduled=states.count("scheduled") + states.count("due"),
        rolled_back=states.count("rolled back"), guardrail_rows=guard_rows,
        guardrail_note=note, history=history,
        timeline=timeline(session, object_type=ROLLOUT, object_id=r.id))


# --- page-facing


def rollout(rollout_id: int, user_id: int) -> RolloutDetail:
    """Return one rollout for its page, with a live guardrail check.

    Raises:
        NotAllowed: without VIEW_EXPERIMENTS.
        NotFound: no such rollout.
    """
    with read_session() as s:
        viewer(s, user_id)
        return rollout_detail(s, rollout_id)
