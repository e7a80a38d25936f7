"""Building a subscription's invoice lines for a billing period (pure, no I/O).

Rules (what a finance reviewer sees on a draft):

* **Fee periods.** A monthly recurring or seat price has the billing period as its fee
  period; a yearly price has the subscription year (anniversary to the day before the next).
* **In advance** (``price.pay_in_advance``): a fee period is charged in full on the invoice
  whose period contains its first day. When the subscription starts inside it, only the days
  from the start are charged (proration). When the version changes (upgrade/downgrade) or the
  subscription is canceled inside it, the unused part of the old version is credited
  (``proration_credit``) and the new version is charged for the rest (``proration_charge``).
* **In arrears**: the days actually used in the period are charged at the end (prorated when
  the subscription started, changed or was canceled inside the period); a yearly price is
  charged when its subscription year ends or the version ends.
* **Usage** is always in arrears: the period's aggregated units per meter are rated with the
  usage price of the version in force at the end of the active days.
* **Minimums**: a usage price with ``minimum_minor``/``commit_minor`` (the larger counts) adds
  a ``true_up`` line when its charge falls short; the minimum is prorated to the active days.
* **One-time** prices are charged on the invoice of the period in which the subscription
  started.
* ``canceled_on`` is the subscription's last active day (inclusive).

Amounts are rounded once per line: a full fee with :func:`console.money.round_minor`, a
partial one by :func:`console.pricing.prorate` of the full fee.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from console.billing.domain.lines import LineDraft, LineKind, quantity_text
from console.billing.domain.periods import (
    ONE_DAY,
    Boundary,
    Period,
    VersionChange,
    VersionSpan,
    active_window,
    subscription_year,
    version_spans,
)
from console.money import major_text, round_minor
from console.pricing import breakdown, prorate, rate, true_up
from console.pricing.exact import exact


class Rater:
    """Rates prices with :func:`console.pricing.rate` and :func:`console.pricing.breakdown`,
    remembering results per (price, units, events, currency).

    A bill run rates the same fee for thousands of subscriptions; one ``Rater`` per run turns
    those repeats into lookups. Prices are identified by id, so use a new ``Rater`` per run.
    """

    def __init__(self) -> None:
        self._memo: dict[tuple[Any, ...], tuple[Decimal, tuple[str, ...]]] = {}

    def __call__(self, price: PriceTerm, units: Decimal, currency: str, *,
                 event_units: tuple[Decimal, ...] | None = None,
                 labels: bool = True) -> tuple[Decimal, tuple[str, ...]]:
        """``(unrounded amount, breakdown labels)`` of ``price`` for ``units``."""
        key = (price.id, units, event_units, currency, labels)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        if labels:
            # The breakdown's rows add up exactly to rate() (console.pricing's documented
            # invariant), so one parse of the properties gives both.
            charged = breakdown(price.charge_model, price.properties, units,
                                event_units=event_units, currency=currency)
            with exact():
                amount = sum((r.amount for r in charged), Decimal(0))
            rows = tuple(r.label for r in charged)
        else:
            amount = rate(price.charge_model, price.properties, units, event_units=event_units)
            rows = ()
        if len(self._memo) > 200_000:
            self._memo.clear()
        self._memo[key] = (amount, rows)
        return amount, rows


@dataclass(frozen=True)
class PriceTerm:
    """One rate-card row, as the line builder needs it."""

    id: int
    name: str
    kind: str
    charge_model: str
    properties: Mapping[str, Any]
    currency: str
    billing_interval: str = "month"
    pay_in_advance: bool = True
    meter_id: int | None = None
    region: str | None = None
    segment: str | None = None
    minimum_minor: int | None = None
    commit_minor: int | None = None
    position: int = 0


@dataclass(frozen=True)
class MeterInfo:
    """A meter's display data."""

    id: int
    name: str
    unit: str = "unit"


@dataclass(frozen=True)
class MeterUsage:
    """A customer's aggregated usage of one meter in the period.

    Attributes:
        meter_id: the meter.
        units: aggregated units (by the meter's aggregation).
        events: number of events.
        first_at: first event's time.
        last_at: last event's time.
        event_units: each event's quantity in order (percentage charges only).
    """

    meter_id: int
    units: Decimal
    events: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    event_units: tuple[Decimal, ...] | None = None


@dataclass(frozen=True)
class SubscriptionTerms:
    """What the line builder needs to know about a subscription."""

    subscription_id: int
    currency: str
    region: str
    segment: str
    seats: int
    started_on: date
    canceled_on: date | None
    current_version_id: int
    changes: tuple[VersionChange, ...] = ()
    interval: str = "month"


