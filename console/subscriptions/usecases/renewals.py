"""Renewals: time moving for subscriptions (the ``renewals`` job).

At the end of its current period a live subscription renews: its period advances by its billing
interval (a calendar month, or a subscription year for annual plans), catching up period by
period after downtime. At that moment:

* a subscription set to cancel at the period end ends instead (status ``canceled``, its last
  day the period's last day, a ``cancel`` event with the MRR it loses);
* a running experiment that enrols the customer on the plan gives them their arm's version,
  and a concluded experiment whose conclusion moves the losing arms does so
  (:func:`console.experiments.renewal_version`);
* a trial ends and the subscription starts billing.

Each renewal is one conditional update (``WHERE id = ? AND version = ? AND
current_period_end = ?``): two workers renewing at once renew each subscription exactly once;
the loser's update matches nothing and it moves on. Each writes a ``renewal`` (or ``cancel``)
subscription event and an audit event. Scheduled plan migrations whose day is the renewal day
are applied by the ``plan-migrations`` job; the MRR ledger follows (``mrr-ledger`` job).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from console import customers, experiments
from console.audit import AuditItem, record_many
from console.kernel.actor import Actor
from console.kernel.conditional import try_conditional_update
from console.subscriptions.domain import next_period, period_containing
from console.subscriptions.queries.resolve import mrr_of
from console.subscriptions.usecases.changes import snapshot
from models import Customer, Subscription, SubscriptionEvent
from models.db import read_session, unit_of_work

ONE_DAY = timedelta(days=1)
RENEWING = ("active", "past_due", "trialing")


@dataclass(frozen=True)
class RenewalRun:
    """What one pass of renewals did."""

    renewed: int
    ended: int
    moved: int
    trials_converted: int
    skipped: int

    def summary(self) -> str:
        """One line for the Jobs page."""
        return (f"{self.renewed} renewal(s), {self.ended} ended at period end, "
                f"{self.moved} moved to an experiment's version, {self.trials_converted} "
                f"trial(s) converted, {self.skipped} changed meanwhile (left alone)")


@dataclass
class _Tally:
    renewed: int = 0
    ended: int = 0
    moved: int = 0
    converted: int = 0
    skipped: int = 0


def _event(sub: Subscription, *, kind: str, on: date, from_v: int, mrr_before: int,
           seats: int, note: str, churn_reason: str | None = None) -> SubscriptionEvent:
    return SubscriptionEvent(
        subscription_id=sub.id, customer_id=sub.customer_id, kind=kind, occurred_on=on,
        from_version_id=from_v, to_version_id=sub.plan_version_id, seats_before=seats,
        seats_after=sub.seats, interval_before=sub.billing_interval,
        interval_after=sub.billing_interval, currency=sub.currency,
        mrr_before_minor=mrr_before, mrr_after_minor=sub.mrr_minor,
        mrr_delta_minor=sub.mrr_minor - mrr_before, churn_reason=churn_reason, note=note)


def _end(session: Session, sub: Subscription, end: date, audits: list[AuditItem]) -> bool:
    before, mrr = snapshot(sub), sub.mrr_minor
    if not try_conditional_update(session, sub, expect_status=sub.status,
                                  where=[Subscription.current_period_end == end],
                                  status="canceled", canceled_on=end, churn_reason="voluntary",
                                  cancel_at_period_end=False, mrr_minor=0):
        return False
    session.add(_event(sub, kind="cancel", on=end + ONE_DAY, from_v=sub.plan_version_id,
                       mrr_before=mrr, seats=sub.seats, churn_reason="voluntary",
                       note=f"Ended at the end of its period ({end.isoformat()}), as asked."))
    audits.append(AuditItem(action="subscription.cancel", object_type="subscription",
                            object_id=sub.id, before=before, after=snapshot(sub),
                            reason="canceled at period end"))
    return True


def _renew_once(session: Session, sub: Subscription, customer: Customer, tally: _Tally,
                audits: list[AuditItem]) -> bool:
    """Advance one period (or end it); False when someone else changed the subscription."""
    end = sub.current_period_end
    if sub.cancel_at_period_end:
        if not _end(session, sub, end, audits):
            return False
        tally.ended += 1
        return True
    trial = sub.status == "trialing"
    day = end + ONE_DAY
    started_on = day if trial else sub.started_on
    if trial:
        start, new_end = period_containing(day, interval=sub.billing_interval,
                                           started_on=started_on)
    else:
        start, new_end = next_period(end, interval=sub.billing_interval,
                                     started_on=started_on)
    target = experiments.renewal_version(session, plan_id=sub.plan_id, customer_id=customer.id,
                                         current_version_id=sub.plan_version_id)
    version = target or sub.plan_version_id
    from_v, mrr_before, before = sub.plan_version_id, sub.mrr_minor, snapshot(sub)
    mrr = sub.mrr_minor
    if target is not None or trial:
        mrr = mrr_of(session, version_id=version, seats=sub.seats,
                     interval=sub.billing_interval, customer=customer)
    values = {"current_period_start": start, "current_period_end": new_end,
              "plan_version_id": version, "mrr_minor": mrr,
              "status": "active" if trial else sub.status, "started_on": started_on}
    if target is not None:
        values["grandfathered"] = False
    if not try_conditional_update(session, sub, expect_status=sub.status,
                                  where=[Subscription.current_period_end == end], **values):
        return False
    note = "Renewed for " + (f"{start.isoformat()} – {new_end.isoformat()}")
    if trial:
        note = f"Trial ended; billed from {start.isoformat()}."
        tally.converted += 1
    if target is not None:
        note += " Moved to the plan version of the customer's experiment arm."
        tally.moved += 1
    session.add(_event(sub, kind="renewal", on=day, from_v=from_v, mrr_before=0 if trial
                       else mrr_before, seats=sub.seats, note=note))
    audits.append(AuditItem(action="subscription.renew", object_type="subscription",
                            object_id=sub.id, before=before, after=snapshot(sub), reason=note))
    tally.renewed += 1
    return True


def renew_subscription(session: Session, subscription_id: int, *, today: date,
                       tally: _Tally, audits: list[AuditItem]) -> None:
    """Renew one subscription period by period until its period contains ``today``."""
    sub = session.get(Subscription, subscription_id)
    if sub is None:
        return
    customer = session.get(Customer, sub.customer_id)
    mrr_before, status_before, last_day = sub.mrr_minor, sub.status, None
    while sub.status in RENEWING and sub.current_period_end < today:
        last_day = sub.current_period_end + ONE_DAY
        if not _renew_once(session, sub, customer, tally, audits):
            tally.skipped += 1
            return
    session.flush()
    if last_day is not None and (sub.mrr_minor != mrr_before or sub.status != status_before):
        customers.refresh_customer(session, sub.customer_id, on=last_day)


def renew_due(*, now: datetime, actor: Actor, batch: int = 200) -> RenewalRun:
    """Renew every live subscription whose period ended before ``now``'s day.

    Args:
        now: the clock (UTC).
        actor: who runs it (the job's system actor).
        batch: subscriptions per transaction.

    Returns:
        What was done; running it again at the same ``now`` does nothing.
    """
    today = now.date()
    with read_session() as s:
        ids = s.execute(sa.select(Subscription.id).where(
            Subscription.status.in_(RENEWING), Subscription.current_period_end < today)
            .order_by(Subscription.id)).scalars().all()
    tally = _Tally()
    for i in range(0, len(ids), batch):
        audits: list[AuditItem] = []
        with unit_of_work() as s:
            for sid in ids[i:i + batch]:
                renew_subscription(s, sid, today=today, tally=tally, audits=audits)
            if audits:
                record_many(s, actor=actor, items=audits)
    return RenewalRun(tally.renewed, tally.ended, tally.moved, tally.converted, tally.skipped)
