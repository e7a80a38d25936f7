"""The Subscriptions section of the customer page: each subscription with the changes it
allows, the plans one may subscribe to, and the changes waiting for approval."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from console.kernel.permissions import roles_of
from console.kernel.roles import Permission, can
from console.money import format_minor, format_signed_minor
from console.subscriptions.domain import (
    CHANGE_LABELS,
    SubscriptionState,
    allowed_kinds,
)
from console.subscriptions.queries.resolve import today
from models import ApprovalRequest, Plan, PlanVersion, Subscription, User
from models.db import read_session

_STATUS = {"active": "Active", "past_due": "Past due", "trialing": "Trial",
           "canceled": "Canceled"}
_INTERVAL = {"month": "Monthly", "year": "Yearly"}


@dataclass(frozen=True)
class ActionChoice:
    """A change offered for a subscription."""

    kind: str
    label: str


@dataclass(frozen=True)
class SubscriptionRow:
    """A subscription with what may be done to it."""

    id: int
    plan_id: int
    plan: str
    status: str
    seats: int
    interval: str
    interval_code: str
    period: str
    mrr: str
    note: str
    version: int
    actions: list[ActionChoice]


@dataclass(frozen=True)
class PlanChoice:
    """A plan with a published version."""

    id: int
    label: str


@dataclass(frozen=True)
class PendingChange:
    """A change waiting for a finance approval."""

    id: int
    title: str
    proposed_by: str
    proposed_at: str
    mrr_change: str
    reason: str
    can_decide: bool


@dataclass(frozen=True)
class SubscriptionSection:
    """Everything the section shows."""

    rows: list[SubscriptionRow]
    plans: list[PlanChoice]
    pending: list[PendingChange]
    today: str


def plan_choices(session: Session) -> list[PlanChoice]:
    """Plans that have a published version, in catalog order."""
    rows = session.execute(
        sa.select(Plan.id, Plan.name, Plan.interval).where(Plan.id.in_(
            sa.select(PlanVersion.plan_id).where(PlanVersion.status == "published")))
        .order_by(Plan.position, Plan.name)).all()
    return [PlanChoice(r.id, f"{r.name} ({_INTERVAL.get(r.interval, r.interval).lower()})")
            for r in rows]


def _labels(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {r.id: f"{r.name} v{r.number}" for r in session.execute(
        sa.select(PlanVersion.id, PlanVersion.number, Plan.name)
        .join(Plan, Plan.id == PlanVersion.plan_id).where(PlanVersion.id.in_(ids)))}


def section(session: Session, customer_id: int, *, user_id: int | None = None
            ) -> SubscriptionSection:
    """The section's data for a customer (the viewer decides who may approve)."""
    subs = session.execute(sa.select(Subscription).where(Subscription.customer_id == customer_id)
                           .order_by(Subscription.started_on.desc(), Subscription.id.desc())
                           ).scalars().all()
    labels = _labels(session, {s.plan_version_id for s in subs})
    rows = []
    for s in subs:
        state = SubscriptionState(s.status, s.cancel_at_period_end, s.started_on,
                                  s.current_period_end)
        note = ""
        if s.cancel_at_period_end:
            note = f"Ends after {s.current_period_end.isoformat()}"
        elif s.status == "canceled" and s.canceled_on:
            note = f"Last day {s.canceled_on.isoformat()}"
        rows.append(SubscriptionRow(
            s.id, s.plan_id, labels.get(s.plan_version_id, "—"), _STATUS.get(s.status, s.status),
            s.seats, _INTERVAL.get(s.billing_interval, s.billing_interval), s.billing_interval,
            f"{s.current_period_start:%Y-%m-%d} – {s.current_period_end:%Y-%m-%d}",
            format_minor(s.mrr_minor, s.currency), note, s.version,
            [ActionChoice(k.value, CHANGE_LABELS[k]) for k in allowed_kinds(state)]))
    decider = user_id is not None and can(roles_of(session, user_id),
                                          Permission.APPROVE_SUBSCRIPTION_CHANGES)
    pending = []
    requests = session.execute(sa.select(ApprovalRequest, User.email)
                               .join(User, User.id == ApprovalRequest.requested_by)
                               .where(ApprovalRequest.kind == "subscription_change",
                                      ApprovalRequest.status == "pending")
                               .order_by(ApprovalRequest.id)).all()
    for req, email in requests:
        payload = req.payload or {}
        if payload.get("customer_id") != customer_id:
            continue
        pending.append(PendingChange(
            req.id, str(payload.get("title", "Subscription change")), email,
            req.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            format_signed_minor(int(payload.get("mrr_delta_minor", 0)),
                                str(payload.get("currency", "USD"))),
            req.reason or "—", decider and req.requested_by != user_id))
    return SubscriptionSection(rows, plan_choices(session), pending, today().isoformat())


# --- page-facing

def section_view(customer_id: int, user_id: int | None = None) -> SubscriptionSection:
    """Page-facing :func:`section` in its own read session."""
    with read_session() as s:
        return section(s, customer_id, user_id=user_id)