@dataclass(frozen=True)
class DraftLines:
    """The lines of one draft invoice before tax and prepaid credit.

    Attributes:
        lines: the lines, in invoice order.
        plan_version_id: the version in force at the end of the active days.
        missing_prices: rate-card rows with no price in the customer's currency.
        active: the days of the period the subscription was active (None: none).
    """

    lines: tuple[LineDraft, ...]
    plan_version_id: int
    missing_prices: tuple[str, ...] = ()
    active: Period | None = None
    meter_units: Mapping[int, Decimal] = field(default_factory=dict)


def select_prices(prices: Sequence[PriceTerm], *, currency: str, region: str, segment: str,
                  interval: str | None = None) -> tuple[list[PriceTerm], list[str]]:
    """Pick, per rate-card row, the price in the customer's currency and dimensions.

    Rows are grouped by (kind, meter, name). Within a group a price matches when its currency
    is the customer's and its region/segment are empty or the customer's; a price billed at
    the subscription's ``interval`` wins over one billed at another (a version may price the
    same fee per month and per year), then the most specific match (then the lowest position
    and id), as :func:`console.catalog.domain.ratecard.select_prices` chooses for MRR.

    Returns:
        ``(chosen prices in rate-card order, names of rows with no price in the currency)``.
    """
    groups: dict[tuple[str, int | None, str], list[PriceTerm]] = {}
    for price in prices:
        groups.setdefault((price.kind, price.meter_id, price.name), []).append(price)
    chosen: list[PriceTerm] = []
    unmatched: list[tuple[str, int | None, str]] = []
    for key, group in groups.items():
        fits = [p for p in group if p.currency == currency
                and p.region in (None, "", region) and p.segment in (None, "", segment)]
        if not fits:
            unmatched.append(key)
            continue
        chosen.append(min(fits, key=lambda p: (p.billing_interval != interval,
                                               -(bool(p.region) + bool(p.segment)),
                                               p.position, p.id)))
    covered = {(p.kind, p.meter_id) for p in chosen}
    missing = sorted({name for kind, meter, name in unmatched if (kind, meter) not in covered})
    chosen.sort(key=lambda p: (p.position, p.id))
    return chosen, missing


def build_lines(
    terms: SubscriptionTerms,
    *,
    period: Period,
    prices_by_version: Mapping[int, Sequence[PriceTerm]],
    meters: Mapping[int, MeterInfo],
    usage: Mapping[int, MeterUsage],
    rater: Rater | None = None,
) -> DraftLines:
    """All lines of one subscription's invoice for ``period`` (before tax and credit).

    Args:
        terms: the subscription.
        period: the billing period.
        prices_by_version: plan version id -> its price rows (all currencies).
        meters: meter id -> display data.
        usage: meter id -> the customer's aggregated usage in the period.
        rater: a shared :class:`Rater` (bill runs pass one per run).

    Returns:
        The draft lines and what the review flags need.
    """
    rater = rater or Rater()
    spans = version_spans(period, started_on=terms.started_on, canceled_on=terms.canceled_on,
                          current_version_id=terms.current_version_id, changes=terms.changes,
                          current_seats=terms.seats, current_interval=terms.interval)
    window = active_window(period, started_on=terms.started_on, canceled_on=terms.canceled_on)
    lines: list[LineDraft] = []
    missing: set[str] = set()
    final_version = spans[-1].version_id if spans else terms.current_version_id
    final_interval = (spans[-1].interval if spans else None) or terms.interval
    runs = _runs_without_seats(spans)
    for i, span in enumerate(spans):
        chosen, lacking = select_prices(prices_by_version.get(span.version_id, ()),
                                        currency=terms.currency, region=terms.region,
                                        segment=terms.segment,
                                        interval=span.interval or terms.interval)
        missing.update(lacking)
        for price in chosen:
            if price.kind == LineKind.SEAT:
                lines.extend(fee_lines(price, span=span, period=period, terms=terms,
                                       rater=rater, seats=span.seats))
            elif price.kind == LineKind.RECURRING and i in runs:
                # A seat change does not split a fee that does not depend on seats.
                lines.extend(fee_lines(price, span=runs[i], period=period, terms=terms,
                                       rater=rater, seats=span.seats))
            elif price.kind == LineKind.ONE_TIME and span.start == terms.started_on:
                lines.append(_one_time_line(price, terms, rater))
    meter_units: dict[int, Decimal] = {}
    if window is not None:
        chosen, _ = select_prices(prices_by_version.get(final_version, ()),
                                  currency=terms.currency, region=terms.region,
                                  segment=terms.segment, interval=final_interval)
        for price in chosen:
            if price.kind != LineKind.USAGE or price.meter_id is None:
                continue
            meter = meters.get(price.meter_id, MeterInfo(price.meter_id, f"meter {price.meter_id}"))
            got = usage.get(price.meter_id)
            meter_units[price.meter_id] = got.units if got else Decimal(0)
            lines.extend(usage_lines(price, meter=meter, usage=got, period=period,
                                     active=window, currency=terms.currency, rater=rater))
    return DraftLines(tuple(lines), final_version, tuple(sorted(missing)), window, meter_units)


