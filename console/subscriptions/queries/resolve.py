"""A proposed change, checked and worked out: the subscription as it will be, its MRR before and
after, the event the bill run will read. The preview shows it and the use-case applies exactly
it, so what was shown is what happens.

The plan version a customer gets on a plan is the one a running experiment offers them (their
arm's, :func:`console.experiments.offered_version`), else the plan's published version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from console import billing, catalog, experiments
from console.kernel.errors import Conflict, FieldErrors, NotFound
from console.kernel.months import month_start
from console.subscriptions.domain import (
    INTERVALS,
    ChangeKind,
    SubscriptionState,
    check_seats,
    effective_refusal,
    event_kind,
    period_containing,
    refusal,
)
from models import Customer, Plan, PlanVersion, Price, Subscription
from models.types import utcnow

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ChangeSpec:
    """A change as a person asked for it (checked by :func:`parse_change`).

    Attributes:
        kind: what is changed.
        customer_id: the customer.
        subscription_id: the subscription (None for a new one).
        plan_id: the plan to subscribe to or move to (new, plan change, reactivation).
        seats: seats after the change (new, plan change, seat change, reactivation).
        interval: billing interval after the change (new, interval change, reactivation).
        effective_on: the day the change takes effect (a new subscription's first day).
        expected_version: the subscription's version the person saw (None: not checked).
    """

    kind: ChangeKind
    customer_id: int
    subscription_id: int | None = None
    plan_id: int | None = None
    seats: int | None = None
    interval: str | None = None
    effective_on: date | None = None
    expected_version: int | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form (stored on an approval request)."""
        return {"kind": self.kind.value, "customer_id": self.customer_id,
                "subscription_id": self.subscription_id, "plan_id": self.plan_id,
                "seats": self.seats, "interval": self.interval,
                "effective_on": self.effective_on.isoformat() if self.effective_on else None,
                "expected_version": self.expected_version}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChangeSpec:
        """The spec stored by :meth:`to_json`."""
        on = data.get("effective_on")
        return cls(ChangeKind(data["kind"]), int(data["customer_id"]),
                   data.get("subscription_id"), data.get("plan_id"), data.get("seats"),
                   data.get("interval"), date.fromisoformat(on) if on else None,
                   data.get("expected_version"))


def _int(raw: Mapping[str, Any], key: str) -> int | None:
    text = str(raw.get(key) or "").strip()
    return int(text) if text.isdigit() else None


def parse_change(raw: Mapping[str, Any], *, customer_id: int) -> ChangeSpec:
    """Check a change form's fields (kind, subscription, plan, seats, interval, effective day).

    Raises:
        FieldErrors: naming each field that is missing or wrong.
    """
    errors: dict[str, str] = {}
    try:
        kind = ChangeKind(str(raw.get("kind") or ""))
    except ValueError:
        raise FieldErrors({"kind": "choose what to change."}) from None
    sub_id = _int(raw, "subscription_id")
    if kind != ChangeKind.NEW and sub_id is None:
        errors["subscription_id"] = "choose a subscription."
    plan_id = _int(raw, "plan_id")
    if kind in (ChangeKind.NEW, ChangeKind.PLAN) and plan_id is None:
        errors["plan_id"] = "choose a plan."
    seats = None
    if kind in (ChangeKind.NEW, ChangeKind.SEATS, ChangeKind.PLAN, ChangeKind.REACTIVATE) \
            and str(raw.get("seats") or "").strip():
        try:
            seats = check_seats(raw.get("seats"))
        except ValueError as exc:
            errors["seats"] = str(exc)
    elif kind in (ChangeKind.NEW, ChangeKind.SEATS):
        errors["seats"] = "enter the number of seats."
    interval = str(raw.get("interval") or "").strip() or None
    if kind in (ChangeKind.NEW, ChangeKind.INTERVAL) and interval not in INTERVALS:
        errors["interval"] = "choose monthly or yearly billing."
    on_text = str(raw.get("effective_on") or "").strip()
    effective_on = None
    if on_text:
        try:
            effective_on = date.fromisoformat(on_text)
        except ValueError:
            errors["effective_on"] = "a date like 2026-12-03."
    if errors:
        raise FieldErrors(errors)
    return ChangeSpec(kind, customer_id, sub_id, plan_id, seats, interval, effective_on,
                      _int(raw, "expected_version"))


@dataclass(frozen=True)
class Resolved:
    """A change worked out against the database as it is now.

    Attributes:
        spec: the change asked for (``effective_on`` filled in).
        customer: the customer's id, currency, region and segment.
        before: the subscription before (None for a new subscription).
        after: the subscription's terms after, as billing reads them.
        status_after: the status after.
        plan_id_after: the plan after.
        cancel_at_period_end: the flag after.
        mrr_before / mrr_after: MRR in minor units of the customer's currency.
        event_kind: the ``subscription_event.kind`` it writes.
        event_on: the event's day (the day the change takes effect).
        change: the event as the bill run reads it (None when it changes no billed terms).
        period: the billing period the subscription is in after the change.
    """

    spec: ChangeSpec
    currency: str
    region: str
    segment: str
    before: Subscription | None
    after: billing.SubscriptionAfter
    status_after: str
    plan_id_after: int
    cancel_at_period_end: bool
    mrr_before: int
    mrr_after: int
    event_kind: str
    event_on: date
    change: billing.VersionChange | None
    period: tuple[date, date]
    notes: list[str] = field(default_factory=list)

    @property
    def mrr_delta(self) -> int:
        """MRR after minus MRR before."""
        return self.mrr_after - self.mrr_before


def today() -> date:
    """Today, UTC."""
    return utcnow().date()


def version_for(session: Session, *, plan_id: int, customer_id: int, store: bool = False
                ) -> int:
    """The plan version a customer subscribing to (or renewing on) ``plan_id`` gets: their
    experiment arm's when a running experiment enrols them, else the published one.

    Raises:
        FieldErrors: on ``plan_id`` when the plan has no published version.
    """
    offered = experiments.offered_version(session, plan_id=plan_id, customer_id=customer_id,
                                          store=store)
    if offered is not None:
        return offered
    published = session.execute(
        sa.select(PlanVersion.id).where(PlanVersion.plan_id == plan_id,
                                        PlanVersion.status == "published")
        .order_by(PlanVersion.number.desc()).limit(1)).scalar_one_or_none()
    if published is None:
        raise FieldErrors({"plan_id": "this plan has no published version to subscribe to."})
    return int(published)


def intervals_priced(session: Session, version_id: int, currency: str) -> set[str]:
    """The billing intervals a version prices its recurring or seat fees at, in a currency."""
    return set(session.execute(sa.select(Price.billing_interval).distinct().where(
        Price.plan_version_id == version_id, Price.currency == currency,
        Price.kind.in_(("recurring", "seat")))).scalars())


def mrr_of(session: Session, *, version_id: int, seats: int, interval: str,
           customer: Customer) -> int:
    """MRR of a subscription with these terms (:func:`console.catalog.subscription_mrr_minor`)."""
    return catalog.subscription_mrr_minor(
        catalog.price_specs(session, version_id), seats, customer.currency, interval,
        region=customer.region, segment=customer.segment)


def earliest_day(session: Session, sub: Subscription | None, *, on: date) -> date:
    """The first day a change may take effect: this month, after the subscription's start and
    after every invoice of it that can no longer be redrafted."""
    first = month_start(on)
    if sub is None:
        return first
    locked = billing.locked_until(session, sub.id)
    candidates = [first, sub.started_on] + ([locked + ONE_DAY] if locked else [])
    return max(candidates)


def _check_plan(session: Session, plan_id: int) -> None:
    if session.get(Plan, plan_id) is None:
        raise FieldErrors({"plan_id": "no such plan."})


def resolve(session: Session, spec: ChangeSpec, *, on: date | None = None,
            store: bool = False, history: bool = False) -> Resolved:
    """Work out a change against the database as it is now (nothing is written).

    Args:
        session: any session.
        spec: the change (``effective_on`` None: today).
        on: today (tests pass their own).
        store: store an experiment assignment the change makes (the use-case applying it;
            a preview stores nothing).
        history: a new subscription may start on any past day (importers); its current
            period is then the one containing ``on``.

    Returns:
        The change worked out.

    Raises:
        NotFound: unknown customer or subscription.
        FieldErrors: a field that does not fit (plan without a published version, a day
            outside what may change, an interval the plan does not price, nothing changed).
        Conflict: the subscription's state forbids the change, or it changed since it was
            read (``expected_version``).
    """
    on = on or today()
    customer = session.get(Customer, spec.customer_id)
    if customer is None:
        raise NotFound(f"No customer with id {spec.customer_id}.")
    sub = None
    if spec.subscription_id is not None and spec.kind != ChangeKind.NEW:
        sub = session.get(Subscription, spec.subscription_id)
        if sub is None or sub.customer_id != customer.id:
            raise NotFound("No such subscription for this customer.")
        if spec.expected_version is not None and sub.version != spec.expected_version:
            raise Conflict("This subscription was changed by someone else; reload to see the "
                           "change. Nothing was changed.")
    state = None if sub is None else SubscriptionState(
        sub.status, sub.cancel_at_period_end, sub.started_on, sub.current_period_end)
    why = refusal(spec.kind, state)
    if why:
        raise Conflict(f"{why} Nothing was changed.")
    day = spec.effective_on or on
    if spec.kind in (ChangeKind.CANCEL_AT_PERIOD_END, ChangeKind.UNDO_CANCEL):
        day = on
    elif spec.kind not in (ChangeKind.NEW, ChangeKind.REACTIVATE):
        why = effective_refusal(day, today=on, earliest=earliest_day(session, sub, on=on))
        if why:
            raise FieldErrors({"effective_on": why})
    else:
        earliest = date.min if history and spec.kind == ChangeKind.NEW else month_start(on)
        why = effective_refusal(day, today=on, earliest=earliest)
        if why:
            raise FieldErrors({"effective_on": why})
    if spec.kind in (ChangeKind.NEW, ChangeKind.REACTIVATE):
        return _resolve_start(session, spec, customer, sub, day, store, on)
    return _resolve_change(session, spec, customer, sub, day, store)


def _resolve_start(session: Session, spec: ChangeSpec, customer: Customer,
                   old: Subscription | None, day: date, store: bool, on: date) -> Resolved:
    plan_id = spec.plan_id or (old.plan_id if old else None)
    if plan_id is None:
        raise FieldErrors({"plan_id": "choose a plan."})
    _check_plan(session, plan_id)
    version = version_for(session, plan_id=plan_id, customer_id=customer.id, store=store)
    seats = spec.seats or (old.seats if old else 1)
    interval = spec.interval or (old.billing_interval if old else "month")
    if interval not in intervals_priced(session, version, customer.currency):
        raise FieldErrors({"interval": f"the plan has no {interval}ly price in "
                                       f"{customer.currency}."})
    mrr = mrr_of(session, version_id=version, seats=seats, interval=interval, customer=customer)
    after = billing.SubscriptionAfter(None, customer.id, version, seats, interval, day)
    return Resolved(spec=_with_day(spec, day), currency=customer.currency,
                    region=customer.region, segment=customer.segment, before=None,
                    after=after, status_after="active", plan_id_after=plan_id,
                    cancel_at_period_end=False, mrr_before=0, mrr_after=mrr,
                    event_kind=spec.kind.value, event_on=day, change=None,
                    period=period_containing(on, interval=interval, started_on=day))


def _with_day(spec: ChangeSpec, day: date) -> ChangeSpec:
    return ChangeSpec(spec.kind, spec.customer_id, spec.subscription_id, spec.plan_id,
                      spec.seats, spec.interval, day, spec.expected_version)


def _resolve_change(session: Session, spec: ChangeSpec, customer: Customer, sub: Subscription,
                    day: date, store: bool) -> Resolved:
    kind = spec.kind
    version, seats, interval = sub.plan_version_id, sub.seats, sub.billing_interval
    plan_id, status, canceled_on, flag = sub.plan_id, sub.status, None, sub.cancel_at_period_end
    if kind == ChangeKind.PLAN:
        _check_plan(session, spec.plan_id)
        plan_id = spec.plan_id
        version = version_for(session, plan_id=plan_id, customer_id=customer.id, store=store)
        seats = spec.seats or seats
        if version == sub.plan_version_id and seats == sub.seats:
            raise FieldErrors({"plan_id": "the subscription is on this plan version already."})
        if interval not in intervals_priced(session, version, customer.currency):
            raise FieldErrors({"plan_id": f"this plan has no {interval}ly price in "
                                          f"{customer.currency}; change the interval first."})
    elif kind == ChangeKind.SEATS:
        seats = spec.seats or seats
        if seats == sub.seats:
            raise FieldErrors({"seats": f"the subscription has {seats} seats already."})
    elif kind == ChangeKind.INTERVAL:
        interval = spec.interval or interval
        if interval == sub.billing_interval:
            raise FieldErrors({"interval": f"it is billed per {interval} already."})
        if interval not in intervals_priced(session, version, customer.currency):
            raise FieldErrors({"interval": f"its plan version has no {interval}ly price in "
                                           f"{customer.currency}."})
    elif kind == ChangeKind.CANCEL_NOW:
        status, canceled_on, flag = "canceled", day - ONE_DAY, False
    elif kind == ChangeKind.CANCEL_AT_PERIOD_END:
        flag = True
    elif kind == ChangeKind.UNDO_CANCEL:
        flag = False
    before = sub.mrr_minor
    live = status in ("active", "past_due")
    after_mrr = mrr_of(session, version_id=version, seats=seats, interval=interval,
                       customer=customer) if live else 0
    if kind in (ChangeKind.CANCEL_AT_PERIOD_END, ChangeKind.UNDO_CANCEL):
        after_mrr = before
    change = None
    if kind in (ChangeKind.PLAN, ChangeKind.SEATS, ChangeKind.INTERVAL):
        change = billing.VersionChange(day, sub.plan_version_id, version, sub.seats, seats,
                                       sub.billing_interval, interval)
    period = (sub.current_period_start, sub.current_period_end)
    if kind == ChangeKind.INTERVAL:
        period = period_containing(day, interval=interval, started_on=sub.started_on)
    after = billing.SubscriptionAfter(sub.id, customer.id, version, seats, interval,
                                      sub.started_on, canceled_on, change)
    return Resolved(spec=_with_day(spec, day), currency=customer.currency,
                    region=customer.region, segment=customer.segment, before=sub, after=after,
                    status_after=status, plan_id_after=plan_id, cancel_at_period_end=flag,
                    mrr_before=before, mrr_after=after_mrr,
                    event_kind=event_kind(kind, mrr_before=before, mrr_after=after_mrr),
                    event_on=day, change=change, period=period)
