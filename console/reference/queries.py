"""Reads of reference data: the FX rate table."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlmodel import Session

from models import FxRate


def fx_rates(session: Session | sa.Connection, reporting: str) -> dict[str, Decimal]:
    """Reporting-currency units per one unit of each currency (the reporting currency is 1).

    A direct rate wins; else the inverse of the reporting currency's rate into it; else a
    cross rate through the first pivot currency both have a rate into. Unusable rates (not a
    positive number) count as missing, so amounts in that currency are refused, never
    converted at a wrong rate. Rates are kept to 12 decimal places.

    Args:
        session: an open session or connection.
        reporting: the reporting currency (ISO 4217 code).

    Returns:
        Currency code -> reporting-currency units per one unit of it; currencies without a
        usable rate are missing.
    """
    rows = session.execute(sa.select(FxRate.currency, FxRate.reporting_currency, FxRate.rate))
    table: dict[tuple[str, str], Decimal] = {}
    for cur, rep, rate in rows:
        try:
            value = Decimal(str(rate))
        except InvalidOperation:
            continue
        if value.is_finite() and value > 0:
            table[(cur, rep)] = value
    out: dict[str, Decimal] = {reporting: Decimal(1)}
    currencies = {c for c, _ in table} | {r for _, r in table}
    for cur in sorted(currencies - {reporting}):
        direct = table.get((cur, reporting))
        if direct is None and (reporting, cur) in table:
            direct = Decimal(1) / table[(reporting, cur)]
        if direct is None:
            pivots = [p for p in sorted({r for _, r in table})
                      if (cur, p) in table and (reporting, p) in table]
            if pivots:
                direct = table[(cur, pivots[0])] / table[(reporting, pivots[0])]
        if direct is not None and direct > 0:
            out[cur] = direct.quantize(Decimal("1e-12")).normalize()
    return out
