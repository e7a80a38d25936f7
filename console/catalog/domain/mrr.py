"""Monthly recurring revenue of a subscription on a plan version (usage excluded)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, localcontext

from console.catalog.domain.ratecard import Interval, PriceKind, PriceSpec, select_prices
from console.money import round_minor
from console.pricing import rate

_MONTHS_PER_INTERVAL = {Interval.MONTH: 1, Interval.YEAR: 12}


def recurring_charge(price: PriceSpec, *, seats: int) -> Decimal:
    """Unrounded charge of one recurring or seat row for one billing period.

    A recurring row is rated at one unit, a seat row at ``seats`` units (so graduated or
    volume seat pricing works); usage and one-time rows are not recurring and give 0.
    """
    if price.kind == PriceKind.RECURRING:
        return rate(price.charge_model, price.properties, Decimal(1))
    if price.kind == PriceKind.SEAT:
        return rate(price.charge_model, price.properties, Decimal(max(seats, 0)))
    return Decimal(0)


def subscription_mrr_minor(
    prices: Iterable[PriceSpec],
    seats: int,
    currency: str,
    interval: str = Interval.MONTH,
    *,
    region: str | None = None,
    segment: str | None = None,
) -> int:
    """Normalized monthly recurring revenue of a subscription, in minor units.

    The rows that apply to the subscriber are chosen with
    :func:`console.catalog.domain.ratecard.select_prices`; recurring fees and seat prices are
    normalized to one month (a yearly row counts 1/12) and summed unrounded; the sum is
    rounded once with :func:`console.money.round_minor`. Usage and one-time charges are
    excluded (DOMAIN.md: MRR excludes metered usage and one-time charges).

    Args:
        prices: the version's rate-card rows (all of them, or those already selected).
        seats: the subscription's seats.
        currency: the subscription's currency.
        interval: the subscription's billing interval (``month`` or ``year``).
        region: the customer's region, for region-specific rows.
        segment: the customer's segment, for segment-specific rows.

    Returns:
        MRR in minor units of ``currency``.
    """
    selected = select_prices(
        prices, currency=currency, region=region, segment=segment, interval=interval
    )
    with localcontext(prec=60):
        total = Decimal(0)
        for price in selected:
            if price.kind not in (PriceKind.RECURRING, PriceKind.SEAT):
                continue
            months = _MONTHS_PER_INTERVAL.get(Interval(price.billing_interval), 1)
            total += recurring_charge(price, seats=seats) / months
        return round_minor(total, currency)