def _runs_without_seats(spans: Sequence[VersionSpan]) -> dict[int, VersionSpan]:
    """Consecutive spans with the same version and interval merged (seats ignored), keyed by
    the index of each run's first span."""
    runs: dict[int, VersionSpan] = {}
    first = 0
    for i, span in enumerate(spans):
        head = spans[first]
        if i and (span.version_id, span.interval) == (head.version_id, head.interval):
            runs[first] = VersionSpan(head.version_id, head.start, span.end, head.begins_by,
                                      span.ends_by, head.seats, head.interval)
            continue
        first = i
        runs[i] = span
    return runs


def _units(price: PriceTerm, seats: int) -> Decimal:
    return Decimal(seats) if price.kind == LineKind.SEAT else Decimal(1)


def _title(price: PriceTerm, seats: int) -> str:
    if price.kind == LineKind.SEAT:
        return f"{price.name} × {seats} {'seat' if seats == 1 else 'seats'}"
    return price.name


def _unit_amount(price: PriceTerm, units: Decimal, amount: Decimal) -> str:
    if price.charge_model == "standard":
        return quantity_text(Decimal(str(price.properties.get("amount", "0"))))
    if not units:
        return "0"
    return quantity_text((amount / units).quantize(Decimal(1).scaleb(-6)))


def fee_lines(price: PriceTerm, *, span: VersionSpan, period: Period, terms: SubscriptionTerms,
              rater: Rater | None = None, seats: int | None = None) -> list[LineDraft]:
    """Recurring or seat lines of one price over one span (see the module rules).

    ``seats`` are the seats in force during the span (None: the subscription's).
    """
    seats = terms.seats if seats is None else seats
    units = _units(price, seats)
    amount, rows = (rater or Rater())(price, units, terms.currency)
    full_minor = round_minor(amount, terms.currency)
    base = _FeeLine(price=price, title=_title(price, seats), units=units,
                    unit_amount=_unit_amount(price, units, amount), full_minor=full_minor,
                    rows=rows)
    if price.billing_interval == "year":
        return _yearly(base, span=span, period=period, started_on=terms.started_on)
    return _monthly(base, span=span, period=period)


@dataclass(frozen=True)
class _FeeLine:
    price: PriceTerm
    title: str
    units: Decimal
    unit_amount: str
    full_minor: int
    rows: tuple[str, ...]

    def full(self, fee: Period) -> LineDraft:
        kind = LineKind.SEAT if self.price.kind == LineKind.SEAT else LineKind.RECURRING
        timing = "in advance" if self.price.pay_in_advance else "in arrears"
        return LineDraft(kind=kind, description=f"{self.title} ({fee.label()}, {timing})",
                         amount_minor=self.full_minor, quantity=quantity_text(self.units),
                         unit_amount=self.unit_amount, breakdown=self.rows, price_id=self.price.id)

    def part(self, fee: Period, days: Period, *, credit: bool) -> LineDraft | None:
        share = prorate(self.full_minor, period_start=fee.start, period_end=fee.end,
                        active_from=days.start, active_to=days.end)
        if not share:
            return None
        note = f"{days.days}/{fee.days} days of {fee.label()}"
        if credit:
            return LineDraft(kind=LineKind.PRORATION_CREDIT,
                             description=f"Unused {self.title} ({days.label()})",
                             amount_minor=-share, quantity=quantity_text(self.units),
                             unit_amount=self.unit_amount,
                             breakdown=(*self.rows, f"credit {note}"), price_id=self.price.id)
        return LineDraft(kind=LineKind.PRORATION_CHARGE,
                         description=f"{self.title} ({days.label()}, prorated)",
                         amount_minor=share, quantity=quantity_text(self.units),
                         unit_amount=self.unit_amount, breakdown=(*self.rows, f"charge {note}"),
                         price_id=self.price.id)


def _keep(*lines: LineDraft | None) -> list[LineDraft]:
    return [line for line in lines if line is not None]


