"""The KPI filter form's choices: months of the MRR ledger, reporting currencies, segments,
regions, plans and plan versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from console.kernel.months import add_months, month_key
from console.kpis.domain.filters import REGIONS, REPORTING_CURRENCIES, SEGMENTS
from console.kpis.queries.views import month_label
from models.db import get_engine


@dataclass(frozen=True)
class Option:
    """A choice in a filter select."""

    value: str
    label: str


@dataclass(frozen=True)
class FilterOptions:
    """What the filter form offers."""

    months: list[Option]
    currencies: list[Option]
    segments: list[Option]
    regions: list[Option]
    plans: list[Option]
    versions: list[Option]


# --- page-facing


def filter_options(engine: sa.Engine | None = None) -> FilterOptions:
    """The months of the MRR ledger, currencies, segments, regions, plans and plan versions.

    Args:
        engine: the database (default: the app's).

    Returns:
        The choices of each filter select, in the order the form shows them.
    """
    eng = engine or get_engine()
    with eng.connect() as conn:
        first, last = conn.execute(sa.text(
            "SELECT min(month), max(month) FROM mrr_monthly")).one()
        plans = conn.execute(sa.text("SELECT id, name FROM plan ORDER BY position, id")).all()
        versions = conn.execute(sa.text(
            "SELECT v.id, p.name, v.number, v.status FROM plan_version v "
            "JOIN plan p ON p.id = v.plan_id WHERE v.status IN ('published', 'retired') "
            "ORDER BY p.position, p.id, v.number")).all()
    months: list[Option] = []
    if first is not None and last is not None:
        month = date.fromisoformat(str(first)[:10]).replace(day=1)
        end = date.fromisoformat(str(last)[:10]).replace(day=1)
        while month <= end:
            months.append(Option(month_key(month), month_label(month)))
            month = add_months(month, 1)
    currencies = [Option(c, f"{c} (all, converted)") for c in REPORTING_CURRENCIES] + [
        Option(f"only:{c}", f"{c} only") for c in REPORTING_CURRENCIES]
    return FilterOptions(
        months=months,
        currencies=currencies,
        segments=[Option(s, s.replace("_", " ")) for s in SEGMENTS],
        regions=[Option(r, r.upper()) for r in REGIONS],
        plans=[Option(str(i), str(n)) for i, n in plans],
        versions=[Option(str(i), f"{n} v{num} ({status})") for i, n, num, status in versions],
    )
