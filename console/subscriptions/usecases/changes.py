"""Changing a subscription on behalf of a customer: subscribe, change plan, seats or billing
interval, cancel now or at the period end, undo a scheduled cancellation, reactivate.

Finance and support may propose any change. A change whose MRR change is at or below the
approval threshold (policy ``approval_thresholds.subscription_mrr_change_minor``, in the
reporting currency) takes effect at once; above it, it waits in an ``approval_request``
(kind ``subscription_change``) for a finance user other than its author
(:mod:`console.subscriptions.usecases.approvals`). Applying a change, in one transaction:

* moves the subscription with a conditional update (refused when someone changed it first);
* removes the drafts of the periods it touches, so the next bill run redrafts them with it
  (:func:`console.billing.discard_drafts`; an invoice no longer a draft refuses the change);
* writes its ``subscription_event`` (MRR before, after and delta; seats and interval before
  and after, which the bill run reads to prorate), recomputes the customer's MRR and status
  and writes the month in the MRR ledger (:func:`console.customers.refresh_customer`);
* writes its audit event.

Importers call :func:`subscribe` with a system actor (no approval step for them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console import billing, customers
from console.audit import record
from console.kernel.actor import Actor
from console.kernel.conditional import conditional_update
from console.kernel.errors import Conflict
from console.kernel.outcome import Outcome, act
from console.kernel.permissions import require
from console.kernel.roles import Permission
from console.subscriptions.domain import CHANGE_LABELS, ChangeKind
from console.subscriptions.queries.preview import approval_needed, version_label
from console.subscriptions.queries.resolve import ChangeSpec, Resolved, parse_change, resolve
from models import ApprovalRequest, Subscription, SubscriptionEvent

APPROVAL_KIND = "subscription_change"
#: Changes that change what the next invoices bill (their drafts are redrafted).
_BILLED = (ChangeKind.PLAN, ChangeKind.SEATS, ChangeKind.INTERVAL, ChangeKind.CANCEL_NOW)


@dataclass(frozen=True)
class ChangeResult:
    """What a proposal did: applied (``subscription_id``) or waiting (``request_id``)."""

    applied: bool
    subscription_id: int | None
    request_id: int | None
    message: str
    id: int | None = None

    @property
    def status(self) -> str:
        """``applied`` or ``pending_approval`` (what the page's outcome reports)."""
        return "applied" if self.applied else "pending_approval"


def snapshot(sub: Subscription) -> dict[str, Any]:
    """A subscription's state as its audit events record it."""
    return {"status": sub.status, "plan_version_id": sub.plan_version_id, "seats": sub.seats,
            "billing_interval": sub.billing_interval, "mrr_minor": sub.mrr_minor,
            "current_period_start": sub.current_period_start,
            "current_period_end": sub.current_period_end, "canceled_on": sub.canceled_on,
            "cancel_at_period_end": sub.cancel_at_period_end, "version": sub.version}


def pending_request(session: Session, spec: ChangeSpec) -> ApprovalRequest | None:
    """The change waiting for approval on the same subscription (or a new subscription of the
    same customer), if any."""
    subject = ("subscription", spec.subscription_id) if spec.kind != ChangeKind.NEW \
        else ("customer", spec.customer_id)
    return session.execute(sa.select(ApprovalRequest).where(
        ApprovalRequest.kind == APPROVAL_KIND, ApprovalRequest.status == "pending",
        ApprovalRequest.subject_type == subject[0],
        ApprovalRequest.subject_id == subject[1]).limit(1)).scalar_one_or_none()


def _event(r: Resolved, sub: Subscription, actor: Actor, note: str,
           before: tuple[int, int, str] | None) -> SubscriptionEvent:
    """The change's event; ``before`` is (version, seats, interval) before it (None: new)."""
    return SubscriptionEvent(
        subscription_id=sub.id, customer_id=sub.customer_id, kind=r.event_kind,
        occurred_on=r.event_on, from_version_id=before[0] if before else None,
        to_version_id=sub.plan_version_id, seats_before=before[1] if before else None,
        seats_after=sub.seats, interval_before=before[2] if before else None,
        interval_after=sub.billing_interval, currency=sub.currency,
        mrr_before_minor=r.mrr_before, mrr_after_minor=r.mrr_after,
        mrr_delta_minor=r.mrr_delta,
        churn_reason="voluntary" if r.event_kind == "cancel" else None,
        note=note[:2000], actor_id=actor.user_id)


def apply_resolved(session: Session, r: Resolved, *, actor: Actor, note: str = "") -> Subscription:
    """Apply a worked-out change (the caller checked the permission and the approval).

    Returns:
        The subscription changed (a new one for a new subscription or a reactivation).

    Raises:
        Conflict: an invoice of a period it touches is no longer a draft, or the subscription
            changed since it was read.
    """
    kind = r.spec.kind
    label = CHANGE_LABELS[kind]
    text = note or label
    if r.before is None or kind == ChangeKind.REACTIVATE:
        sub = Subscription(
            customer_id=r.spec.customer_id, plan_id=r.plan_id_after,
            plan_version_id=r.after.plan_version_id, status=r.status_after,
            currency=r.currency, seats=r.after.seats, billing_interval=r.after.billing_interval,
            started_on=r.after.started_on, current_period_start=r.period[0],
            current_period_end=r.period[1], mrr_minor=r.mrr_after)
        session.add(sub)
        session.flush()
        before_state: dict[str, Any] = {}
        if kind == ChangeKind.REACTIVATE and r.before is not None:
            before_state = {"reactivates_subscription_id": r.before.id}
        session.add(_event(r, sub, actor, text, None))
    else:
        sub = r.before
        before_state = snapshot(sub)
        terms = (sub.plan_version_id, sub.seats, sub.billing_interval)
        if kind in _BILLED:
            billing.discard_drafts(session, subscription_id=sub.id, from_day=r.event_on,
                                   actor=actor, reason=f"{label} of subscription {sub.id}")
        values: dict[str, Any] = {
            "plan_id": r.plan_id_after, "plan_version_id": r.after.plan_version_id,
            "seats": r.after.seats, "billing_interval": r.after.billing_interval,
            "status": r.status_after, "canceled_on": r.after.canceled_on,
            "cancel_at_period_end": r.cancel_at_period_end, "mrr_minor": r.mrr_after,
            "current_period_start": r.period[0], "current_period_end": r.period[1]}
        if r.after.plan_version_id != sub.plan_version_id:
            values["grandfathered"] = False
        if kind == ChangeKind.CANCEL_NOW:
            values["churn_reason"] = "voluntary"
        conditional_update(session, sub, expect_version=sub.version, expect_status=sub.status,
                           **values)
        session.add(_event(r, sub, actor, text, terms))
    session.flush()
    customers.refresh_customer(session, sub.customer_id, on=r.event_on)
    record(session, actor=actor, action=f"subscription.{r.event_kind}",
           object_type="subscription", object_id=sub.id, before=before_state,
           after={**snapshot(sub), "effective_on": r.event_on, "mrr_delta_minor": r.mrr_delta,
                  "change": kind.value}, reason=text)
    return sub


def propose_change(session: Session, *, spec: ChangeSpec, actor: Actor, reason: str = "",
                   on: date | None = None, history: bool = False) -> ChangeResult:
    """Apply a change, or ask for its approval when its MRR change is above the threshold.

    Args:
        session: the unit of work.
        spec: the change (:func:`console.subscriptions.queries.resolve.parse_change`).
        actor: who proposes it (``change_subscriptions``; a system actor applies directly).
        reason: why (kept on the audit event and the approval request).
        on: today (tests pass their own).
        history: a system actor (an importer) may start a subscription on any past day.

    Returns:
        Whether it took effect, or the approval request that waits.

    Raises:
        NotAllowed: without the permission.
        FieldErrors, Conflict, NotFound: see :func:`~console.subscriptions.queries.resolve
            .resolve`; a change already waiting for approval on the subscription.
    """
    require(session, actor, Permission.CHANGE_SUBSCRIPTIONS, system=True)
    waiting = pending_request(session, spec)
    if waiting is not None:
        raise Conflict(f"Change request {waiting.id} on this subscription waits for approval; "
                       "approve or reject it first. Nothing was changed.")
    reason = (reason or "").strip()[:2000]
    history = history and actor.is_system
    r = resolve(session, spec, on=on, history=history)
    if not actor.is_system and approval_needed(session, r):
        title = f"{CHANGE_LABELS[spec.kind]} ({version_label(session, r.after.plan_version_id)})"
        subject = ("subscription", spec.subscription_id) if spec.kind != ChangeKind.NEW \
            else ("customer", spec.customer_id)
        req = ApprovalRequest(
            kind=APPROVAL_KIND, subject_type=subject[0], subject_id=subject[1],
            requested_by=actor.user_id, required_role="finance", reason=reason,
            payload={"spec": r.spec.to_json(), "customer_id": spec.customer_id,
                     "title": title, "currency": r.currency, "mrr_before_minor": r.mrr_before,
                     "mrr_after_minor": r.mrr_after, "mrr_delta_minor": r.mrr_delta})
        session.add(req)
        session.flush()
        record(session, actor=actor, action="subscription.change_requested",
               object_type="approval_request", object_id=req.id,
               after={"status": "pending", **req.payload}, reason=reason)
        return ChangeResult(False, spec.subscription_id, req.id,
                            "The MRR change is above the approval threshold: the change waits "
                            "for a finance approval.", req.id)
    r = resolve(session, spec, on=on, store=True, history=history)
    sub = apply_resolved(session, r, actor=actor, note=reason)
    return ChangeResult(True, sub.id, None, f"{CHANGE_LABELS[spec.kind]}: done.", sub.id)


def subscribe(session: Session, *, customer_id: int, plan_id: int, seats: int, interval: str,
              actor: Actor, started_on: date | None = None, reason: str = "") -> ChangeResult:
    """Subscribe a customer to a plan (see :func:`propose_change`).

    Importers call this with a system actor: the subscription may then start on any past day
    (its current period is the one containing today), and no approval is asked.
    """
    return propose_change(session, spec=ChangeSpec(
        ChangeKind.NEW, customer_id, plan_id=plan_id, seats=seats, interval=interval,
        effective_on=started_on), actor=actor, reason=reason, history=True)


# --- page-facing

def _propose_form(session: Session, *, actor: Actor, customer_id: int,
                  form: Mapping[str, Any]) -> ChangeResult:
    spec = parse_change(form, customer_id=customer_id)
    return propose_change(session, spec=spec, actor=actor, reason=str(form.get("reason") or ""))


def propose_view(user_id: int, customer_id: int, form: Mapping[str, Any]) -> Outcome:
    """Page-facing: apply (or send for approval) the change a form describes, as the user.

    The outcome's ``status`` is ``applied`` or ``pending_approval``.
    """
    return act(user_id, _propose_form, done=lambda r: r.message, customer_id=customer_id,
               form=form)