def _monthly(fee: _FeeLine, *, span: VersionSpan, period: Period) -> list[LineDraft]:
    begins_late = span.start > period.start
    ends_early = span.end < period.end
    if not fee.price.pay_in_advance:
        if not begins_late and not ends_early:
            return [fee.full(period)]
        return _keep(fee.part(period, Period(span.start, span.end), credit=False))
    out: list[LineDraft | None] = []
    if begins_late:
        out.append(fee.part(period, Period(span.start, period.end), credit=False))
    else:
        out.append(fee.full(period))
    if ends_early:
        out.append(fee.part(period, Period(span.end + ONE_DAY, period.end), credit=True))
    return _keep(*out)


def _yearly(fee: _FeeLine, *, span: VersionSpan, period: Period, started_on: date
            ) -> list[LineDraft]:
    out: list[LineDraft | None] = []
    first_year = subscription_year(started_on, span.start)
    if fee.price.pay_in_advance:
        if span.begins_by == Boundary.CHANGE and span.start != first_year.start:
            out.append(fee.part(first_year, Period(span.start, first_year.end), credit=False))
        year = (first_year if first_year.start >= span.start
                else subscription_year(started_on, first_year.end + ONE_DAY))
        while year.start <= span.end:
            out.append(fee.full(year))
            year = subscription_year(started_on, year.end + ONE_DAY)
        if span.ends_by != Boundary.PERIOD:
            last_year = subscription_year(started_on, span.end)
            if span.end != last_year.end:
                out.append(fee.part(last_year, Period(span.end + ONE_DAY, last_year.end),
                                    credit=True))
        return _keep(*out)
    # In arrears: charge each subscription year that ends inside the span, and the used part
    # of the year when the version ends (change or cancel) before the year does.
    year = first_year
    from_day = span.start if span.begins_by == Boundary.CHANGE else year.start
    while year.start <= span.end:
        if year.end <= span.end:
            if from_day <= year.start:
                out.append(fee.full(year))
            else:
                out.append(fee.part(year, Period(from_day, year.end), credit=False))
        elif span.ends_by != Boundary.PERIOD:
            out.append(fee.part(year, Period(max(from_day, year.start), span.end), credit=False))
        year = subscription_year(started_on, year.end + ONE_DAY)
        from_day = year.start
    return _keep(*out)


def _one_time_line(price: PriceTerm, terms: SubscriptionTerms, rater: Rater) -> LineDraft:
    amount, rows = rater(price, Decimal(1), terms.currency)
    return LineDraft(kind=LineKind.ONE_TIME, description=price.name,
                     amount_minor=round_minor(amount, terms.currency), quantity="1",
                     unit_amount=_unit_amount(price, Decimal(1), amount), breakdown=rows,
                     price_id=price.id)


def usage_lines(price: PriceTerm, *, meter: MeterInfo, usage: MeterUsage | None, period: Period,
                active: Period, currency: str, rater: Rater | None = None) -> list[LineDraft]:
    """The usage line of one metered price (skipped when nothing is due) and its true-up.

    Args:
        price: the usage price.
        meter: the meter's display data.
        usage: the period's aggregated usage (None: no events).
        period: the billing period.
        active: the days the subscription was active (prorates the minimum).
        currency: the invoice currency.
        rater: a shared :class:`Rater`.

    Returns:
        Zero, one or two lines.
    """
    units = usage.units if usage else Decimal(0)
    events = usage.event_units if usage else None
    amount, rows = (rater or Rater())(price, units, currency, event_units=events)
    amount_minor = round_minor(amount, currency)
    out: list[LineDraft] = []
    if units or amount_minor:
        out.append(LineDraft(
            kind=LineKind.USAGE,
            description=f"{meter.name}: {quantity_text(units)} {meter.unit} ({period.label()})",
            amount_minor=amount_minor, quantity=quantity_text(units),
            unit_amount=_unit_amount(price, units, amount), breakdown=rows, price_id=price.id,
            meter_id=price.meter_id, usage_from=usage.first_at if usage else None,
            usage_to=usage.last_at if usage else None))
    floor = max(price.minimum_minor or 0, price.commit_minor or 0)
    if floor > 0:
        if active != period:
            floor = prorate(floor, period_start=period.start, period_end=period.end,
                            active_from=active.start, active_to=active.end)
        short = true_up(charged_minor=amount_minor, minimum_minor=floor)
        if short:
            out.append(LineDraft(
                kind=LineKind.TRUE_UP,
                description=f"Minimum commitment true-up for {price.name}",
                amount_minor=short, quantity="1", unit_amount=major_text(short, currency),
                breakdown=(f"minimum {major_text(floor, currency)} - charged "
                           f"{major_text(amount_minor, currency)} = "
                           f"{major_text(short, currency)}",),
                price_id=price.id, meter_id=price.meter_id))
    return out
